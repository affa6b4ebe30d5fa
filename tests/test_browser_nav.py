"""The navigation bar in headless Chromium (issue #20), served by the real `gridgov serve`: at
1366×768, 1920×1080 and 3840×2160 each role goes through every page it may open by the bar's links without
the page reloading, the bar is whole (nothing cut) and the page below it starts under it; a
planner's bar offers only the planner's pages, and a page typed in that the role may not open
says which roles may; the work pages switch language in place, keeping what was entered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from dashboard.pages import PAGES
from geo import sessions
from tests.browser import (
    ARTIFACTS,
    LOCAL_HOSTS,
    host,
    pages_at,
    save_screenshot,
    sign_in,
    signed_in,
    wait_map_idle,
)

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
# a page's first figures beside a loaded host: with another CI run beside it, /map at 3840×2160
# was still drawing (Chromium's software WebGL) after 60 s
SETTLE_MS = 180_000
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


# what a person would call cut, on the page below the bar: a box whose content is wider than the
# box (clipped, scrolled sideways or ended with "…"), and the page itself wider than the window;
# maps and charts draw on canvases of their own size and are checked by MAPS
CUT = """() => {
    const out = [], doc = document.documentElement;
    for (const e of document.querySelectorAll('#page *')) {
        if (e.closest('.js-plotly-plot, .maplibregl-map, svg') || !e.getClientRects().length) continue;
        // in a grid, the texts (a header cell's box also holds its menu and resize handles)
        if (e.closest('.ag-root-wrapper') && !e.matches('.ag-header-cell-text, .ag-cell')) continue;
        // a resident's description, of any length: its first line, all of it on hover (and in the case panel)
        if (e.matches('.feed .desc') && e.title === e.textContent) continue;
        if (e.matches('.feed')) {  // the items that fit are shown whole, the next ones out of sight
            const box = e.getBoundingClientRect();
            for (const li of e.children) {
                const r = li.getBoundingClientRect();
                const seen = r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
                if (seen && (r.left < box.left - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1))
                    out.push(`a feed item cut: ${li.innerText.slice(0, 40)}`);
            }
            continue;
        }
        const s = getComputedStyle(e);
        const clips = s.overflowX !== 'visible' || s.textOverflow === 'ellipsis';
        if (clips && s.visibility !== 'hidden' && e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1)
            out.push(`${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth}>${e.clientWidth}: ${e.innerText.slice(0, 40)}`);
    }
    return {wide: doc.scrollWidth - doc.clientWidth, cut: out};
}"""
# every map and chart inside the window and framed: its data's extent (outlines, points) inside
# the part of the map it shows
MAPS = """() => [...document.querySelectorAll('#page .js-plotly-plot')].filter(g => g.getClientRects().length).map(g => {
    const r = g.getBoundingClientRect(), out = {id: g.parentElement.id || g.id,
        inside: r.left >= -1 && r.right <= innerWidth + 1 && r.width > 50 && r.height > 50};
    const sub = g._fullLayout && g._fullLayout.map && g._fullLayout.map._subplot;
    if (!sub) return out;
    const b = sub.map.getBounds(), xs = [], ys = [];
    for (const t of g._fullData) {
        if (t.visible !== true) continue;
        if (t.lon) { xs.push(...t.lon.filter(Number.isFinite)); ys.push(...t.lat.filter(Number.isFinite)); }
        for (const f of (t.geojson && t.geojson.features) || []) {
            const walk = c => typeof c[0] === 'number' ? (xs.push(c[0]), ys.push(c[1])) : c.forEach(walk);
            walk(f.geometry.coordinates);
        }
    }
    if (!xs.length) return out;
    const pad = 0.002;  // about 200 m: a marker's radius, the outline's stroke
    out.framed = Math.min(...xs) >= b.getWest() - pad && Math.max(...xs) <= b.getEast() + pad
        && Math.min(...ys) >= b.getSouth() - pad && Math.max(...ys) <= b.getNorth() + pad;
    out.data = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)].map(v => v.toFixed(4));
    out.view = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(4));
    return out;
})"""
LEGEND = "() => document.querySelector('#m-legend').innerText.trim()"
ROLES = ("admin", "street_leader", "planner", "wall_screen")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_goes_through_its_pages_by_the_bar_at_every_size(demo_server, demo, accounts, role):
    """At 1366×768, 1920×1080 and 3840×2160 each role follows the bar to every page it may open
    (and back to the wall screen) without a reload: the bar whole and offering just those pages,
    nothing on the page cut or wider than the window, every map inside the window and framed on
    what it draws, the wall screen's legend there in each map mode, nothing asked of any host
    but this one, the console clean."""
    url, log = demo_server
    problems: list[str] = []
    mine = [p for p in PAGES if role in p.roles]
    (ARTIFACTS / f"cut-{role}.txt").unlink(missing_ok=True)  # this run's list only
    with sync_playwright() as pw:
        for width, height, page in pages_at(pw, SIZES, problems):
            page.on("request", _elsewhere(problems))
            if role == "wall_screen":  # its screen opens by its kiosk link: no bar, no buttons
                _open_kiosk(page, url, demo, accounts[role][0])
                problems += _whole(page, (role, width, "kiosk"))
                assert not page.query_selector(".app-nav .nav-link"), width
                continue
            sign_in(page, url, accounts[role], then="monitor")
            page.wait_for_selector("#m-map .js-plotly-plot")
            page.evaluate(MARK)
            if role == "admin":
                _legends(page, width)
            for target in [p for p in mine if p.key != "monitor"] + [PAGES[0]]:
                page.wait_for_function(SETTLED, timeout=SETTLE_MS)  # as a person would: the page drawn
                if target.key != "monitor" or len(mine) > 1:
                    page.click(f".app-nav a[href='{target.path}']")
                page.wait_for_selector(PAGE_SHOWN[target.path], timeout=60_000)
                # the bar is redrawn by a callback of its own, which may answer after the page's
                page.wait_for_selector(f".app-nav a.nav-link.current[href='{target.path}']", timeout=30_000)
                bar = page.evaluate(BAR)
                assert bar["links"] == [p.path for p in mine], bar
                assert bar["current"] == [target.path] and not bar["cut"] and bar["below"], (
                    width,
                    target.key,
                    bar,
                )
                problems += _whole(page, (role, width, target.key))
                assert page.evaluate(MARKED), f"following the link to {target.path} reloaded the page"
            if role == "admin":
                save_screenshot(page, f"nav-monitor-{width}x{height}.png")
    assert not problems, (problems, log.read_text()[-2000:])


def _elsewhere(problems: list[str]) -> Callable[[Any], None]:
    """A request handler noting in ``problems`` every request to another host than this one."""

    def note(request: Any) -> None:
        if host(request.url) not in LOCAL_HOSTS:
            problems.append(f"a request to {request.url}")

    return note


def _open_kiosk(page, url: str, demo, screen: str) -> None:
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, screen)
    page.goto(f"{url}kiosk?token={token}")
    page.click("#kiosk-open")
    page.wait_for_url(url + "monitor?kiosk=1")
    page.wait_for_selector("#m-map .js-plotly-plot")


def _whole(page, where) -> list[str]:
    """What is cut on the page, and maps outside the window or not framed on their data (maps
    are waited for until drawn)."""
    page.wait_for_function(SETTLED, timeout=SETTLE_MS)
    for selector in ("#m-map", "#map", "#cov-map", "#ins-map"):
        if page.query_selector(f"{selector} .js-plotly-plot .maplibregl-canvas"):
            wait_map_idle(page, selector)
    seen = page.evaluate(CUT)
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / f"cut-{where[0]}.txt").open("a", encoding="utf-8") as notes:  # the whole list
        notes.writelines(f"{where}: {cut}\n" for cut in seen["cut"])
    out = [f"{where}: {cut}" for cut in seen["cut"]]
    out += [f"{where}: the page is {seen['wide']} px wider than the window"] if seen["wide"] > 0 else []
    try:  # a map fits itself to its data once drawn (dashboard/assets/mapfit.js), maybe after idle
        page.wait_for_function(f"() => ({MAPS})().every(m => m.inside && m.framed !== false)", timeout=30_000)
    except PlaywrightError:
        out += [
            f"{where}: map {m}" for m in page.evaluate(MAPS) if not (m["inside"] and m.get("framed", True))
        ]
    return out


def _legends(page, width: int) -> None:
    """The wall screen's legend in each map mode: a scale from few to many, the hotspot classes
    (or that none is significant), and the markers for overdue and new cases in every mode."""
    for mode, words in (("rate", "少"), ("hotspot", "99%"), ("heat", "少")):
        before = page.evaluate(LEGEND)
        page.check(f"#m-mode input[value='{mode}']")
        page.wait_for_function(f"b => ({LEGEND})() !== b", arg=before, timeout=30_000)
        legend = page.evaluate(LEGEND)
        assert words in legend and "超期" in legend, (width, mode, legend)


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
