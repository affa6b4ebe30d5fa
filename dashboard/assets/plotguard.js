// A graph taken off the page while Plotly still draws it (a page left, or the wall screen built
// again in the other language, while its map loads) must not be purged under that draw: the
// draw's last step would read the purged layout and throw ("_rangeSliderData" of undefined).
// Every Plotly call that draws is counted per graph here. A purge asked for meanwhile waits for
// the graph's draws to end (or 10 s, for a draw that never ends off the page), and those draws'
// promises then never settle: what was queued behind them (dcc.Graph's next figure for a graph
// no longer mounted) belongs to a graph that is gone.
// A graph taken off before its first draw ended is not purged by dcc.Graph (4.4: only a graph
// that has plotted is), yet its next figure is queued behind that draw and would run on the
// unmounted graph ("Cannot read properties of null (reading 'classList')" in async-graph.js, a
// page left by the bar while its map loads): a draw that ends on a graph no longer in the
// document ends the graph too (purged, its promise never settles).
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
    function ended(el) {
      if (!el.isConnected && !el._gridgovGone) {  // taken off the page unpurged: gone now
        el._gridgovGone = true;
        el._gridgovPurge = function () { el._gridgovPurge = null; purge(el); };
      }
      drawn(el);
    }
    DRAWS.forEach(function (name) {
      var draw = P[name];
      P[name] = function (gd) {
        var result = draw.apply(this, arguments), el = element(gd);
        if (!el || !result || typeof result.then !== "function") { return result; }
        el._gridgovDraws = (el._gridgovDraws || 0) + 1;
        return new Promise(function (resolve, reject) {
          result.then(function (value) {
            ended(el);
            if (!el._gridgovGone) { resolve(value); }
          }, function (error) {
            ended(el);
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
