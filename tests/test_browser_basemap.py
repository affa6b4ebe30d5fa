"""The district's own base map (issue #20) in headless Chromium, served by the real `gridgov
serve`: the wall screen (dark) and the planning page (light) draw roads from the server's own
vector tiles under their traces — MapLibre has parsed features of the roads layer, the tiles came
from this server, nothing left localhost and the console stayed clean."""

from __future__ import annotations

import pytest

from tests.browser import LOCAL_HOSTS, host, save_screenshot, signed_in

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
    requests: list[str] = []
    with signed_in(demo_server, accounts["admin"], then="monitor") as page:
        page.on("request", lambda r: requests.append(r.url))
        page.reload()  # its requests seen from the start
        for selector, link, shot in (
            ("#m-map", None, "monitor"),
            ("#ins-map", "/inspections", "inspections"),
        ):
            if link:
                page.click(f".app-nav a[href='{link}']")
            ready = f"() => {{ const r = ({ROADS})('{selector}'); return r && r.roads > 0 ? r : null; }}"
            assert page.wait_for_function(ready, timeout=60_000).json_value()["below"]
            save_screenshot(page, f"basemap-{shot}-1920x1080.png", readme=f"basemap-{shot}.png")
    tiles = [u for u in requests if "/tiles/" in u]
    assert tiles and all(host(u) in LOCAL_HOSTS for u in tiles)
    assert all(host(u) in LOCAL_HOSTS for u in requests if not u.startswith(("data:", "blob:")))
