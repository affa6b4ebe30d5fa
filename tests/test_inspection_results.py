"""Inspection results, campaigns and the weekly 探访 round (#18), on a district the demo never
saw (测试区): its targets loaded from a file with its own column names by `gridgov ingest`, its
visits recorded as the planning page records them, every figure worked out by hand here."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from dashboard.app import create_app
from dashboard.callback_request import PATH
from dashboard.results import layout as L
from dashboard.results.views import period_from
from geo.campaigns import Campaign, campaigns_from_file
from geo.errors import ConfigError, InputError
from geo.inspection_kinds import INSPECTION_KINDS
from layers.campaigns import progress
from layers.cycles import round_of, rounds_between
from layers.inspection_results import COUNTS, Period, results, totals
from layers.visits import VisitRecord, record_visit
from tests.auth import client_for, make_account
from tests.callbacks import callback_request, page_values
from tests.databases import fresh_database
from tests.small_district import NORTH, SOUTH, STREETS, ingest
from tests.sql import one

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
WEST_LON, EAST_LON = 116.45, 116.49  # 东坝街道, 金盏街道
NORTH_LAT, SOUTH_LAT = NORTH - 0.006, SOUTH + 0.006  # 社区 (north half), 村 (south half)
# code, kind as the ledger writes it, name, lon, lat
TARGETS = (
    ("H1", "民宿", "东坝民宿", WEST_LON, NORTH_LAT),
    ("H2", "民宿", "金盏民宿", EAST_LON, NORTH_LAT),
    ("B1", "平房", "东坝村平房", WEST_LON, SOUTH_LAT),
    ("C1", "禁煤巡查点", "金盏村禁煤点", EAST_LON, SOUTH_LAT),
    ("C2", "禁煤巡查点", "东坝村禁煤点", WEST_LON, SOUTH_LAT + 0.001),
    ("C3", "禁煤巡查点", "东坝村散煤户", WEST_LON, SOUTH_LAT + 0.002),
    ("E1", "独居老人探访", "东坝社区1号楼 高龄老人1户", WEST_LON, NORTH_LAT + 0.001),
    ("E2", "独居老人探访", "东坝社区2号楼 高龄老人1户", WEST_LON, NORTH_LAT + 0.002),
)
# target, day, hour, outcome, due (责令整改)
VISITS = (
    ("H1", dt.date(2026, 10, 20), 9, "passed", None),  # before the period: not counted
    ("H1", dt.date(2026, 11, 5), 9, "rectify", dt.date(2026, 11, 20)),  # due in it, never done
    ("H2", dt.date(2026, 11, 10), 9, "fixed", None),
    ("B1", dt.date(2026, 11, 3), 9, "hazard", None),  # rechecked after 7 days: due 11-10
    ("B1", dt.date(2026, 11, 12), 9, "passed", None),  # ... and put right on 11-12
    ("C3", dt.date(2026, 10, 10), 9, "closed", None),  # closed before the period: not a site
    ("C1", dt.date(2026, 11, 15), 9, "closed", None),  # closed in it: a site, visited
    ("C2", dt.date(2026, 12, 2), 9, "passed", None),  # after the period
    ("E1", dt.date(2026, 11, 2), 9, "passed", None),
    ("E1", dt.date(2026, 11, 9), 9, "passed", None),
    ("E1", dt.date(2026, 11, 18), 9, "passed", None),
    ("E2", dt.date(2026, 11, 3), 9, "passed", None),
    ("E2", dt.date(2026, 11, 25), 23, "passed", None),  # late at night, Beijing time: still the 25th
)


@pytest.fixture(scope="module")
def town(cluster, small_district, tmp_path_factory):
    """The small district with TARGETS (ingested from a CSV: 编码, 种类, 场所名称, lng, lat) and
    VISITS; the engine and the targets' ids by code."""
    folder = tmp_path_factory.mktemp("results")
    path = folder / "场所台账.csv"
    pd.DataFrame(TARGETS, columns=["编码", "种类", "场所名称", "lng", "lat"]).to_csv(path, index=False)
    with fresh_database(cluster, template=small_district) as engine:
        ingest(engine, "inspection-targets", path, "--crs", "wgs84")
        with engine.begin() as conn:
            ids = dict(conn.execute(sa.text("SELECT source_id, id FROM inspection_target")).all())
            for code, day, hour, outcome, due in VISITS:
                at = dt.datetime.combine(day, dt.time(hour), tzinfo=BEIJING)
                record = VisitRecord(ids[code], at, outcome, inspector="张三", due=due)
                record_visit(conn, record, recheck_days=7)
        yield engine, ids


def _street(engine, name: str) -> int:
    return one(engine, "SELECT id FROM street WHERE name = :n AND valid_to IS NULL", n=name)


def test_the_periods_results_are_those_worked_out_by_hand(town):
    engine, _ = town
    with engine.connect() as conn:
        frame = results(conn, NOVEMBER)
    got = {(r.community, r.kind): r for r in frame.itertuples()}
    # (sites, visited, visits, problems, fixed, closed, referred, rectified, overdue)
    expected = {
        ("东坝社区", "homestay"): (1, 1, 1, 1, 0, 0, 0, 0, 1),  # 责令整改 due 11-20, not done
        ("金盏社区", "homestay"): (1, 1, 1, 1, 1, 0, 0, 1, 0),  # fixed on the spot
        ("东坝村", "bungalow"): (1, 1, 2, 1, 0, 0, 0, 1, 0),  # hazard, then passed: rectified
        ("金盏村", "coal_ban"): (1, 1, 1, 1, 0, 1, 0, 0, 0),  # closed down in the period
        ("东坝村", "coal_ban"): (1, 0, 0, 0, 0, 0, 0, 0, 0),  # C3 closed before it; C2 after it
        ("东坝社区", "elder_visit"): (2, 2, 5, 0, 0, 0, 0, 0, 0),
    }
    columns = tuple(c for c in COUNTS if c != "done")  # done: checked against visited below
    assert {k: tuple(getattr(r, c) for c in columns) for k, r in got.items()} == expected
    assert (frame.done == frame.visited).all()  # one visit needed outside a campaign
    total = totals(frame).iloc[0]
    assert (total.sites, total.visits, total.problems, total.rectified, total.overdue) == (7, 10, 4, 2, 1)
    by_street = totals(frame, by="street").set_index("street")
    assert by_street.loc[STREETS[0][1], "sites"] == 5 and by_street.loc[STREETS[1][1], "sites"] == 2


def test_a_rectification_done_late_is_overdue_until_it_is_done(town):
    engine, _ = town
    with engine.connect() as conn:  # B1: due 11-10, put right on 11-12
        before = totals(
            results(conn, Period(dt.date(2026, 11, 1), dt.date(2026, 11, 11)), kinds=("bungalow",))
        )
        after = totals(
            results(conn, Period(dt.date(2026, 11, 1), dt.date(2026, 11, 12)), kinds=("bungalow",))
        )
    assert (before.iloc[0].overdue, before.iloc[0].rectified) == (1, 0)
    assert (after.iloc[0].overdue, after.iloc[0].rectified) == (0, 1)


COAL = Campaign("冬季禁煤", ("coal_ban",), dt.date(2026, 11, 1), dt.date(2026, 12, 31))


def test_campaign_progress_against_its_time(town):
    engine, _ = town
    jinzhan = _street(engine, STREETS[1][1])
    with engine.connect() as conn:
        day30 = progress(conn, COAL, today=dt.date(2026, 11, 30))
        twice = progress(conn, dataclasses.replace(COAL, visits=2), today=dt.date(2026, 11, 30))
        one_street = progress(
            conn, dataclasses.replace(COAL, streets=(STREETS[1][1],)), today=dt.date(2026, 11, 30)
        )
        by_code = progress(
            conn, dataclasses.replace(COAL, streets=(STREETS[1][0], "幸福街道")), today=dt.date(2026, 11, 30)
        )
        within = progress(conn, COAL, today=dt.date(2026, 11, 30), within=jinzhan)
        early = progress(conn, COAL, today=dt.date(2026, 10, 1))
        later = progress(conn, COAL, today=dt.date(2027, 1, 5))
    # C1 and C2 (C3 was closed before the campaign): C1 visited once by the 30th of its 61 days
    assert (day30.total("sites"), day30.total("done"), day30.share_done) == (2, 1, 0.5)
    assert COAL.elapsed(dt.date(2026, 11, 30)) == pytest.approx(30 / 61)
    assert day30.state == "ahead"  # 50 % done after 49 % of its time
    assert (twice.total("done"), twice.state) == (0, "behind")
    assert (one_street.total("sites"), one_street.total("done"), one_street.unknown_streets) == (1, 1, ())
    assert by_code.total("sites") == 1 and by_code.unknown_streets == ("幸福街道",)
    assert within.by_street.street.tolist() == [STREETS[1][1]]
    assert (early.state, early.total("sites"), early.total("done")) == ("upcoming", 2, 0)
    assert (later.state, later.total("done")) == ("ended", 2)  # C2's visit on 12-02 counts


def test_the_weekly_round_goes_by_calendar_weeks(town):
    engine, _ = town
    assert round_of(7, dt.date(2026, 11, 1)) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))  # a Sunday
    assert round_of(7, dt.date(2026, 11, 30)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    with engine.connect() as conn:
        weeks = rounds_between(conn, kind="elder_visit", interval_days=7, start=NOVEMBER.start, end=NOVEMBER.end, today=dt.date(2026, 11, 30))  # fmt: skip
    assert [(t.start.isoformat(), t.due, t.visited) for t in weeks] == [
        ("2026-10-26", 2, 0), ("2026-11-02", 2, 2), ("2026-11-09", 2, 1), ("2026-11-16", 2, 1),
        ("2026-11-23", 2, 1), ("2026-11-30", 2, 0),
    ]  # fmt: skip
    assert [t.ongoing for t in weeks] == [False] * 5 + [True]  # the 30th is the Monday of its week
    assert INSPECTION_KINDS["elder_visit"].interval_days == 7


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "district.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_campaigns_in_the_district_file_are_checked(tmp_path):
    good = '[[campaigns]]\nname = "禁煤"\nkinds = ["禁煤巡查点", "scrap_station"]\nstart = 2026-11-01\nend = 2026-12-31\nvisits = 2\n'
    assert campaigns_from_file(_write(tmp_path, good), kinds=INSPECTION_KINDS) == (
        Campaign("禁煤", ("coal_ban", "scrap_station"), dt.date(2026, 11, 1), dt.date(2026, 12, 31), (), 2),
    )
    bad = {
        'name = "x"\nkinds = ["加油站"]\nstart = 2026-11-01\nend = 2026-12-01': "unknown inspection kinds ['加油站']",
        'name = "x"\nkinds = ["民宿"]\nstart = "2026-11-01"\nend = 2026-12-01': "dates written as 2026-10-15",
        'name = "x"\nkinds = ["民宿"]\nstart = 2026-12-01\nend = 2026-11-01': "is before start",
        'kinds = ["民宿"]\nstart = 2026-11-01\nend = 2026-12-01': "name is required",
        'name = "x"\nkinds = ["民宿"]\nstart = 2026-11-01\nend = 2026-12-01\nvisits = 0': "visits is a whole number",
        'name = "x"\nkinds = ["民宿"]\nstart = 2026-11-01\nend = 2026-12-01\nteams = 3': "unknown keys ['teams']",
    }
    for body, message in bad.items():
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
            campaigns_from_file(_write(tmp_path, f"[[campaigns]]\n{body}\n"), kinds=INSPECTION_KINDS)
    with pytest.raises(ConfigError, match="used twice"):
        campaigns_from_file(_write(tmp_path, good + "\n" + good), kinds=INSPECTION_KINDS)
    with pytest.raises(ConfigError, match=r"\[\[campaigns\]\] tables"):
        campaigns_from_file(_write(tmp_path, "[campaigns]\nname = 1\n"), kinds=INSPECTION_KINDS)


def test_the_period_from_the_browser_is_checked():
    today = dt.date(2026, 12, 5)
    assert period_from(None, None, today=today) == Period(dt.date(2026, 12, 1), today)
    assert period_from("2026-11-01", "2026-11-30T00:00:00", today=today) == NOVEMBER
    for start, end in (("2026-12-01", "2026-11-01"), ("not a date", None), ("2020-01-01", "2026-12-01")):
        with pytest.raises(InputError):
            period_from(start, end, today=today)


@pytest.fixture(scope="module")
def results_app(settings, town, tmp_path_factory):
    """The app on the town with a district file of its own (COAL, nothing else), and a leader
    of 金盏街道 only."""
    engine, _ = town
    folder = tmp_path_factory.mktemp("results-app")
    district = _write(folder, '[[campaigns]]\nname = "冬季禁煤"\nkinds = ["coal_ban"]\nstart = 2026-11-01\nend = 2026-12-31\n')  # fmt: skip
    app = create_app(dataclasses.replace(settings, district_file=district), engine)
    leader = make_account(engine, "results_leader", "street_leader", streets=[STREETS[1][0]])
    admin = make_account(engine, "results_admin", "admin")
    return app, client_for(app.server, leader), client_for(app.server, admin)


def _call(app, client, key_start: str, overrides):
    values = page_values(client, "/results")
    key = next(k for k in app.callback_map if k.startswith(key_start))
    body = callback_request(key, app.callback_map[key], values, overrides)
    response = client.post(PATH, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def _text(node) -> str:
    if isinstance(node, list):
        return "".join(_text(n) for n in node)
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children"))
    return "" if node is None else str(node)


PERIOD = {(L.DATES, "start_date"): "2026-11-01", (L.DATES, "end_date"): "2026-11-30"}


def test_the_page_shows_a_leader_their_own_street_only(results_app):
    app, leader, admin = results_app
    mine = _call(app, leader, f"..{L.CAMPAIGNS}.children", PERIOD)
    everyone = _call(app, admin, f"..{L.CAMPAIGNS}.children", PERIOD)
    rows, all_rows = mine[L.TABLE]["rowData"], everyone[L.TABLE]["rowData"]
    assert {r["street"] for r in rows} == {STREETS[1][1]}  # the database's row scope: 金盏街道's rows
    assert {r["community"] for r in all_rows} == {"东坝社区", "东坝村", "金盏社区", "金盏村"}
    assert sum(r["sites"] for r in all_rows) == 7 and sum(r["overdue"] for r in all_rows) == 1
    assert "已整改 2" in _text(everyone[L.ABOUT]["children"]) and "对象数 2" in _text(
        mine[L.ABOUT]["children"]
    )
    assert "冬季禁煤" in _text(mine[L.CAMPAIGNS]["children"])
    assert "高龄独居老人探访" in _text(everyone[L.WEEKLY]["children"])
    assert "高龄独居老人探访" not in _text(mine[L.WEEKLY]["children"])  # no elders in 金盏街道
    wrong = _call(app, admin, f"..{L.CAMPAIGNS}.children", {(L.DATES, "start_date"): "2026-12-01", (L.DATES, "end_date"): "2026-11-01"})  # fmt: skip
    assert "ends before it starts" in _text(wrong[L.MESSAGE]["children"])


def test_the_export_has_a_sheet_per_section_and_is_audited(results_app, town):
    app, _, admin = results_app
    engine, _ = town
    out = _call(app, admin, f"..{L.DOWNLOAD}.data", PERIOD)
    book = load_workbook(io.BytesIO(base64.b64decode(out[L.DOWNLOAD]["data"]["content"])))
    assert book.sheetnames == ["检查与整改", "专项行动", "每周探访"]
    rows = [
        r for r in book["检查与整改"].iter_rows(values_only=True) if r and r[0] in ("东坝街道", "金盏街道")
    ]
    assert sum(r[3] for r in rows) == 7 and sum(r[-1] for r in rows) == 1  # sites; overdue
    weekly = [r for r in book["每周探访"].iter_rows(values_only=True) if r and r[0] == "高龄独居老人探访"]
    assert [r[3] for r in weekly] == [0, 2, 1, 1, 1, 0]
    assert one(engine, "SELECT count(*) FROM audit_log WHERE action = 'export' AND detail->>'what' = 'inspection results'") == 1  # fmt: skip
