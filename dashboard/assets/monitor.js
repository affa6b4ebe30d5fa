// The wall screen's overdue incidents and those new since its last figures pulse: restyle only
// those traces' markers, locally, every 0.8 s.
(function () {
  var big = false;
  setInterval(function () {
    var gd = document.querySelector("#m-map .js-plotly-plot");
    if (!gd || !gd.data || !window.Plotly) { return; }
    // not before the map's style has loaded: a restyle then reads the style's layers (undefined)
    var sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    if (!sub || !sub.map || !sub.map.isStyleLoaded()) { return; }
    var pulsing = [];
    gd.data.forEach(function (t, i) {
      if ((t.name === "overdue" || t.name === "new") && t.lon && t.lon.length > 0) { pulsing.push(i); }
    });
    if (pulsing.length === 0) { return; }
    big = !big;
    pulsing.forEach(function (i) {  // each trace between its own sizes (meta.pulse), else 10 and 17
      var sizes = (gd.data[i].meta && gd.data[i].meta.pulse) || [10, 17];
      window.Plotly.restyle(gd, { "marker.size": sizes[big ? 1 : 0], "marker.opacity": big ? 0.45 : 0.95 }, [i]);
    });
  }, 800);
})();

// Kiosk mode's tone for new items (GRIDGOV_KIOSK_SOUND=1 puts "sound" on the page's root): two
// short notes made by WebAudio in the browser, no sound file, once per refresh that made items
// flash. A browser lets a page sound only after a click, or when started with
// --autoplay-policy=no-user-gesture-required (a kiosk's Chromium).
(function () {
  var audio = null, pending = false;
  function tone(at, hz) {
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(at);
    osc.stop(at + 0.3);
  }
  function beep() {
    pending = false;
    if (!document.querySelector(".monitor.kiosk.sound") || !window.AudioContext) { return; }
    audio = audio || new window.AudioContext();
    if (audio.state === "suspended") { audio.resume(); }
    tone(audio.currentTime, 880);
    tone(audio.currentTime + 0.3, 1175);
  }
  function flashed(node) {
    return node.nodeType === 1 && (node.matches(".flash") || !!node.querySelector(".flash"));
  }
  new MutationObserver(function (changes) {
    var fresh = changes.some(function (c) {
      return c.type === "attributes" ? flashed(c.target) : Array.prototype.some.call(c.addedNodes, flashed);
    });
    if (fresh && !pending) { pending = true; setTimeout(beep, 0); }
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["class"] });
})();

// Kiosk mode's clock and the seconds until the tour moves on: counted here, once a second, from
// when the server last named the street shown (#m-kiosk-status changes with every move).
(function () {
  var since = Date.now(), last = null;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  setInterval(function () {
    var bar = document.querySelector(".monitor.kiosk .kiosk-bar");
    if (!bar) { return; }
    var status = bar.querySelector(".kiosk-status").textContent;
    if (status !== last) { last = status; since = Date.now(); }
    var period = parseInt(bar.querySelector(".kiosk-countdown").dataset.seconds, 10) || 0;
    var left = Math.max(0, period - Math.floor((Date.now() - since) / 1000));
    bar.querySelector(".kiosk-countdown").textContent = period ? left + " s" : "";
    var now = new Date();
    bar.querySelector(".kiosk-clock").textContent =
      two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds());
  }, 1000);
})();
