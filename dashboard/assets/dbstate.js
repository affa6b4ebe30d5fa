// The "database unavailable, retrying" banner. The server answers 503 (JSON) to Dash's requests
// while the database is unreachable (dashboard/ops/db_down.py); this shows the banner, asks
// /readyz every second and hides it once the database is back. If what failed was the page
// itself (its layout, or the router that builds it), the page is reloaded then.
(function () {
  var MESSAGE = "数据库暂不可用，正在重试 database unavailable, retrying";
  var original = window.fetch.bind(window);
  var state = { broken: false, timer: null };

  function banner(show) {
    var el = document.getElementById("db-banner");
    if (!el && show) {
      el = document.createElement("div");
      el.id = "db-banner";
      el.setAttribute("role", "alert");
      el.textContent = MESSAGE;
      document.body.appendChild(el);
    }
    if (el) { el.hidden = !show; }
  }

  function recovered() {
    clearInterval(state.timer);
    state.timer = null;
    banner(false);
    if (state.broken) { window.location.reload(); }
  }

  function poll() {
    if (state.timer) { return; }
    state.timer = setInterval(function () {
      original("/readyz", { cache: "no-store" })
        .then(function (r) { if (r.ok) { recovered(); } })
        .catch(function () { /* server unreachable too: keep retrying */ });
    }, 1000);
  }

  function pageItself(url, init) {
    var body = init && typeof init.body === "string" ? init.body : "";
    return url.indexOf("/_dash-update-component") < 0 || body.indexOf('"output":"page.children"') >= 0;
  }

  window.fetch = function (input, init) {
    return original(input, init).then(function (response) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 503) {
        banner(true);
        if (pageItself(url, init)) { state.broken = true; }
        poll();
      }
      return response;
    });
  };
})();
