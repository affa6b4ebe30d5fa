// A graph taken off the page while Plotly still draws it (a page left, or the wall screen built
// again in the other language, while its map loads) must not be purged under that draw: the
// draw's last step would read the purged layout and throw ("_rangeSliderData" of undefined).
// Every Plotly call that draws is counted per graph here. A purge asked for meanwhile waits for
// the graph's draws to end (or 10 s, for a draw that never ends off the page), and those draws'
// promises then never settle: what was queued behind them (dcc.Graph's next figure for a graph
// no longer mounted) belongs to a graph that is gone.
(function () {
  var DRAWS = ["newPlot", "react", "restyle", "relayout", "update", "redraw"];
  function element(gd) { return typeof gd === "string" ? document.getElementById(gd) : gd; }
  function patch(P) {
    if (!P || P._gridgovGuarded) { return; }
    P._gridgovGuarded = true;
    var purge = P.purge;
    function drawn(el) {
      el._gridgovDraws -= 1;
      if (!el._gridgovDraws && el._gridgovPurge) { el._gridgovPurge(); }
    }
    DRAWS.forEach(function (name) {
      var draw = P[name];
      P[name] = function (gd) {
        var result = draw.apply(this, arguments), el = element(gd);
        if (!el || !result || typeof result.then !== "function") { return result; }
        el._gridgovDraws = (el._gridgovDraws || 0) + 1;
        return new Promise(function (resolve, reject) {
          result.then(function (value) {
            drawn(el);
            if (!el._gridgovGone) { resolve(value); }
          }, function (error) {
            drawn(el);
            if (!el._gridgovGone) { reject(error); }
          });
        });
      };
    });
    P.purge = function (gd) {
      var el = element(gd);
      if (!el || !el._gridgovDraws) { return purge.apply(this, arguments); }
      el._gridgovGone = true;  // a graph purged stays gone: dcc.Graph never draws it again
      el._gridgovPurge = function () {
        if (!el._gridgovPurge) { return; }
        el._gridgovPurge = null;
        purge(el);
      };
      setTimeout(el._gridgovPurge, 10000);
      return el;
    };
  }
  if (window.Plotly) { patch(window.Plotly); return; }
  // Plotly's bundle ends with `window.Plotly = Plotly`: guard it as it arrives
  var held;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: function () { return held; },
    set: function (value) {
      held = value;
      patch(value);
      Object.defineProperty(window, "Plotly", { configurable: true, writable: true, value: value });
    }
  });
})();
