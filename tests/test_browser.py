"""The real `gridgov serve` (gunicorn) on the demo district, driven by headless Chromium.

Checks that the Pingcheng map renders, that nothing is fetched from any host but the server
itself (no CDN, no public glyph or tile server) and that the console stays free of errors,
also after a layer is switched on (a Dash Patch of the figure). Leaves a 1920×1080 screenshot
in tests/artifacts/ (and in docs/screenshot.png with UPDATE_README_SCREENSHOT=1).
"""

import pytest
from playwright.sync_api import sync_playwright

# other browser tests import these from here too (tests/browser.py is where they live)
from tests.browser import ARTIFACTS as ARTIFACTS
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL_HOSTS,
    TRACES_JS,
    save_screenshot,
    sign_in,
    wait_map_idle,
)
from tests.browser import host as _host
from tests.browser import wait_for_map as _wait_for_map

pytestmark = pytest.mark.browser


@pytest.fixture
def server(demo_server):
    """The session's `gridgov serve` on the demo (conftest.demo_server)."""
    return demo_server


def test_the_dashboard_renders_pingcheng_offline_without_errors(server, accounts):
    url, log = server
    requests, problems, console = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
        sign_in(page, url, accounts["planner"], then="map")
        _wait_for_map(page, console, log)

        assert page.title() == "平城区网格治理"
        assert "平城区网格治理" in page.inner_text("header")
        assert "合成" in page.inner_text("#demo-note") and "真实" in page.inner_text("#demo-note")
        traces = page.evaluate(TRACES_JS)
        street_traces = [t for t in traces if t[1] == "街道"]
        assert {t[0] for t in traces} <= {"scattermap", "densitymap", "choroplethmap"}
        assert ["scattermap", "街道", "lines"] in street_traces and ["densitymap", "事件密度", ""] in traces
        assert (
            page.evaluate(
                "() => document.querySelector('#map .js-plotly-plot')._fullData.find("
                "t => t.name === '街道' && t.mode.includes('text')).text.length"
            )
            == 18
        )
        save_screenshot(page, readme="screenshot.png")

        with page.expect_response(lambda r: "_dash-update-component" in r.url):
            page.get_by_text("楼栋", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector('#map .js-plotly-plot')._fullData.some(t => t.name === '楼栋')",
            timeout=30_000,
        )
        wait_map_idle(page, "#map")
        assert [t[1] for t in page.evaluate(TRACES_JS)][:2] == ["事件密度", "楼栋"]
        browser.close()

    assert requests and not problems, problems
    foreign = sorted({url for url in requests if _host(url) not in LOCAL_HOSTS})
    assert not foreign, foreign
