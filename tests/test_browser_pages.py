"""The real `gridgov serve` on a database holding only a small district's boundaries (测试区,
tests/small_district.py), driven by headless Chromium: every page is titled after that district,
says what to load, and leaves the console clean; the workers warm up without a failure."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.auth import make_account
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, serving, sign_in, wait_map_idle
from tests.browser import host as _host

pytestmark = pytest.mark.browser
PAGES = {
    "monitor": ("测试区综治中心 · 网格治理态势", "gridgov ingest incidents FILE --source NAME"),
    "map": ("测试区网格治理", "gridgov ingest incidents FILE --source NAME"),
    "inspections": ("排查计划", "gridgov ingest inspection-targets FILE"),
    "coverage": ("服务覆盖", "gridgov ingest service-points FILE"),
}


@pytest.fixture
def bare_server(settings, boundaries_only, tmp_path):
    account = make_account(boundaries_only, "browser_bare_admin", "admin")
    url = boundaries_only.url.render_as_string(hide_password=False)
    with serving(settings, tmp_path, DATABASE_URL=url) as (base, log):
        yield base, log, account


def test_every_page_on_boundaries_only_names_the_district_and_says_what_to_load(bare_server):
    url, log, account = bare_server
    requests, problems, seen = [], [], {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        # a request still running when the test moves to the next page is aborted: not a failure
        page.on(
            "requestfailed",
            lambda r: (
                problems.append(f"failed: {r.url} {r.failure}")
                if "ERR_ABORTED" not in str(r.failure)
                else None
            ),
        )
        page.on(
            "response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 500 else None
        )
        sign_in(page, url, account, then="monitor")
        for name, (heading, command) in PAGES.items():
            page.goto(f"{url}{name}")
            page.wait_for_selector(".empty-state", timeout=60_000)
            page.wait_for_load_state("networkidle")
            if name != "inspections":  # planning draws no map before a street is planned
                page.wait_for_selector(".maplibregl-canvas", timeout=60_000)
                wait_map_idle(page)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"boundaries-only-{name}.png"))
            seen[name] = (
                page.title(),
                page.inner_text("h1"),
                page.inner_text(".empty-state"),
                page.inner_text("body"),
            )
            assert seen[name][0] == "测试区网格治理", (name, seen[name][0])
            assert heading in seen[name][1], (name, seen[name][1])
            assert command in seen[name][2], (name, seen[name][2])
            assert "平城" not in seen[name][3] and "Pingcheng" not in seen[name][3], name
        assert "直线距离" in seen["coverage"][3] or "straight" in seen["coverage"][2]
        browser.close()
    assert requests and not problems, problems
    assert not sorted({u for u in requests if _host(u) not in LOCAL_HOSTS})
    server_log = log.read_text(errors="replace")
    assert "warm-up" not in server_log and "Traceback" not in server_log, server_log[-3000:]
