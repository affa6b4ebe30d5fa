// A session that ended (idle, expired, logged out elsewhere, account disabled) makes the next
// callback answer 401: go to the login page, and back here after it, instead of a frozen page.
(function () {
  var fetch = window.fetch;
  window.fetch = function () {
    return fetch.apply(this, arguments).then(function (response) {
      if (response.status === 401 && response.url.indexOf("/_dash-update-component") >= 0) {
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
