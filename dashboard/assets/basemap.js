// The district's own base map under every map whose figure asks for it (layout.meta.basemap =
// "dark" or "light"): roads and buildings as vector tiles from this server (/tiles/Z/X/Y.pbf,
// dashboard/tiles.py), added to Plotly's MapLibre map below the first trace layer. The tile URL
// is made absolute here, from the page's own origin: MapLibre fetches vector tiles in a worker,
// where a relative URL would not resolve. Added again whenever the map's style lost them.
(function () {
  var SOURCE = "gridgov-base";
  var LOOKS = {
    dark: { road: "#33476b", major: "#4a6390", building: "#1a2742", text: "#8aa0bf" },
    light: { road: "#d3dae3", major: "#b8c3d1", building: "#e6e9ee", text: "#6b7a8c" }
  };
  // above the configured raster (a Plotly layout layer), under every trace
  function firstTraceLayer(map) {
    var layers = map.getStyle().layers || [];
    for (var i = 0; i < layers.length; i++) { if (layers[i].id.indexOf("plotly-trace-layer-") === 0) { return layers[i].id; } }
    return undefined;
  }
  function install(gd) {
    var look = LOOKS[gd.layout && gd.layout.meta && gd.layout.meta.basemap];
    var sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = sub && sub.map;
    if (!look || !map || !map.isStyleLoaded() || map.getSource(SOURCE)) { return; }
    map.addSource(SOURCE, {
      type: "vector", tiles: [window.location.origin + "/tiles/{z}/{x}/{y}.pbf"], minzoom: 10, maxzoom: 18
    });
    var before = firstTraceLayer(map);
    map.addLayer({ id: "gridgov-buildings", type: "fill", source: SOURCE, "source-layer": "buildings",
      paint: { "fill-color": look.building } }, before);
    map.addLayer({ id: "gridgov-roads", type: "line", source: SOURCE, "source-layer": "roads",
      paint: { "line-color": ["match", ["get", "kind"], "arterial", look.major, look.road],
               "line-width": ["match", ["get", "kind"], "arterial", 2.2, "street", 1.4, 0.8] } }, before);
  }
  setInterval(function () { document.querySelectorAll(".js-plotly-plot").forEach(install); }, 250);
})();
