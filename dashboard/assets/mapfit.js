// Maps whose figure names the box they show (layout.meta.fit = [west, south, east, north], set by
// dashboard/figure.py's MapView) are fitted to it here, at the size the map really has on this
// screen: the server's centre and zoom are a first guess for an assumed size. A map is fitted
// once per view (uirevision), box and size, and again if a figure arriving just after the fit
// put the server's guess back; a pan or zoom by hand, or a view the page asks for (a found
// case), stays until the view, box or size changes (tests/test_browser_fit.py checks the page's
// first map and every drill level; an earlier version left the first map at the server's guess
// on a loaded machine). The fit is a move with an originalEvent, so Plotly keeps it as the
// user's view across the view's patches.
(function () {
  var TILE = 512, ROOM = 0.92;  // MapLibre's world is 512 px at zoom 0; keep a margin round the box
  var FIT = "gridgov-fit";
  function mercator(lat) { return Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)); }
  function view(box, w, h) {
    var width = Math.max(box[2] - box[0], 1e-6) / 360;
    var height = Math.max(mercator(box[3]) - mercator(box[1]), 1e-8) / (2 * Math.PI);
    var zoom = Math.min(Math.log2((w * ROOM) / TILE / width), Math.log2((h * ROOM) / TILE / height), 17);
    return { lon: (box[0] + box[2]) / 2, lat: (box[1] + box[3]) / 2, zoom: zoom };
  }
  // a move by hand: one started by a pointer, wheel, touch or key (not our fit, not a resize)
  var HAND = /^(mouse|wheel|touch|pointer|dblclick|key)/;
  function watch(gd, map) {
    if (gd._gridgovMap === map) { return; }
    gd._gridgovMap = map;
    map.on("movestart", function (e) {
      if (e.originalEvent && HAND.test(e.originalEvent.type || "")) { gd._gridgovByHand = true; }
    });
  }
  function elsewhere(map, v) {
    var c = map.getCenter();
    return Math.abs(map.getZoom() - v.zoom) > 0.02 || Math.abs(c.lng - v.lon) > 1e-5 || Math.abs(c.lat - v.lat) > 1e-5;
  }
  function guess(gd) {  // the centre and zoom the figure itself gives
    var m = gd.layout.map || {}, c = m.center || {};
    return { lon: c.lon, lat: c.lat, zoom: m.zoom };
  }
  function fit(gd) {
    var box = gd.layout && gd.layout.meta && gd.layout.meta.fit;
    var full = gd._fullLayout, sub = full && full.map && full.map._subplot;
    if (!box || box.length !== 4 || !sub || !sub.map || !sub.map.isStyleLoaded()) { return; }
    watch(gd, sub.map);
    // the map's own size in CSS pixels, as MapLibre lays it out (a scaled wall screen's canvas
    // is drawn larger, but the map inside it is not)
    var rect = { width: gd.offsetWidth, height: gd.offsetHeight };
    if (rect.width < 20 || rect.height < 20) { return; }
    var key = gd.layout.uirevision + "|" + box.join(",") + "@" + Math.round(rect.width) + "x" + Math.round(rect.height);
    // a figure without a uirevision drops every view by hand when replaced: fit each new one
    var replaced = gd.layout.uirevision === undefined && gd._gridgovLayout !== gd.layout;
    var v = view(box, rect.width, rect.height), g = guess(gd);
    if (gd._gridgovFit === key && !replaced) {
      // fitted already: again only while the figure is the server's guess (the layout's centre
      // is the box's, as the server's guess is and a found case's is not) and the map, at rest,
      // has left the fit other than by hand (a figure arriving around the fit put the guess, or
      // a step towards it, back); never after a move by hand
      var guessed = Math.abs(g.lon - v.lon) < 1e-9 && Math.abs(g.lat - v.lat) < 1e-9;
      if (gd._gridgovByHand || !guessed || sub.map.isMoving() || !elsewhere(sub.map, v)) { return; }
      // a map that cannot come to the fit (a zoom it clamps) is not jumped every 250 ms
      if ((gd._gridgovRefits = (gd._gridgovRefits || 0) + 1) > 5) { return; }
    } else {
      gd._gridgovRefits = 0;
    }
    gd._gridgovFit = key;
    gd._gridgovLayout = gd.layout;
    gd._gridgovByHand = false;
    sub.map.jumpTo({ center: [v.lon, v.lat], zoom: v.zoom }, { originalEvent: { type: FIT } });
  }
  setInterval(function () { document.querySelectorAll(".js-plotly-plot").forEach(fit); }, 250);
})();
