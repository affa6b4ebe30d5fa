"""The wall screen's map fitted to the unit on show (issue #20), in headless Chromium served by the
real `gridgov serve`: at 1366×768, 1920×1080 and 3840×2160, on the page's first map, then
clicking down the map to a street, one of its communities and one of that community's grids,
then back to the district by the breadcrumb, the unit's
bounds (from SQL written here) lie inside what the map shows and fill most of it along one side
— not cut at the edges, not a small patch in the middle of a large screen; and the 超期, 临期
and latest lists show whole items, none cut by a panel's edge.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
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
# the unit one level down, not a neighbour (nor an incident's dot lying on it)
HOVERED = (
    f"unit => ({GD}._hoverdata || []).some(p => p.curveNumber === 2 && String(p.location) === String(unit))"
)
# where the pointer tries, in screen pixels from the unit's inner point: an incident's dot may sit
# on that point (a case placed at the street's own point), and a person moves off it
NUDGES = ((0, 0), (1, 0), (30, 0), (-30, 0), (0, 30), (0, -30), (30, 30), (-30, -30), (30, -30), (-30, 30))
FITS_BOX = f"""([bw, bs, be, bn]) => {{
    const b = {GD}._fullLayout.map._subplot.map.getBounds();
    const [w, s, e, n] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    const y = lat => Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360));
    const sx = 0.005 * (e - w), sy = 0.005 * (n - s);
    const inside = bw >= w - sx && be <= e + sx && bs >= s - sy && bn <= n + sy;
    return inside && Math.max((be - bw) / (e - w), (y(bn) - y(bs)) / (y(n) - y(s))) >= 0.75;
}}"""
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
    const box = gd.getBoundingClientRect(), k = box.width / gd.offsetWidth;  // the wall screen's scale
    return [box.left + p.x * k, box.top + p.y * k];
}}"""
# each list of the 超期 / 临期 / latest panels: items cut by its edge, items shown whole, and
# whether the list itself lies inside its panel
# the three feeds (超期, 临期, latest): a list, or the word that it is empty (临期 is, at hours
# when nothing falls due within the horizon: the demo's deadlines are set from the clock)
FEEDS = """() => [...document.querySelectorAll('#m-alerts :is(.feed, .empty), #m-latest :is(.feed, .empty)')].map(ul => {
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
    return [(None, tuple(district))] + [((u[0], *u[1:3]), tuple(u[3:])) for u in (street, community, grid)]


def _check_fit(page, box, where):
    """``box`` comes to lie inside what the map shows (a hair of slack) and fills most of it
    along one side (waited for: a figure arriving after the fit may be fitted again)."""
    page.wait_for_function(FITTED, timeout=60_000)
    page.wait_for_function(IDLE, timeout=60_000)
    try:
        page.wait_for_function(FITS_BOX, arg=list(box), timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail(f"{where}: the map shows {page.evaluate(SHOWN)}, not the unit's box {box}")


def _click_down(page, click):
    """Click the unit ``click`` (id, lon, lat of a point inside it) on the map: the breadcrumb
    grows one level."""
    unit, lonlat = click[0], list(click[1:])
    crumbs = page.evaluate(CRUMBS)
    page.wait_for_function(IDLE, timeout=60_000)
    for dx, dy in NUDGES * 2:  # Plotly clicks what the pointer hovers: wait for the hover, and
        x, y = page.evaluate(PROJECT, lonlat)  # move again if a figure or fit came between
        x, y = x + dx, y + dy
        page.mouse.move(x, y)
        try:
            page.wait_for_function(HOVERED, arg=unit, timeout=3_000)
            break
        except PlaywrightTimeout:
            page.wait_for_function(IDLE, timeout=60_000)
    else:
        pytest.fail(f"the pointer at {click} never hovered a unit on the map")
    page.mouse.click(x, y)
    page.wait_for_function(f"() => ({CRUMBS})() !== {crumbs!r}", timeout=60_000)


def test_the_wall_screen_map_fits_the_unit_at_every_level_and_size(demo_server, accounts, units, demo):
    url, log = demo_server
    district = all_rows(demo, "SELECT name FROM district WHERE valid_to IS NULL")[0][0]
    problems: list[str] = []
    with sync_playwright() as pw:
        for width, height, page in pages_at(pw, SIZES, problems):
            sign_in(page, url, accounts["admin"], then="monitor")
            _check_fit(page, units[0][1], ("first map", width, height))
            for level, (click, box) in zip(("street", "community", "grid"), units[1:], strict=True):
                _click_down(page, click)
                _check_fit(page, box, (level, width, height))
            save_screenshot(page, f"monitor-fit-grid-{width}x{height}.png", readme="monitor-fit-grid.png")
            page.get_by_role("button", name=district).click()  # back up by the breadcrumb
            _check_fit(page, units[0][1], ("district", width, height))
            feeds = page.evaluate(FEEDS)  # whole items only, at least one in each that is not empty
            assert len(feeds) == 3 and all(
                f["cut"] == 0 and f["within"] and f["shown"] >= min(1, f["listed"]) for f in feeds
            ), (width, feeds)
            save_screenshot(
                page, f"monitor-fit-district-{width}x{height}.png", readme="monitor-fit-district.png"
            )
    assert not problems, (problems, log.read_text()[-2000:])
