"""The navigation bar in headless Chromium (issue #20), served by the real `gridgov serve`: at
1366×768, 1920×1080 and 3840×2160 an admin goes through every page by the bar's links without
the page reloading, the bar is whole (nothing cut) and the page below it starts under it; a
planner's bar offers only the planner's pages, and a page typed in that the role may not open
says which roles may; the work pages switch language in place, keeping what was entered."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from dashboard.pages import PAGES
from tests.browser import pages_at, save_screenshot, sign_in, signed_in

pytestmark = pytest.mark.browser
SIZES = ((1366, 768), (1920, 1080), (3840, 2160))
BAR = """() => {
    const nav = document.querySelector('.app-nav'), box = nav.getBoundingClientRect();
    const cut = [...nav.querySelectorAll('.nav-link, .nav-user, .nav-brand, .lang-switch, .logout button')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > box.right + 0.5);
    const page = document.querySelector('#page > *').getBoundingClientRect();
    return {cut: cut.map(e => e.textContent), height: box.height, below: page.top >= box.bottom - 0.5,
            links: [...nav.querySelectorAll('.nav-link')].map(a => a.getAttribute('href')),
            current: [...nav.querySelectorAll('.nav-link.current')].map(a => a.getAttribute('href'))};
}"""
# nothing left for Dash to fill in, every chart drawn (leaving mid-draw, Plotly reports errors)
SETTLED = """() => !document.querySelector('[data-dash-is-loading="true"]')
    && [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout && !(g._promises || []).length)"""
# a mark on the window: still there after a link is followed if the page did not reload
MARK, MARKED = "() => { window.gridgovNavMark = 1; }", "() => window.gridgovNavMark === 1"
PAGE_SHOWN = {
    "/monitor": "#m-map",
    "/map": "#map",
    "/inspections": ".ins-page",
    "/results": "#res-table .ag-row",
    "/coverage": "#cov-map",
    "/audit": ".audit-page",
    "/data": ".data-page",
}


def test_an_admin_goes_through_every_page_by_the_bar_at_every_size(demo_server, accounts):
    url, log = demo_server
    problems: list[str] = []
    with sync_playwright() as pw:
        for width, height, page in pages_at(pw, SIZES, problems):
            sign_in(page, url, accounts["admin"], then="monitor")
            page.wait_for_selector("#m-map .js-plotly-plot")
            page.evaluate(MARK)
            for target in [p for p in PAGES if p.key != "monitor"] + [PAGES[0]]:
                page.wait_for_function(SETTLED, timeout=60_000)  # as a person would: the page drawn
                page.click(f".app-nav a[href='{target.path}']")
                page.wait_for_selector(PAGE_SHOWN[target.path], timeout=60_000)
                # the bar is redrawn by a callback of its own, which may answer after the page's
                page.wait_for_selector(f".app-nav a.nav-link.current[href='{target.path}']", timeout=30_000)
                bar = page.evaluate(BAR)
                assert bar["links"] == [p.path for p in PAGES], bar
                assert bar["current"] == [target.path] and not bar["cut"] and bar["below"], (
                    width,
                    target.key,
                    bar,
                )
                assert page.evaluate(MARKED), f"following the link to {target.path} reloaded the page"
            save_screenshot(page, f"nav-monitor-{width}x{height}.png", readme="nav-monitor.png")
    assert not problems, (problems, log.read_text()[-2000:])


def test_a_planner_sees_only_the_planners_pages_and_a_refusal_names_the_roles(demo_server, accounts):
    with signed_in(demo_server, accounts["planner"], then="coverage", size=(1366, 768)) as page:
        page.wait_for_selector(".app-nav .nav-link")
        page.wait_for_selector("#cov-map")
        assert page.evaluate(BAR)["links"] == [p.path for p in PAGES if "planner" in p.roles]
        assert accounts["planner"][0] in page.inner_text(".nav-user")
        page.goto(f"{demo_server[0]}inspections")
        card = page.wait_for_selector(".refusal-card").inner_text()
        assert "无权访问" in card and "街道负责人" in card and "区级管理员" in card


CHECKED = "sel => [...document.querySelectorAll(sel + ' input:checked')].map(i => i.value)"
HEADING = "() => document.querySelector('.m-header h1').innerText"


def test_the_wall_screen_switches_language_in_place_keeping_its_choices(demo_server, accounts):
    with signed_in(demo_server, accounts["admin"], then="monitor") as page:
        page.wait_for_selector("#m-map .js-plotly-plot")
        page.check("#m-window input[value='90']")
        page.check("#m-mode input[value='rate']")
        page.wait_for_function(f"() => ({CHECKED})('#m-mode').includes('rate')")
        page.evaluate(MARK)
        page.click("#m-switch-lang")
        page.wait_for_function(f"() => ({HEADING})().includes('Governance Centre')")
        assert page.evaluate(MARKED), "the language switch reloaded the page"
        assert page.evaluate(CHECKED, "#m-window") == ["90"] and page.evaluate(CHECKED, "#m-mode") == ["rate"]
        page.click("#m-switch-lang")
        page.wait_for_function(f"() => ({HEADING})().includes('综治')")
        assert page.evaluate(CHECKED, "#m-window") == ["90"] and page.evaluate(MARKED)


# what a person reads on the page (hidden halves of bilingual texts are not in innerText)
SEEN = "() => document.querySelector('#page').innerText"


def test_work_pages_switch_language_in_place_and_keep_what_was_entered(demo_server, accounts):
    """A planner on the coverage page types a threshold, switches to English: the page reads
    English (the headings, labels, buttons, legend, the figures' summary made by a callback, the
    bar), nothing was reloaded and the threshold stands; the page the bar opens next is English
    too, and so is it after a reload (the browser keeps the choice); back to Chinese there."""
    with signed_in(demo_server, accounts["planner"], then="coverage", size=(1366, 768)) as page:
        page.wait_for_selector("#cov-kpis .cov-kpis")
        page.fill("#cov-value", "800")
        page.press("#cov-value", "Enter")
        page.wait_for_function("() => document.querySelector('#cov-kpis').innerText.includes('800')")
        page.evaluate(MARK)
        assert "服务覆盖" in page.evaluate(SEEN) and "Service coverage" not in page.evaluate(SEEN)
        page.click("#app-lang")
        seen = page.evaluate(SEEN)
        for english in (
            "Service coverage",
            "Threshold",
            "Residents covered",
            "a 800 m walk",
            "Suggest sites",
            "catchment",
        ):
            assert english in seen, english
        for chinese in ("服务覆盖", "阈值", "覆盖居民", "建议选址", "服务范围"):
            assert chinese not in seen, chinese
        assert "Log out" in page.inner_text(".app-nav") and "退出" not in page.inner_text(".app-nav")
        assert page.evaluate(MARKED) and page.input_value("#cov-value") == "800"
        assert not page.evaluate(BAR)["cut"]
        # the bar's link at once, the coverage map maybe still drawing (dashboard/assets/plotguard.js)
        page.click(".app-nav a[href='/map']")
        page.wait_for_selector("#map .js-plotly-plot")
        assert "Layers" in page.evaluate(SEEN) and "图层" not in page.evaluate(SEEN) and page.evaluate(MARKED)
        page.reload()  # the browser keeps the choice
        page.wait_for_selector("#map .js-plotly-plot")
        assert "Layers" in page.evaluate(SEEN) and "图层" not in page.evaluate(SEEN)
        page.click("#app-lang")
        assert "图层" in page.evaluate(SEEN) and "Layers" not in page.evaluate(SEEN)
