"""The coverage page in headless Chromium: choose a type and a threshold, click an uncovered
building to add a what-if point there, and see the covered share go up; the console stays
clean and nothing leaves localhost."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, save_screenshot, sign_in

pytestmark = pytest.mark.browser
SHARE = "() => { const e = document.querySelector('#cov-share'); return e ? e.innerText : null; }"
FIRST_GAP = """() => {
    const gd = document.querySelector('#cov-map .js-plotly-plot');
    const t = gd._fullData[1];
    if (!t || !t.lon || !t.lon.length) return null;
    const map = gd._fullLayout.map._subplot.map;
    const box = gd.getBoundingClientRect();
    for (let i = 0; i < t.lon.length; i++) {  // the first one well inside the visible map
        const p = map.project([t.lon[i], t.lat[i]]);
        if (p.x > 40 && p.y > 40 && p.x < box.width - 40 && p.y < box.height - 40) return [box.left + p.x, box.top + p.y];
    }
    return null;
}"""
READY = """() => {
    const gd = document.querySelector('#cov-map .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot) return false;
    const map = gd._fullLayout.map._subplot.map;
    return map.loaded() && !map.isMoving();
}"""


@pytest.fixture
def planner(demo_server):
    """The session's `gridgov serve` on the demo (conftest.demo_server)."""
    return demo_server


def _percent(text: str) -> float:
    return float(text.split("%")[0])


def test_choose_a_type_and_threshold_add_a_point_and_see_coverage_change(accounts, planner):
    url, _log = planner
    requests, problems = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1100})
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        sign_in(page, url, accounts["planner"], then="coverage")
        page.wait_for_function(f"() => ({SHARE})() !== null", timeout=60_000)
        wide = _percent(page.evaluate(SHARE))
        page.fill("#cov-value", "400")
        page.press("#cov-value", "Enter")
        page.wait_for_function(f"() => parseFloat(({SHARE})()) < {wide}", timeout=60_000)
        before = _percent(page.evaluate(SHARE))
        page.wait_for_function(READY, timeout=60_000)
        x, y = page.evaluate(FIRST_GAP)
        page.mouse.click(x, y)
        page.wait_for_function(f"() => ({SHARE})().includes('含假设')", timeout=60_000)
        after = page.evaluate(SHARE)  # e.g. "20.5% (+312 人，含假设)"
        gain = float(after.split("(")[1].split(" ")[0].replace(",", ""))
        assert gain > 0 and _percent(after) >= before, after
        save_screenshot(page, "coverage-1600x1100.png", readme="coverage.png")
        browser.close()
    outside = [
        u
        for u in requests
        if urlparse(u).hostname not in LOCAL_HOSTS and not u.startswith(("data:", "blob:"))
    ]
    assert outside == [] and problems == [], (outside, problems)
