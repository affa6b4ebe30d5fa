"""The district's own base map (issue #20) in headless Chromium, served by the real `gridgov
serve`: the wall screen (dark) and the planning page (light) draw roads from the server's own
vector tiles under their traces — MapLibre has parsed features of the roads layer, the tiles came
from this server, nothing left localhost and the console stayed clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import LOCAL_HOSTS, host, pages_at, save_screenshot, sign_in

pytestmark = pytest.mark.browser
ROADS = """sel => {
    const gd = document.querySelector(sel + ' .js-plotly-plot');
    const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
    if (!map || !map.getSource('gridgov-base') || !map.loaded()) return null;
    const ids = map.getStyle().layers.map(l => l.id);
    const firstTrace = ids.findIndex(i => i.startsWith('plotly-trace-layer-'));
    return {roads: map.querySourceFeatures('gridgov-base', {sourceLayer: 'roads'}).length,
            below: ids.indexOf('gridgov-roads') < firstTrace && ids.indexOf('gridgov-buildings') < firstTrace};
}"""


def test_the_wall_screen_and_planning_maps_draw_the_districts_own_roads(demo_server, accounts):
    url, log = demo_server
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        for _w, _h, page in pages_at(pw, ((1920, 1080),), problems):
            page.on("request", lambda r: requests.append(r.url))
            sign_in(page, url, accounts["admin"], then="monitor")
            page.wait_for_function(
                f"() => {{ const r = ({ROADS})('#m-map'); return r && r.roads > 0; }}", timeout=60_000
            )
            assert page.evaluate(ROADS, "#m-map")["below"]
            save_screenshot(page, "basemap-monitor-1920x1080.png", readme="basemap-monitor.png")
            page.click(".app-nav a[href='/inspections']")
            page.wait_for_function(
                f"() => {{ const r = ({ROADS})('#ins-map'); return r && r.roads > 0; }}", timeout=60_000
            )
            assert page.evaluate(ROADS, "#ins-map")["below"]
            save_screenshot(page, "basemap-inspections-1920x1080.png", readme="basemap-inspections.png")
    tiles = [u for u in requests if "/tiles/" in u]
    assert tiles and all(host(u) in LOCAL_HOSTS for u in tiles)
    assert all(host(u) in LOCAL_HOSTS for u in requests if not u.startswith(("data:", "blob:")))
    assert not problems, (problems, log.read_text()[-2000:])
