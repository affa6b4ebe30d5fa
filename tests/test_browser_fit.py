"""The wall screen's map fitted to the unit on show (issue #20), in headless Chromium served by the
real `gridgov serve`: at 1366×768, 1920×1080 and 3840×2160, at the district and, clicking down
the map, at a street, one of its communities and one of that community's grids, the unit's
bounds (from SQL written here) lie inside what the map shows and fill most of it along one side
— not cut at the edges, not a small patch in the middle of a large screen; and the 超期, 临期
and latest lists show whole items, none cut by a panel's edge.
"""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import pages_at, save_screenshot, sign_in
from tests.sql import all_rows

pytestmark = pytest.mark.browser
SIZES = ((1366, 768), (1920, 1080), (3840, 2160))
GD = "document.querySelector('#m-map .js-plotly-plot')"
FITTED = f"""() => {{
    const gd = {GD}, m = gd && gd.layout && gd.layout.meta, sub = gd && gd._fullLayout && gd._fullLayout.map;
    if (!m || !m.fit || !sub || !sub._subplot) return false;
    return (gd._gridgovFit || '').startsWith(gd.layout.uirevision + '|' + m.fit.join(',') + '@');
}}"""
HOVERED = f"() => ({GD}._hoverdata || []).some(p => p.curveNumber === 2)"  # a unit one level down
CRUMBS = "() => document.querySelector('#m-crumbs')?.innerText ?? null"
IDLE = f"""() => {{
    const map = {GD}?._fullLayout?.map?._subplot?.map;
    return !!map && map.loaded() && !map.isMoving();
}}"""
SHOWN = f"""() => {{
    const b = {GD}._fullLayout.map._subplot.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}}"""
PROJECT = f"""([lon, lat]) => {{
    const gd = {GD}, p = gd._fullLayout.map._subplot.map.project([lon, lat]);
    const box = gd.getBoundingClientRect();
    return [box.left + p.x, box.top + p.y];
}}"""
# each list of the 超期 / 临期 / latest panels: items cut by its edge, items shown whole, and
# whether the list itself lies inside its panel
FEEDS = """() => [...document.querySelectorAll('#m-alerts .feed, #m-latest .feed')].map(ul => {
    const box = ul.getBoundingClientRect(), body = ul.closest('.panel-body').getBoundingClientRect();
    const items = [...ul.querySelectorAll('li')].map(li => li.getBoundingClientRect());
    const inside = r => r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 && r.right <= box.right + 0.5;
    const away = r => r.left >= box.right - 0.5;
    return {cut: items.filter(r => !inside(r) && !away(r)).length, shown: items.filter(inside).length,
            listed: items.length, within: box.bottom <= body.bottom + 0.5 && box.right <= body.right + 0.5};
})"""
_UNIT = "ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)"  # fmt: skip


@pytest.fixture(scope="module")
def units(demo):
    """The district's box, then its largest street, that street's largest community with grids and its largest
    grid: (click point, box) for each level below the district."""
    district = all_rows(demo, "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM street WHERE valid_to IS NULL) s")[0]  # fmt: skip
    street = all_rows(demo, f"SELECT id, {_UNIT} FROM street WHERE valid_to IS NULL ORDER BY ST_Area(geom) DESC, code LIMIT 1")[0]  # fmt: skip
    community = all_rows(
        demo,
        f"SELECT c.id, {_UNIT.replace('geom', 'c.geom')} FROM community c WHERE c.valid_to IS NULL AND c.street_id = :s "
        "AND EXISTS (SELECT 1 FROM grid g WHERE g.community_id = c.id AND g.valid_to IS NULL) ORDER BY ST_Area(c.geom) DESC, c.code LIMIT 1",
        s=street[0],
    )[0]  # fmt: skip
    grid = all_rows(demo, f"SELECT id, {_UNIT} FROM grid WHERE valid_to IS NULL AND community_id = :c ORDER BY ST_Area(geom) DESC, code LIMIT 1", c=community[0])[0]  # fmt: skip
    return [(None, tuple(district))] + [(tuple(u[1:3]), tuple(u[3:])) for u in (street, community, grid)]


def _mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _check_fit(shown, box, where):
    """``box`` inside ``shown`` (a hair of slack) and filling most of it along one side."""
    w, s, e, n = shown
    bw, bs, be, bn = box
    slack_x, slack_y = 0.005 * (e - w), 0.005 * (n - s)
    assert bw >= w - slack_x and be <= e + slack_x and bs >= s - slack_y and bn <= n + slack_y, (
        where,
        shown,
        box,
    )
    across = (be - bw) / (e - w)
    down = (_mercator(bn) - _mercator(bs)) / (_mercator(n) - _mercator(s))
    assert max(across, down) >= 0.75, (where, round(across, 2), round(down, 2))


def test_the_wall_screen_map_fits_the_unit_at_every_level_and_size(demo_server, accounts, units):
    url, log = demo_server
    problems: list[str] = []
    with sync_playwright() as pw:
        for width, height, page in pages_at(pw, SIZES, problems):
            sign_in(page, url, accounts["admin"], then="monitor")
            for level, (click, box) in zip(("district", "street", "community", "grid"), units, strict=True):
                if click is not None:  # one level down: the breadcrumb grows, then the map is fitted
                    crumbs = page.evaluate(CRUMBS)
                    x, y = page.evaluate(PROJECT, list(click))
                    page.mouse.move(x, y)  # Plotly clicks what the pointer hovers: wait for the hover
                    page.wait_for_function(HOVERED, timeout=30_000)
                    page.mouse.click(x, y)
                    page.wait_for_function(f"() => ({CRUMBS})() !== {crumbs!r}", timeout=60_000)
                page.wait_for_function(FITTED, timeout=60_000)
                page.wait_for_function(IDLE, timeout=60_000)
                _check_fit(page.evaluate(SHOWN), box, (level, width, height))
                if level == "district":  # the lists show whole items only, at least one each
                    feeds = page.evaluate(FEEDS)
                    assert len(feeds) == 3 and all(
                        f["cut"] == 0 and f["within"] and f["shown"] >= min(1, f["listed"]) for f in feeds
                    ), (width, feeds)
                if level in ("district", "grid"):
                    save_screenshot(
                        page, f"monitor-fit-{level}-{width}x{height}.png", readme=f"monitor-fit-{level}.png"
                    )
    assert not problems, (problems, log.read_text()[-2000:])
