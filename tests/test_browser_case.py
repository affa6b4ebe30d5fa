"""Finding one case in headless Chromium (issue #17), served by the real `gridgov serve`: on the
wall screen and on the map, at 1366×768 and 1920×1080, type a demo case's ticket number and
press Enter; the detail panel shows its fields, its timeline (a step per lifecycle column the
database holds) and its linked duplicates; the map is centred on the case with its marker drawn
there (the screenshot's pixel at the case is the marker's colour), and on the wall screen drawn
again when another map mode replaces the map; nothing is cut off, nothing scrolls the page, and
the console stays clean.
"""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from tests.browser import pages_at, save_screenshot, sign_in, wait_map_idle
from tests.sql import all_rows

pytestmark = pytest.mark.browser
SIZES = ((1366, 768), (1920, 1080))
# page → (path, map id, the search's id prefix, the marker's dot colour)
PAGES = {
    "monitor": ("monitor", "m-map", "m-case", (0xFF, 0x3B, 0x3B)),
    "map": ("map", "map", "case", (0xE6, 0x39, 0x46)),
}
STEPS = ("reported_at", "registered_at", "dispatched_at", "handled_at", "verified_at", "closed_at")
MAP_READY = "(ident) => !!document.querySelector(`#${ident} .js-plotly-plot`)?._fullLayout?.map?._subplot"
MARKER = """(ident) => {
    const gd = document.querySelector(`#${ident} .js-plotly-plot`);
    const layers = (gd.layout.map.layers || []).filter(l => l.type === 'circle' && l.visible !== false);
    const style = gd._fullLayout.map._subplot.map.getStyle().layers
        .filter(l => l.id.startsWith('plotly-layout-layer') && (l.layout || {}).visibility !== 'none').length;
    const c = gd._fullLayout.map.center;
    return {points: layers.map(l => l.source.features[0].geometry.coordinates), drawn: style, center: [c.lon, c.lat]};
}"""
PROJECT = """([ident, lon, lat]) => {
    const gd = document.querySelector(`#${ident} .js-plotly-plot`);
    const p = gd._fullLayout.map._subplot.map.project([lon, lat]);
    const box = gd.getBoundingClientRect();
    return [box.left + p.x, box.top + p.y];
}"""
# every element of the panel and of the search inside the window, the page not scrolled, the
# panel's content not overflowing it
FITS = """(prefix) => {
    const panel = document.getElementById(`${prefix}-panel`);
    const inside = e => { const r = e.getBoundingClientRect();
        return r.width === 0 || (r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5); };
    const out = [panel, document.getElementById(`${prefix}-query`)].filter(e => !inside(e));
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(panel).overflowY);
    return {out: out.map(e => e.outerHTML.slice(0, 80)),
            cut: panel.scrollHeight > panel.clientHeight && !scrolls, sideways: panel.scrollWidth - panel.clientWidth,
            page: [document.documentElement.scrollWidth - innerWidth, document.documentElement.scrollHeight - innerHeight]};
}"""


@pytest.fixture(scope="module")
def case(demo):
    """A closed demo case with a duplicate linked to it: its ticket, place, timeline's length and
    duplicates."""
    source, ticket, ident, lon, lat, *steps = all_rows(
        demo,
        f"SELECT i.source, i.source_id, i.id, ST_X(i.geom), ST_Y(i.geom), {', '.join(STEPS)} FROM incident i "
        "WHERE i.closed_at IS NOT NULL AND i.duplicate_of IS NULL AND EXISTS (SELECT 1 FROM incident d "
        "WHERE d.duplicate_of = i.id) ORDER BY i.reported_at DESC, i.id LIMIT 1",
    )[0]
    duplicates = [
        r[0] for r in all_rows(demo, "SELECT source_id FROM incident WHERE duplicate_of = :i", i=ident)
    ]
    events = all_rows(
        demo,
        "SELECT count(*) FROM incident_event WHERE incident_source = :s AND incident_id = :i",
        s=source,
        i=ident,
    )[0][0]  # its history, after its report; else a step per lifecycle column
    shown = 1 + events if events else sum(s is not None for s in steps)
    return {"ticket": ticket, "lon": lon, "lat": lat, "steps": shown, "duplicates": duplicates}


@pytest.fixture
def server(demo_server):
    """The session's `gridgov serve` on the demo (conftest.demo_server)."""
    return demo_server


REDRAWN = """([ident, lon, lat]) => {
    const gd = document.querySelector(`#${ident} .js-plotly-plot`);
    const layers = (gd.layout.map.layers || []).filter(l => l.type === 'circle' && l.visible !== false);
    const at = l => { const [x, y] = l.source.features[0].geometry.coordinates; return x === lon && y === lat; };
    return (gd.data[0].locations || []).length > 0 && layers.length === 2 && layers.every(at);
}"""
UNMARKED = """(ident) => {
    const gd = document.querySelector(`#${ident} .js-plotly-plot`);
    const drawn = gd._fullLayout.map._subplot.map.getStyle().layers
        .filter(l => l.id.startsWith('plotly-layout-layer') && (l.layout || {}).visibility !== 'none');
    return drawn.length === 0 && !(gd.layout.map.layers || []).some(l => l.type === 'circle' && l.visible !== false);
}"""
CENTRED = """([ident, lon, lat]) => {
    const c = document.querySelector(`#${ident} .js-plotly-plot`)._fullLayout.map.center;
    return Math.abs(c.lon - lon) < 1e-9 && Math.abs(c.lat - lat) < 1e-9;
}"""


def _open_case(page, case, *, map_id, prefix):
    page.wait_for_selector(f"#{map_id} .maplibregl-canvas", timeout=60_000)
    page.wait_for_function(MAP_READY, arg=map_id, timeout=60_000)
    wait_map_idle(page, f"#{map_id}")
    page.fill(f"#{prefix}-query", case["ticket"])
    page.press(f"#{prefix}-query", "Enter")
    page.wait_for_selector(f"#{prefix}-panel:not(.hidden) .case-timeline", timeout=30_000)
    page.wait_for_function(CENTRED, arg=[map_id, case["lon"], case["lat"]], timeout=30_000)
    wait_map_idle(page, f"#{map_id}")


def _check_panel(page, case, prefix):
    panel = page.locator(f"#{prefix}-panel")
    assert case["ticket"] in panel.locator("h3").inner_text()
    assert panel.locator(".case-timeline li").count() == case["steps"]
    linked = panel.locator(".case-linked").inner_text()
    assert all(t in linked for t in case["duplicates"]), linked
    facts = panel.locator(".case-facts").inner_text()
    assert "办理时限" in facts and ("按期办结" in facts or "逾期办结" in facts), facts


def _check_marker(page, case, map_id, colour, shot):
    marker = page.evaluate(MARKER, map_id)
    assert marker["points"] == [[case["lon"], case["lat"]]] * 2, marker
    assert marker["drawn"] == 2 and marker["center"] == pytest.approx([case["lon"], case["lat"]], abs=1e-9)
    x, y = page.evaluate(PROJECT, [map_id, case["lon"], case["lat"]])
    pixel = Image.open(shot).convert("RGB").getpixel((round(x), round(y)))
    assert all(abs(a - b) <= 40 for a, b in zip(pixel, colour, strict=True)), (pixel, colour)


def test_type_a_ticket_number_and_see_the_case(server, accounts, case):
    url, log = server
    problems: list[str] = []
    with sync_playwright() as pw:
        for width, height, page in pages_at(pw, SIZES, problems):
            sign_in(page, url, accounts["admin"])
            for name, (path, map_id, prefix, colour) in PAGES.items():
                page.goto(url + path)
                _open_case(page, case, map_id=map_id, prefix=prefix)
                _check_panel(page, case, prefix)
                shot = save_screenshot(page, f"case-{name}-{width}x{height}.png", readme=f"case-{name}.png")
                fits = page.evaluate(FITS, prefix)
                # on the screen, no sideways scrolling; a case longer than the screen scrolls in its panel
                assert fits == {"out": [], "cut": False, "sideways": 0, "page": [0, 0]}, (name, width, fits)
                _check_marker(page, case, map_id, colour, shot)
                if name == "monitor":  # another map mode: a new map, drawn with the case's marker again
                    page.locator("#m-mode input[value='rate']").check()
                    page.wait_for_function(REDRAWN, arg=[map_id, case["lon"], case["lat"]], timeout=30_000)
                    wait_map_idle(page, f"#{map_id}")
                    assert page.evaluate(MARKER, map_id)["drawn"] == 2
                page.click(f"#{prefix}-close")  # closing takes the panel and the marker away
                page.wait_for_selector(f"#{prefix}-panel.hidden", state="attached", timeout=30_000)
                page.wait_for_function(UNMARKED, arg=map_id, timeout=30_000)
    assert not problems, (problems, log.read_text()[-2000:])
