"""Inspection planning: risk scores, plans, follow-ups and exports, on hand-built data and the demo."""

import datetime as dt
import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.errors import InputError
from geo.inspection_kinds import INSPECTION_KINDS
from geo.inspection_settings import InspectionSettings
from layers import routing
from layers.cycles import round_coverage, round_of
from layers.export_heading import Heading
from layers.network import NetworkCache
from layers.plan import Plan, PlanRequest, Stop, TeamDay, make_plan
from layers.plan_export import HEADERS, SUMMARY_HEADERS, plan_heading, plan_html, plan_print, plan_workbook
from layers.register import risk_register
from layers.risk import score
from layers.visits import VisitRecord, record_visit
from tests.plans import flat as _flat  # others import _flat, _problem from here too
from tests.plans import problem as _problem
from tests.sql import one

TODAY = dt.date(2026, 6, 10)
SETTINGS = InspectionSettings()


def _facts(**columns):
    base = {
        "last_visit": pd.Timestamp("2026-06-01 10:00", tz="Asia/Shanghai"),
        "interval_days": 30,
        "hazards": 0,
        "rectifications_late": 0,
        "incidents": 0,
        "vulnerable": 0,
        "risk_level": 1,
    }
    return pd.DataFrame([{**base, **columns}])


@pytest.mark.parametrize(
    ("columns", "points"),
    [
        ({}, {}),  # visited 9 days ago, every 30 days: nothing
        ({"last_visit": pd.Timestamp("2026-04-26 09:00", tz="Asia/Shanghai")}, {"overdue": 40 * 15 / 30}),
        ({"last_visit": pd.Timestamp("2025-01-01", tz="Asia/Shanghai")}, {"overdue": 40}),  # capped
        ({"last_visit": pd.NaT}, {"overdue": 40}),  # never visited
        ({"hazards": 2}, {"hazards": 16}),
        ({"hazards": 9}, {"hazards": 24}),
        ({"rectifications_late": 2}, {"rectification": 25}),
        ({"incidents": 3}, {"incidents": 6}),
        ({"vulnerable": 4}, {"vulnerable": 15}),
        ({"risk_level": 3}, {"level": 10}),
    ],
)
def test_each_risk_factor_and_its_cap(columns, points):
    row = score(_facts(**columns), today=TODAY).iloc[0]
    for factor in ("overdue", "hazards", "rectification", "incidents", "vulnerable", "level"):
        assert row[f"pts_{factor}"] == pytest.approx(points.get(factor, 0), abs=0.05), factor
    assert row["score"] == pytest.approx(sum(points.values()), abs=0.1)
    assert (row["why"] == "—") == (not points)


def test_the_score_explains_itself():
    row = score(_facts(hazards=2, rectifications_late=1, risk_level=2), today=TODAY).iloc[0]
    assert row["why"] == "既往隐患 2 次 times +16; 整改逾期 1 项 open +25; 风险等级 2 级 +5"
    assert row["days_since"] == 9 and row["due_in"] == 21


def test_a_plan_keeps_capacity_visits_each_target_once_and_keeps_every_mandatory_one():
    problem = _problem(mandatory=set(range(0, 40, 4)), last_day=0)  # 10 mandatory, due on day 1
    routes = routing.solve(problem, seconds=0.5)
    visited = _flat(routes)
    assert len(visited) == len(set(visited)) == 2 * 3 * 5  # full: 30 of 40
    assert all(len(team) <= 5 for day in routes for team in day)
    assert set(range(0, 40, 4)) <= set(visited)
    assert set(range(0, 40, 4)) <= set(routes[0][0] + routes[0][1])  # on the first day, as due


def test_mandatory_visits_beyond_capacity_are_the_only_ones_left_out():
    problem = _problem(n=12, teams=1, days=1, capacity=5, mandatory=set(range(8)))
    visited = _flat(routing.solve(problem, seconds=0.3))
    assert len(visited) == 5 and set(visited) <= set(range(8))  # capacity first goes to mandatory ones


def test_a_round_trip_is_no_longer_than_nearest_neighbour():
    problem = _problem(n=10, teams=1, days=1, capacity=10)
    stops = routing.solve(problem, seconds=0.3)[0][0]
    left, here, greedy = set(range(10)), -1, []
    while left:
        here = min(left, key=lambda s: problem.matrix[here + 1, s + 1])
        greedy.append(here)
        left.remove(here)
    assert routing.route_length(problem.matrix, stops) <= routing.route_length(problem.matrix, greedy)


@pytest.fixture(scope="module")
def street(demo):
    return one(demo, "SELECT street_id FROM inspection_target GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")


def test_a_demo_street_plan_keeps_its_promises(demo, street):
    request = PlanRequest(
        street=street, start=dt.date.today(), days=3, teams=2, visits_per_day=6, seconds=0.5
    )
    with demo.connect() as conn:
        plan = make_plan(conn, NetworkCache().get(conn), request, today=dt.date.today(), settings=SETTINGS)
    targets = [s.target for r in plan.routes for s in r.stops]
    assert plan.network and len(targets) == len(set(targets)) <= 2 * 3 * 6
    assert all(len(r.stops) <= 6 for r in plan.routes)
    assert not plan.missed_mandatory or len(targets) == 36  # a mandatory one is left out only when full
    assert all(
        r.distance_m > 0 and r.minutes > len(r.stops) * SETTINGS.minutes_per_visit for r in plan.routes
    )
    pinned, dropped = plan.left_out[:1], targets[:1]
    again = PlanRequest(**{**request.__dict__, "pinned": frozenset(pinned), "dropped": frozenset(dropped)})
    with demo.connect() as conn:
        replanned = make_plan(conn, NetworkCache().get(conn), again, today=dt.date.today(), settings=SETTINGS)
    now = [s.target for r in replanned.routes for s in r.stops]
    assert set(pinned) <= set(now) and not set(dropped) & set(now)


def test_an_unknown_street_gets_a_clear_error(demo):
    with demo.connect() as conn, pytest.raises(InputError, match="no street"):
        make_plan(
            conn,
            NetworkCache().get(conn),
            PlanRequest(street=2_000_000_000, start=TODAY),
            today=TODAY,
            settings=SETTINGS,
        )


def test_a_recorded_hazard_schedules_its_follow_up_and_a_pass_closes_it(demo, street):
    """Its visits are the target's latest whatever else recorded one (the demo's rounds run to
    today; a browser test records visits today): a month ahead."""
    day = dt.date.today() + dt.timedelta(days=30)
    with demo.connect() as conn:
        trans = conn.begin()
        target = conn.exec_driver_sql(
            "SELECT id FROM inspection_target t WHERE street_id = %(s)s AND NOT EXISTS (SELECT 1 FROM inspection i "
            "WHERE i.target_id = t.id AND i.rectified_at IS NULL AND i.rectify_deadline IS NOT NULL) ORDER BY id LIMIT 1",
            {"s": street},
        ).scalar_one()
        visit = dt.datetime.combine(day, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=8)))
        record_visit(
            conn, VisitRecord(target, visit, "hazard", inspector="王五", notes="灭火器过期"), recheck_days=7
        )
        row = risk_register(conn, street=street, today=day).set_index("id").loc[target]
        assert row["first_deadline"] == day + dt.timedelta(days=7) and row["rectifications_open"] == 1
        request = PlanRequest(
            street=street, start=day + dt.timedelta(days=1), days=7, teams=1, visits_per_day=3, seconds=0.3
        )
        plan = make_plan(conn, NetworkCache().get(conn), request, today=day, settings=SETTINGS)
        stop = next(s for r in plan.routes for s in r.stops if s.target == target)
        assert stop.why == "rectification"
        later = visit + dt.timedelta(days=5)
        record_visit(conn, VisitRecord(target, later, "passed"), recheck_days=7)
        row = risk_register(conn, street=street, today=day + dt.timedelta(days=5)).set_index("id").loc[target]
        assert row["rectifications_open"] == 0 and bool(row["last_passed"])
        trans.rollback()


def test_round_coverage_counts_every_site_of_the_round(demo, street):
    assert round_of(30, dt.date(2026, 2, 3)) == (dt.date(2026, 1, 31), dt.date(2026, 3, 1))
    assert round_of(90, dt.date(2026, 12, 30)) == (dt.date(2026, 12, 27), dt.date(2026, 12, 31))
    with demo.connect() as conn:
        rounds = round_coverage(conn, street=street, today=dt.date.today(), registry=INSPECTION_KINDS)
        total = conn.exec_driver_sql(
            "SELECT count(*) FROM inspection_target WHERE street_id = %(s)s", {"s": street}
        ).scalar()
    assert sum(r.due for r in rounds) == total
    assert all(r.visited + len(r.missing) == r.due and r.start <= dt.date.today() <= r.end for r in rounds)


EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _plan_with(name):
    stop = Stop(1, name, "market", "=1+2", "rectification", 55.0, 113.30, 40.08, 120.0)
    route = TeamDay(
        dt.date(2026, 6, 11), 1, (stop,), 240.0, 23.2, ((113.299, 40.079), (113.30, 40.08), (113.299, 40.079))
    )
    return Plan(
        PlanRequest(street=1, start=dt.date(2026, 6, 11)), ("街道办<b>", 113.299, 40.079), (route,), True, 1
    )


HEADING = Heading("某区", "某街道", "", "王五", dt.datetime(2026, 6, 10, 1, 30, tzinfo=dt.UTC))


def test_the_html_map_loads_nothing_from_outside_and_escapes_names():
    page = plan_html(_plan_with(EVIL), heading=plan_heading(HEADING, _plan_with(EVIL)))
    assert not re.search(r"<(script|link|img)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "url(http" not in page and "@import" not in page
    assert EVIL not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    assert "L.map(" in page and "leaflet" in page.lower()
    assert (
        "巡查计划 某街道" in page and "某区 · 某街道" in page and "06-11 第1组" in page
    )  # title block, legend


def test_the_html_map_draws_the_streets_roads_first_under_the_routes():
    roads = {"arterial": {"type": "MultiLineString", "coordinates": [[[113.29, 40.07], [113.31, 40.09]]]}}
    page = plan_html(_plan_with("x"), heading=plan_heading(HEADING, _plan_with("x")), roads=roads)
    assert "[[113.29, 40.07], [113.31, 40.09]]" in page and "#b8c3d1" in page  # the arterial, its look
    roads, office, routes = (page.index(f"{x}_") for x in ("geo_json", "circle_marker", "poly_line"))
    assert roads < office < routes


def test_the_workbook_has_a_titled_sheet_per_team_day_in_chinese_and_guards_formulas():
    plan = _plan_with("=HYPERLINK(1)")
    book = load_workbook(
        io.BytesIO(plan_workbook(plan, heading=plan_heading(HEADING, plan), kinds={"market": "便民市场"}))
    )
    assert book.sheetnames == ["汇总", "06-11 第1组"]
    day = book["06-11 第1组"]
    rows = list(day.values)
    assert rows[0][0] == "巡查路线 06-11 第1组 team 1" and rows[1][0] == "某区 · 某街道"
    assert "2026-06-11 至 2026-06-15（5 天 · 3 组）" in rows[2][0] and "王五 · 2026-06-10 09:30" in rows[3][0]
    head = rows.index(HEADERS)
    assert rows[head + 1][1:4] == ("'=HYPERLINK(1)", "便民市场", "'=1+2") and len(rows) == head + 2
    assert day.freeze_panes == f"A{head + 2}" and day.page_setup.orientation == "landscape"
    summary = list(book["汇总"].values)
    assert summary[summary.index(SUMMARY_HEADERS) + 1] == ("2026-06-11", "第1组", 1, 0.2, 0.4)


def test_the_print_pages_escape_and_break_per_team_day_with_a_title_block_and_a_route_map():
    page = plan_print(_plan_with(EVIL), heading=HEADING)
    assert (
        page.count("<section>") == 1 and "size: A4" in page and EVIL not in page and "街道办&lt;b&gt;" in page
    )
    assert "某区 · 某街道" in page and page.count("<svg") == 1 and "<polyline" in page and ">1</text>" in page


def test_file_names_say_what_where_and_when():
    heading = Heading("某区", "新/旺 街道", "", "x", dt.datetime(2026, 6, 10, 20, tzinfo=dt.UTC))
    assert heading.file_name("巡查计划", "xlsx") == "巡查计划-新_旺_街道-20260611.xlsx"  # Beijing's date
    assert heading.file_name("巡查地图", "html", day=dt.date(2026, 6, 12)).endswith("-20260612.html")
