"""The wall screen in headless Chromium at 1920×1080, served by the real `gridgov serve`.

KPIs are checked against SQL written here, independently of layers/; drill-down by clicking a
street on the map and back by the breadcrumb; the periodic refresh keeps the drill-down; kiosk
mode moves on by itself; the console stays clean and nothing leaves localhost.
"""

from __future__ import annotations

import datetime as dt
import re

import chinese_calendar
import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from geo.settings import PROJECT_ROOT
from geo.sla import SlaRules
from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, save_screenshot, sign_in, wait_map_idle
from tests.browser import host as _host
from tests.sql import all_rows, one

pytestmark = pytest.mark.browser
CST = dt.timezone(dt.timedelta(hours=8))
# the test server's settings file (GRIDGOV_DISTRICT_FILE is not set)
DISTRICT_FILE = PROJECT_ROOT / "data" / "district.toml"
SNAPSHOT = """() => ({
    asOf: document.querySelector('#m-as-of').innerText,
    kpis: Object.fromEntries([...document.querySelectorAll('.kpi-value')].map(e => [e.id, e.childNodes[0].textContent])),
    crumbs: document.querySelector('#m-crumbs').innerText,
    title: document.querySelector('#m-rank-title').innerText,
})"""
PROJECT = """([lon, lat]) => {
    const gd = document.querySelector('#m-map .js-plotly-plot');
    const p = gd._fullLayout.map._subplot.map.project([lon, lat]);
    const box = gd.getBoundingClientRect();
    return [box.left + p.x, box.top + p.y];
}"""
_OPEN = "i.reported_at <= :now AND (i.closed_at IS NULL OR i.closed_at > :now)"


PERIODS = SlaRules.from_file(PROJECT_ROOT / "data" / "district.toml").calendar.periods


def office_hours(start: dt.datetime, end: dt.datetime) -> float:
    """Office hours from ``start`` to ``end``, day by day: the demo district's office periods on
    the days chinese-calendar says are worked (the demo's file adds no days of its own), in whole
    minutes as the working clock counts them."""
    a, b = (t.astimezone(CST).replace(second=0, microsecond=0) for t in (start, end))
    total = 0.0
    day = a.date()
    while day <= b.date():
        if chinese_calendar.is_workday(day):
            for lo, hi in PERIODS:
                open_ = dt.datetime.combine(day, dt.time(lo // 60, lo % 60), CST)
                close = dt.datetime.combine(
                    day, dt.time(hi // 60, hi % 60) if hi < 1440 else dt.time.max, CST
                )
                total += max((min(b, close) - max(a, open_)).total_seconds(), 0.0)
        day += dt.timedelta(days=1)
    return total / 3600


def expected_kpis(engine, now: dt.datetime, street_id: int | None = None) -> dict[str, str]:
    """The tiles as the page should print them, from SQL written for this test."""
    local = now.astimezone(CST)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    scope = "i.duplicate_of IS NULL" + ("" if street_id is None else " AND i.street_id = :s")
    p = {"now": now, "day": day, "month": month, "s": street_id}
    count = lambda cond: one(engine, f"SELECT count(*) FROM incident i WHERE {scope} AND {cond}", **p)  # noqa: E731
    due = "i.deadline_at >= :month AND i.deadline_at < :now"
    due_n, on_time = count(due), count(f"{due} AND i.closed_at <= i.deadline_at")
    end = "coalesce(i.handled_at, i.closed_at)"
    spans = all_rows(
        engine,
        f"SELECT coalesce(i.registered_at, i.reported_at), {end} "
        f"FROM incident i WHERE {scope} AND {end} >= :month AND {end} <= :now",
        **p,
    )
    hours = sum(office_hours(a, b) for a, b in spans) / len(spans) if spans else None
    month_cases = "i.reported_at >= :month AND i.reported_at < :now"
    satisfied, callbacks = (
        count(f"{month_cases} AND i.satisfaction IN ('satisfied', 'basic')"),
        count(f"{month_cases} AND i.satisfaction IS NOT NULL"),
    )
    resolved, answered = (
        count(f"{month_cases} AND i.resolved"),
        count(f"{month_cases} AND i.resolved IS NOT NULL"),
    )
    signed_in_time, signable = _response(engine, scope, month_cases, p)
    return {
        "kpi-open": f"{count(_OPEN):,}",
        "kpi-new_today": f"{count('i.reported_at >= :day AND i.reported_at < :now'):,}",
        "kpi-overdue": f"{count(f'{_OPEN} AND i.deadline_at < :now'):,}",
        "kpi-on_time_closure": "—" if not due_n else f"{on_time / due_n:.1%}",
        "kpi-handling_hours": "—" if hours is None else f"{float(hours):.1f}",
        "kpi-response": "—" if not signable else f"{signed_in_time / signable:.1%}",
        "kpi-resolution": "—" if not answered else f"{resolved / answered:.1%}",
        "kpi-satisfaction": "—" if not callbacks else f"{satisfied / callbacks:.1%}",
    }


def _response(engine, scope: str, cases: str, params: dict[str, object]) -> tuple[int, int]:
    """Cases signed for in time, and cases due to be signed, this month (the sign-off deadline
    from the district file's SLA clock; only sources that report 签收)."""
    rows = all_rows(
        engine,
        "SELECT extract(epoch FROM i.reported_at), extract(epoch FROM i.signed_at) FROM incident i "
        f"WHERE {scope} AND {cases} AND i.source IN (SELECT source FROM incident WHERE signed_at IS NOT NULL)",
        **params,
    )
    reported = np.array([float(r) for r, _ in rows])
    signed = np.array([np.nan if s is None else float(s) for _, s in rows])
    due, t = SlaRules.from_file(DISTRICT_FILE).sign_off_due(reported), params["now"].timestamp()
    counted = (signed <= t) | (due <= t)
    return int((counted & (signed <= due) & (signed <= t)).sum()), int(counted.sum())


def page_now(as_of: str) -> dt.datetime:
    stamp = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", as_of)
    assert stamp, as_of
    return dt.datetime.strptime(stamp.group(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)


def _snapshot(page):
    return page.evaluate(SNAPSHOT)


# scroll the places' ranking to its end: is its last row then inside the box (and its header too)?
LAST_RANK_ROW_JS = """() => {
  const table = document.querySelector('#m-ranking table.ranking');
  let box = table.parentElement;
  while (box && box.scrollHeight <= box.clientHeight && box.id !== 'm-ranking') box = box.parentElement;
  box.scrollTop = box.scrollHeight;
  const rows = table.querySelectorAll('tbody tr');
  const last = rows[rows.length - 1].getBoundingClientRect(), outer = box.getBoundingClientRect();
  const head = table.querySelector('thead th').getBoundingClientRect();
  const ok = rows.length > 0 && last.bottom <= outer.bottom + 1 && last.top >= outer.top && head.top >= outer.top - 1;
  return {ok, rows: rows.length, box: box.className || box.id, last: [last.top, last.bottom],
          outer: [outer.top, outer.bottom], head: head.top, overflow: getComputedStyle(box).overflowY};
}"""


def _wait_map(page):
    page.wait_for_selector("#m-map .maplibregl-canvas", timeout=60_000)
    page.wait_for_function(
        "() => !!document.querySelector('#m-map .js-plotly-plot')?._fullLayout?.map?._subplot"
    )
    wait_map_idle(page, "#m-map")


@pytest.fixture
def monitor(wall_server):
    """The session's `gridgov serve` refreshing every 4 s, kiosk every 3 s (conftest.wall_server)."""
    return wall_server


def test_the_wall_screen_kpis_drill_down_refresh_and_kiosk(monitor, demo, accounts):
    url, _log = monitor
    requests, problems = [], []
    street_id, street_name, lon, lat = all_rows(
        demo,
        "SELECT id, name, ST_X(p), ST_Y(p) FROM (SELECT id, name, code, ST_PointOnSurface(geom) p FROM street "
        "WHERE valid_to IS NULL) s ORDER BY ST_Area(ST_Buffer(p, 0.001)), code LIMIT 1",
    )[0]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        leaving: list[bool] = []  # an update cut off because the test leaves the page is no failure
        page.on(
            "requestfailed",
            lambda r: (
                None
                if leaving and r.failure == "net::ERR_ABORTED"
                else problems.append(f"failed: {r.url} {r.failure}")
            ),
        )
        sign_in(page, url, accounts["admin"])
        _wait_map(page)

        # fits 1920×1080 without scrolling, and every KPI matches the database
        assert page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        ) == [1920, 1080]
        snap = _snapshot(page)
        assert snap["kpis"] == expected_kpis(demo, page_now(snap["asOf"])), snap
        assert snap["title"] == "街道排名"
        save_screenshot(page, "monitor-1920x1080.png", readme="monitor.png")
        # every street is reachable in the ranking: its box scrolls to the last row, header kept
        reach = page.evaluate(LAST_RANK_ROW_JS)
        assert reach["ok"], str(reach)  # the last street of the ranking can be brought into view

        # a click on a street drills down; every panel follows
        x, y = page.evaluate(PROJECT, [lon, lat])
        page.mouse.click(x, y)
        page.wait_for_function(
            "() => document.querySelector('#m-rank-title').innerText === '社区/村排名'", timeout=30_000
        )
        snap = _snapshot(page)
        assert street_name in snap["crumbs"]
        assert snap["kpis"] == expected_kpis(demo, page_now(snap["asOf"]), street_id), snap
        save_screenshot(page, "monitor-street-1920x1080.png", readme="monitor-street.png")
        # a street's days have few incidents: the trend's count axis still ticks at whole numbers
        ticks = page.eval_on_selector_all("#m-trend .ytick text", "els => els.map(e => e.textContent)")
        assert ticks and all(t.replace(",", "").isdigit() for t in ticks), ticks

        # the refresh comes and the drill-down stays
        before = snap["asOf"]
        page.wait_for_function(
            f"() => document.querySelector('#m-as-of').innerText !== {before!r}", timeout=30_000
        )
        assert street_name in _snapshot(page)["crumbs"]

        # the breadcrumb goes back up
        page.get_by_role("button", name="平城区").click()
        page.wait_for_function(
            "() => document.querySelector('#m-rank-title').innerText === '街道排名'", timeout=30_000
        )
        assert street_name not in _snapshot(page)["crumbs"]

        # kiosk mode moves through the streets on its own
        leaving.append(True)
        page.goto(url + "monitor?kiosk=1")
        leaving.clear()
        _wait_map(page)
        page.wait_for_function(
            "() => document.querySelector('#m-rank-title').innerText === '社区/村排名'", timeout=30_000
        )
        # nothing to click or type on it; it says where the tour is, how long until it moves on,
        # and the time
        page.wait_for_function(
            "() => /当前 .+ · 下一个 .+/.test(document.querySelector('#m-kiosk-status').innerText)"
        )
        page.wait_for_function("() => /^\\d+ s$/.test(document.querySelector('.kiosk-countdown').innerText)")
        assert re.fullmatch(r"\d\d:\d\d:\d\d", page.inner_text(".kiosk-clock"))
        hidden = [s for s in (".map-box .hint", ".lang", ".case-form", ".logout") if page.is_visible(s)]
        assert not hidden, hidden
        leaving.append(True)
        browser.close()

    assert requests and not problems, problems
    foreign = sorted({u for u in requests if _host(u) not in LOCAL_HOSTS})
    assert not foreign, foreign
