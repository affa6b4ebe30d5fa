// The work pages' language (dashboard/bilingual.py): the navigation bar's switch flips
// data-lang on the document, and the style sheet shows each text's Chinese or English half.
// Nothing is rebuilt (a page keeps its state) and the server is not asked; the choice is kept
// in this browser. The document stays lang="zh-CN" (names in the data are Chinese); each
// English half says lang="en" itself.
(function () {
  "use strict";
  const KEY = "gridgov.lang";
  const root = document.documentElement;
  function saved() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (error) {
      return null; // storage blocked: Chinese, for this page only
    }
  }
  root.dataset.lang = saved() === "en" ? "en" : "zh";
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element) || !event.target.closest("#app-lang")) {
      return;
    }
    root.dataset.lang = root.dataset.lang === "en" ? "zh" : "en";
    try {
      window.localStorage.setItem(KEY, root.dataset.lang);
    } catch (error) {
      // not kept: the page still switches
    }
  });
})();
