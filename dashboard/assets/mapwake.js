// Plotly's map subplot ends a redraw on MapLibre's next "render" event after the map has
// loaded. When that event never comes (seen after a patch of the layout alone: the found
// case's marker on the layer map), the graph stays "pending" and dcc.Graph queues every later
// figure behind it until someone moves the map. Ask for one more frame while a map is pending.
(function () {
  setInterval(function () {
    document.querySelectorAll(".js-plotly-plot.dash-graph--pending").forEach(function (gd) {
      var sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      if (sub && sub.map) { sub.map.triggerRepaint(); }
    });
  }, 500);
})();
