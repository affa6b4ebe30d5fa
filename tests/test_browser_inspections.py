"""The planning page in headless Chromium: the register shows with the page, plan a street, see
numbered stops, pin a target, re-plan (the selection is cleared), drop another (the pinned one
stays), open a stop from its team-day's list (its row selected), record a visit (refused without
an inspector, then confirmed where it is seen), export the offline map; the console stays clean
and nothing leaves localhost."""

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, save_screenshot, sign_in

pytestmark = pytest.mark.browser
STOPS_JS = """() => {
    const gd = document.querySelector('#ins-map .js-plotly-plot');
    return gd && gd.data ? gd.data.filter(t => t.mode === 'markers+text' && t.name !== 'office').map(t => t.text.join(',')) : [];
}"""
ROUTED_JS = """() => document.querySelector('#ins-map .js-plotly-plot').data
    .filter(t => t.mode === 'markers+text' && t.name !== 'office').flatMap(t => t.customdata)"""
UNPLANNED_JS = """() => {
    let found = null;
    dash_ag_grid.getApi('ins-grid').forEachNode(n => { if (!found && n.data.choice === '') found = n.data.rid; });
    return found;
}"""
CHOICE_JS = """id => {
    const node = dash_ag_grid.getApi('ins-grid').getRowNode(id);
    return node ? node.data.choice : null;
}"""

SELECTED_JS = "() => dash_ag_grid.getApi('ins-grid').getSelectedRows().map(r => r.id)"
SELECT_JS = """id => {
    const api = dash_ag_grid.getApi('ins-grid'), node = api.getRowNode(id);
    api.ensureNodeVisible(node); node.setSelected(true);
}"""
NAME_JS = "id => dash_ag_grid.getApi('ins-grid').getRowNode(id).data.name"


@pytest.fixture
def planner(demo_server):
    """The session's `gridgov serve` on the demo (conftest.demo_server)."""
    return demo_server


def test_plan_a_street_pin_a_target_replan_and_export(accounts, planner, tmp_path):
    url, _log = planner
    requests, problems = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on(
            "console", lambda m: problems.append(m.text) if m.type == "error" or "AG Grid" in m.text else None
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        sign_in(page, url, accounts["street_leader"], then="inspections")
        # the street's register shows with the page, before any plan, its targets on the map
        page.wait_for_selector("#ins-grid .ag-row")
        assert page.evaluate(STOPS_JS) == []
        page.click("#ins-plan")
        page.wait_for_function(f"() => ({STOPS_JS})().length > 0", timeout=60_000)
        stops = page.evaluate(STOPS_JS)
        assert all(s.startswith("1,2") or s == "1" for s in stops), stops  # numbered from 1 per team-day
        assert "沿道路网络" in page.inner_text("#ins-summary")

        # pin a target that is not in the plan, re-plan: it is in, and the grid says so
        page.wait_for_selector("#ins-grid .ag-row")
        target = page.evaluate(UNPLANNED_JS)
        assert target, "every target is in the plan: nothing to pin"
        page.evaluate(
            "id => dash_ag_grid.getApi('ins-grid').ensureNodeVisible(dash_ag_grid.getApi('ins-grid').getRowNode(id))",
            target,
        )
        page.locator(f'#ins-grid [row-id="{target}"] input.ag-checkbox-input').first.check()
        page.click("#ins-pin")
        page.wait_for_function(f"() => ({CHOICE_JS})({target!r}) === '指定 pinned'", timeout=60_000)
        routed = page.evaluate(ROUTED_JS)
        assert int(target) in routed
        assert page.evaluate(SELECTED_JS) == []  # Pin cleared the selection
        # drop another planned target (a recheck due in the period asks first: say yes); the
        # pinned one stays pinned
        asked: list[str] = []
        page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
        other = next(str(t) for t in routed if str(t) != target)
        page.evaluate(SELECT_JS, other)
        page.click("#ins-drop")
        page.wait_for_function(f"() => ({CHOICE_JS})({other!r}) === '排除 dropped'", timeout=60_000)
        assert page.evaluate(CHOICE_JS, target) == "指定 pinned" and page.evaluate(SELECTED_JS) == []
        # a stop in its team-day's list opens its row in the register
        first = page.locator("#ins-summary button.ins-stop").first
        stop = first.get_attribute("id")
        first.click()
        page.wait_for_function(f"() => ({SELECTED_JS})().length === 1", timeout=30_000)
        assert f'"target":{page.evaluate(SELECTED_JS)[0]}' in stop.replace(" ", "")
        save_screenshot(page, "inspections-1600x1100.png", readme="inspections.png")
        # a visit: refused without an inspector, then saved with a confirmation in view
        name = page.evaluate(NAME_JS, target)
        page.click("#ins-r-target")  # Dash's dropdown: open it, search, pick the option
        page.locator(".dash-dropdown-search").fill(name)
        page.locator(".dash-dropdown-option", has_text=name).first.click()
        page.keyboard.press("Escape")
        page.click("#ins-r-save")
        assert "检查人" in page.wait_for_selector("#ins-r-message .ins-error").inner_text()
        page.fill("#ins-r-inspector", "王五")
        # the target's checklist: one item with a problem, put right on the spot (当场整改)
        item = page.wait_for_selector("#ins-r-checks input[type=checkbox]").get_attribute("value")
        page.check(f"#ins-r-checks input[value='{item}']")
        page.check("#ins-r-outcome input[value='fixed']")
        page.click("#ins-r-save")
        ok = page.wait_for_selector("#ins-r-message .ins-ok")
        assert "已保存" in ok.inner_text() and ok.is_visible()
        page.wait_for_function(
            "() => document.querySelector('#ins-r-history').innerText.includes('当场整改')"
        )
        assert item in page.inner_text("#ins-r-history") and "王五" in page.inner_text("#ins-r-history")

        # the offline map export
        with page.expect_download() as download:
            page.click("#ins-export-html")
        saved = Path(tmp_path / "plan.html")
        download.value.save_as(saved)
        exported = saved.read_text(encoding="utf-8")
        assert "L.map(" in exported and not re.search(
            r"<(script|link)[^>]+(src|href)=[\"']?https?:", exported
        )
        roads, routes = exported.index("geo_json_"), exported.index("poly_line_")
        assert roads < routes  # the street's roads, drawn under the routes
        browser.close()
    outside = [
        u
        for u in requests
        if urlparse(u).hostname not in LOCAL_HOSTS and not u.startswith(("data:", "blob:"))
    ]
    assert outside == [] and problems == [], (outside, problems)
