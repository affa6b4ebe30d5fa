// Maps whose figure names the box they show (layout.meta.fit = [west, south, east, north], set by
// dashboard/figure.py's fit_meta) are fitted to it here, at the size the map really has on this
// screen: the server's centre and zoom are a first guess for an assumed size. A map is fitted
// once per new box, and again when the window's size changes; the fit counts as the user's own
// view (Plotly keeps a move by hand as UI state), so later patches of the same view (its
// uirevision) keep it, while a pan or zoom by hand stays until the box changes.
(function () {
  var TILE = 512, ROOM = 0.92;  // MapLibre's world is 512 px at zoom 0; keep a margin round the box
  function mercator(lat) { return Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)); }
  function view(box, w, h) {
    var width = Math.max(box[2] - box[0], 1e-6) / 360;
    var height = Math.max(mercator(box[3]) - mercator(box[1]), 1e-8) / (2 * Math.PI);
    var zoom = Math.min(Math.log2((w * ROOM) / TILE / width), Math.log2((h * ROOM) / TILE / height), 17);
    return { lon: (box[0] + box[2]) / 2, lat: (box[1] + box[3]) / 2, zoom: zoom };
  }
  function fit(gd) {
    var box = gd.layout && gd.layout.meta && gd.layout.meta.fit;
    var full = gd._fullLayout, sub = full && full.map && full.map._subplot;
    if (!box || box.length !== 4 || !sub || !sub.map || !sub.map.isStyleLoaded()) { return; }
    // fitted once per view (uirevision: a drill resets the view even when the box is the same), box and size
    var rect = gd.getBoundingClientRect();
    var key = gd.layout.uirevision + "|" + box.join(",") + "@" + Math.round(rect.width) + "x" + Math.round(rect.height);
    // a figure without a uirevision drops every view by hand when replaced: fit each new one
    var replaced = gd.layout.uirevision === undefined && gd._gridgovLayout !== gd.layout;
    if ((gd._gridgovFit === key && !replaced) || rect.width < 20 || rect.height < 20) { return; }
    gd._gridgovFit = key;
    gd._gridgovLayout = gd.layout;
    var v = view(box, rect.width, rect.height);
    // as a move by hand (an event with an originalEvent): Plotly then keeps it as the user's view
    sub.map.jumpTo({ center: [v.lon, v.lat], zoom: v.zoom }, { originalEvent: { type: "gridgov-fit" } });
  }
  setInterval(function () { document.querySelectorAll(".js-plotly-plot").forEach(fit); }, 250);
})();
