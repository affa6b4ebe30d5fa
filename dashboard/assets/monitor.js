// The wall screen's overdue incidents pulse: restyle only that trace's markers, locally, every 0.8 s.
(function () {
  var big = false;
  setInterval(function () {
    var gd = document.querySelector("#m-map .js-plotly-plot");
    if (!gd || !gd.data || !window.Plotly) { return; }
    // not before the map's style has loaded: a restyle then reads the style's layers (undefined)
    var sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    if (!sub || !sub.map || !sub.map.isStyleLoaded()) { return; }
    var index = gd.data.findIndex(function (t) { return t.name === "overdue"; });
    if (index < 0 || !gd.data[index].lon || gd.data[index].lon.length === 0) { return; }
    big = !big;
    window.Plotly.restyle(gd, { "marker.size": big ? 17 : 10, "marker.opacity": big ? 0.45 : 0.95 }, [index]);
  }, 800);
})();
