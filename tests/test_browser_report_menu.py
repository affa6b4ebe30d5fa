"""The 报告 and 对比 menus in headless Chromium on the demo, served by the real `gridgov serve`:
on the wall screen at 1366×768, 1920×1080 and 3840×2160 each opens inside the window over the
page (nothing cut off, the menus on the filter bar's one row, the map where it was), the 对比
menu compares the window and then days typed into its picker; on the layer map days picked
become its window and its 对比; a street leader downloads last month's report from the
planning page and gets their street's Word file; the console stays clean."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest
from playwright.sync_api import sync_playwright

from layers import report_period
from tests.browser import pages_at, save_screenshot, sign_in
from tests.sql import one

pytestmark = pytest.mark.browser
SIZES = ((1366, 768), (1920, 1080), (3840, 2160))
# Where the map stands with the menu open and, in the same task (no callback can redraw the page
# between), with it closed: "opening moves nothing" compares the one layout, not two moments of it.
MAP_STILL = """const mapAt = () => { const r = document.querySelector('#m-map, #map').getBoundingClientRect(); return [r.top, r.height]; };
    const mapStill = menu => { const open = mapAt(); menu.open = !menu.open; const other = mapAt(); menu.open = !menu.open;
                               return {still: open[0] === other[0] && open[1] === other[1], map: [open, other]}; };"""
OPENED = """() => {
    MAP_STILL
    const menu = document.querySelector('.monitor .report-menu:not(.compare-menu)');
    const box = menu.querySelector('.report-choices').getBoundingClientRect();
    const bar = document.querySelector('.monitor .filters').getBoundingClientRect();
    const summary = menu.querySelector('summary').getBoundingClientRect();
    return {open: menu.open, inside: box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight,
            oneRow: summary.top - bar.top < bar.height / 2 && summary.bottom - bar.top > bar.height / 2,
            ...mapStill(menu),
            labels: [...menu.querySelectorAll('label')].map(l => l.innerText.trim())};
}""".replace("MAP_STILL", MAP_STILL)


def test_the_wall_screens_menus_open_inside_the_window_at_every_size(demo_server, accounts):
    url, log = demo_server
    problems: list[str] = []
    with sync_playwright() as pw:
        for width, _height, page in pages_at(pw, SIZES, problems):
            sign_in(page, url, accounts["admin"], then="monitor")
            page.wait_for_selector("#m-kpis .kpi")
            closed = page.evaluate(OPENED)
            page.click(".monitor .report-menu:not(.compare-menu) > summary")
            seen = page.evaluate(OPENED)
            assert seen["open"] and seen["inside"] and not closed["open"], (width, seen)
            assert seen["labels"] == ["上周周报", "上月月报", "Word", "PDF", "Excel"], seen
            assert seen["oneRow"] and seen["still"], (width, seen)  # opening moves nothing
            page.click(".monitor .report-menu:not(.compare-menu) > summary")  # closed again
            _wall_screen_comparison(page, width, today=dt.datetime.now(report_period.BEIJING).date())
    assert not problems, (problems, log.read_text()[-2000:])


def _wall_screen_comparison(page, width: int, *, today: dt.date) -> None:
    """The 对比 menu opens inside the window over the page, compares the window (近30天) and,
    once days are typed into its picker, those days."""
    page.click(".monitor .compare-menu > summary")
    page.wait_for_selector(".monitor .compare-menu table.compare tbody tr")
    seen = page.evaluate(COMPARED, ".monitor .compare-menu")
    assert seen["open"] and seen["inside"] and seen["still"], (width, seen)
    assert seen["firsts"] == ["指标", "街道"] and seen["rows"][0] == 8 and seen["rows"][1] > 3, seen
    assert f"本期 {today - dt.timedelta(days=29)} 至 {today}" in seen["period"], seen  # the window: 近30天
    if width == 1920:
        first, last = today - dt.timedelta(days=20), today - dt.timedelta(days=6)
        _pick(page, "m-compare-dates", first, last)
        page.wait_for_function("t => document.querySelector('.monitor .compare-period').innerText.includes(t)", arg=f"本期 {first} 至 {last}")  # fmt: skip
        assert page.evaluate(COMPARED, ".monitor .compare-menu")["inside"]
        save_screenshot(page, "compare-monitor-1920x1080.png", readme="compare-monitor.png")


def test_a_street_leader_downloads_their_streets_report_from_the_planning_page(demo_server, demo, accounts):
    url, log = demo_server
    problems: list[str] = []
    street = one(demo, "SELECT name FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")
    month = report_period.last_month(dt.datetime.now(report_period.BEIJING).date())
    with sync_playwright() as pw:
        for _width, _height, page in pages_at(pw, ((1920, 1080),), problems):
            sign_in(page, url, accounts["street_leader"], then="inspections")
            page.wait_for_selector("#ins-grid .ag-row")
            page.click(".ins-buttons .report-menu > summary")
            page.get_by_text("上月月报").click()
            with page.expect_download() as download:
                page.click("#ins-report-button")
            got = download.value
            assert got.suggested_filename == f"月报-{month.start:%Y-%m}-{street}.docx"
            document = docx.Document(io.BytesIO(Path(got.path()).read_bytes()))
            assert [p.text for p in document.paragraphs[:3]] == [street, "月报", month.label()]
    assert not problems, (problems, log.read_text()[-2000:])


COMPARED = """(menuSelector) => {
    MAP_STILL
    const menu = document.querySelector(menuSelector);
    const box = menu.querySelector('.report-choices').getBoundingClientRect();
    const tables = [...menu.querySelectorAll('table.compare')];
    return {open: menu.open, inside: box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight,
            ...mapStill(menu), firsts: tables.map(t => t.querySelector('th').innerText.trim()),
            rows: tables.map(t => t.querySelectorAll('tbody tr').length),
            period: (menu.querySelector('.compare-period') || {}).innerText};
}""".replace("MAP_STILL", MAP_STILL)


def _pick(page, picker: str, first: dt.date, last: dt.date) -> None:
    """Types the days into a date-range picker as a person would, and closes its calendar."""
    for end, day in (("start", first), ("end", last)):
        page.fill(f"#{picker}-{end}", day.isoformat())
        page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def test_days_picked_on_the_map_draw_it_and_are_compared(demo_server, accounts):
    url, log = demo_server
    problems: list[str] = []
    today = dt.datetime.now(report_period.BEIJING).date()
    first, last = today - dt.timedelta(days=40), today - dt.timedelta(days=11)
    with sync_playwright() as pw:
        for width, _height, page in pages_at(
            pw, ((1366, 768),), problems
        ):  # the smallest: 4K is the nav tour's
            sign_in(page, url, accounts["admin"], then="map")
            page.wait_for_selector("#map .main-svg")
            _pick(page, "map-dates", first, last)
            page.wait_for_function(
                "() => !document.querySelector('.windows input:checked')"
            )  # no preset chosen
            page.click(".side-panel .compare-menu > summary")
            page.wait_for_function("t => (document.querySelector('.side-panel .compare-period') || {}).innerText?.includes(t)", arg=f"本期 {first} 至 {last}")  # fmt: skip
            seen = page.evaluate(COMPARED, ".side-panel .compare-menu")
            assert seen["inside"] and seen["firsts"] == ["指标", "街道"], (width, seen)
            save_screenshot(page, f"compare-map-{width}.png", readme="compare-map.png")
            page.click(".windows label:has-text('近7天')")  # a preset again: the days are cleared
            page.wait_for_function("() => !document.querySelector('#map-dates-start').value")
    assert not problems, (problems, log.read_text()[-2000:])
