"""Finding one case (issue #17): layers/case_search, case_detail and case_timeline against the
demo database, with a few cases of our own loaded through the real incident ingest.

Ranking (exact ticket, then prefix, then address, then the address of the building a case lies
in), LIKE's ``%`` and ``_`` matched as themselves, the street scope of the database (a leader of
street A finds nothing of street B, also among linked duplicates), masked phones, the timeline
from the step columns and from an ``incident_event`` history of the shared contract.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from geo import row_scope
from geo.errors import SearchError
from geo.row_scope import RowScope
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from layers.case_detail import case_detail, deadline_state
from layers.case_search import MAX_CHARS, CaseKey, like_escape, normalise, search_cases
from layers.case_timeline import COLUMN_STEPS, Step, column_steps, event_steps, timeline
from tests.sql import all_rows

SOURCE = "case-find"
HEADER = "工单编号,诉求内容,受理时间,立案时间,派遣时间,办结时间,办理时限,事发地址,联系电话,经度,纬度\n"
NOW = dt.datetime(2021, 6, 1, 12, tzinfo=dt.UTC)  # before the demo's year: no links to its cases


def _point(conn, street_id):
    """A building of the street with a grid: its id, address and a point inside it."""
    return conn.execute(
        sa.text("SELECT b.id, b.address, ST_X(p), ST_Y(p) FROM (SELECT b.*, ST_PointOnSurface(b.geom) p "
                "FROM building b JOIN community c ON c.id = b.community_id WHERE c.street_id = :s "
                "AND b.grid_id IS NOT NULL ORDER BY b.id LIMIT 1) b"),
        {"s": street_id},
    ).one()  # fmt: skip


def _row(ticket, address, where, *, phone="", steps=("", "", "", ""), deadline="2021-05-03 12:00:00"):
    _, _, lon, lat = where
    registered, dispatched, closed, _ = steps
    return (
        f"{ticket},{ticket} 事件内容,2021-05-01 09:00:00,{registered},{dispatched},{closed},{deadline},"
        f'"{address}",{phone},{lon},{lat}\n'
    )


@pytest.fixture(scope="module")
def cases(demo, tmp_path_factory):
    """Street A's and B's ids and building points, and our cases' keys by ticket."""
    with demo.connect() as conn:
        a_id, b_id = conn.execute(
            sa.text("SELECT id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 2")
        ).scalars()
        a, b = _point(conn, a_id), _point(conn, b_id)
    lifecycle = ("2021-05-01 09:10:00", "2021-05-01 10:00:00", "2021-05-02 08:00:00", "")
    rows = [
        _row("FIND-0001", "测试路50%号甲", a, phone="13812345678", steps=lifecycle),
        _row("FIND-00010", "测试路6号", a),
        _row("FIND-0002", "测试路5000号", a),  # what 50% would match as a pattern
        _row("FIND-0003", "甲a_b乙", a),
        _row("FIND-0004", "甲axb乙", a),  # what a_b would match as a pattern
        _row("FIND-0005", "门牌FIND-0001旁", a),  # the ticket's text inside an address
        _row("FIND-0006", "", a),  # placed by coordinates only: found by its building's address
        _row("find-0007", "反斜杠\\路", a),
        _row("FIND-B001", "乙街测试路50%号甲", b),
    ]
    path = tmp_path_factory.mktemp("case-find") / "cases.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    result = run_file(
        demo, kind=get_kind("incidents"), path=path, options=JobOptions(source=SOURCE, crs="wgs84")
    )
    assert result.inserted == len(rows), result
    keys = {t: CaseKey(SOURCE, int(i)) for t, i in all_rows(demo, "SELECT source_id, id FROM incident WHERE source = :s", s=SOURCE)}  # fmt: skip
    with demo.begin() as conn:  # linked duplicates: FIND-0002 (street A) and FIND-B001 (street B)
        conn.execute(
            sa.text("UPDATE incident SET duplicate_of = :of WHERE source = :s AND source_id IN ('FIND-0002', 'FIND-B001')"),
            {"of": keys["FIND-0001"].incident_id, "s": SOURCE},
        )  # fmt: skip
    yield {"a": a_id, "b": b_id, "a_building": a, "keys": keys}
    with demo.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE "incident__{_hash(SOURCE)}"'))
        conn.execute(
            sa.text("INSERT INTO incident_change DEFAULT VALUES")
        )  # a dropped partition fires no trigger


def _hash(source):
    from geo.partitions import partition_name

    return partition_name(source).removeprefix("incident__")


def _find(conn, text, **options):
    return [(h.ticket, h.match) for h in search_cases(conn, text, **options) if h.key.source == SOURCE]


def _scoped(engine, street_ids):
    """A connection in a transaction scoped as the web app scopes a street leader's."""
    conn = engine.connect()
    conn.begin()
    row_scope.apply(conn, RowScope(street_ids, street_ids))
    return conn


def test_exact_ticket_first_then_prefix_then_address(demo, cases):
    with demo.connect() as conn:
        found = _find(conn, "FIND-0001")
    assert found == [("FIND-0001", "ticket"), ("FIND-00010", "prefix"), ("FIND-0005", "address")]


def test_a_ticket_is_found_whatever_its_case_and_whitespace(demo, cases):
    with demo.connect() as conn:
        assert _find(conn, "  FIND-0003 ") == [("FIND-0003", "ticket")]
        assert _find(conn, "find-0003") == [("FIND-0003", "ticket")]  # typed in lower case
        assert _find(conn, "find-0007") == [("find-0007", "ticket")]  # as written
        assert _find(conn, "FiNd-0007") == []  # neither as written nor in capitals


def test_percent_and_underscore_match_only_themselves(demo, cases):
    with demo.connect() as conn:
        assert _find(conn, "测试路50%号") == [("FIND-0001", "address"), ("FIND-B001", "address")]
        assert _find(conn, "a_b") == [("FIND-0003", "address")]
        assert _find(conn, "0%") == [("FIND-0001", "address"), ("FIND-B001", "address")]
        assert _find(conn, "%") == []  # one character: tickets only
        assert _find(conn, "_") == []  # one character: tickets only, and no ticket holds "_"
        assert _find(conn, "反斜杠\\路") == [("find-0007", "address")]
        assert _find(conn, "FIND-000_") == []  # "_" is no wildcard in a ticket prefix either


def test_like_escape():
    assert like_escape("50%_a\\b") == "50\\%\\_a\\\\b"


def test_a_case_placed_by_coordinates_is_found_by_its_buildings_address(demo, cases):
    address = cases["a_building"][1]
    with demo.connect() as conn:
        found = _find(conn, address, limit=200)
    assert ("FIND-0006", "building") in found


def test_results_are_limited_and_newest_first_within_a_rank(demo, cases):
    with demo.connect() as conn:
        hits = search_cases(conn, "FIND-", limit=3)
        assert len(hits) == 3 and {h.match for h in hits} == {"prefix"}
        many = search_cases(conn, "社区", limit=12)  # thousands of demo addresses hold it
    assert len(many) == 12
    assert [h.reported_at for h in many] == sorted((h.reported_at for h in many), reverse=True)


def test_bad_search_text_gets_a_clear_error(demo):
    with demo.connect() as conn:
        assert search_cases(conn, "   ") == []
        with pytest.raises(SearchError, match="shorten it to 100"):
            search_cases(conn, "x" * (MAX_CHARS + 1))
        with pytest.raises(SearchError, match="control characters"):
            search_cases(conn, "FIND\x00")
        with pytest.raises(SearchError, match="must be text"):
            normalise(["FIND-0001"])


def test_a_street_leader_finds_only_cases_in_their_streets(demo, cases):
    leader = _scoped(demo, (cases["a"],))
    try:
        assert _find(leader, "测试路50%号") == [("FIND-0001", "address")]
        assert _find(leader, "FIND-B001") == []
        assert case_detail(leader, cases["keys"]["FIND-B001"], now=NOW) is None
        linked = case_detail(leader, cases["keys"]["FIND-0001"], now=NOW).linked
        assert [c.ticket for c in linked] == ["FIND-0002"]  # B's duplicate is not shown
    finally:
        leader.close()
    other = _scoped(demo, (cases["b"],))
    try:
        assert _find(other, "FIND-0001") == []
        assert _find(other, "FIND-B001") == [("FIND-B001", "ticket")]
    finally:
        other.close()
    with demo.connect() as admin:  # the owner, as ingest: every street
        assert [c.ticket for c in case_detail(admin, cases["keys"]["FIND-0001"], now=NOW).linked] == [
            "FIND-0002",
            "FIND-B001",
        ]


def test_the_detail_panel_data(demo, cases):
    keys = cases["keys"]
    with demo.connect() as conn:
        case = case_detail(conn, keys["FIND-0001"], now=NOW)
        dup = case_detail(conn, keys["FIND-0002"], now=NOW)
        placed = case_detail(conn, keys["FIND-0006"], now=NOW)
        names = conn.execute(
            sa.text("SELECT s.name, c.name, g.code FROM incident i JOIN street s ON s.id = i.street_id "
                    "JOIN community c ON c.id = i.community_id JOIN grid g ON g.id = i.grid_id "
                    "WHERE i.source = :s AND i.source_id = 'FIND-0001'"),
            {"s": SOURCE},
        ).one()  # fmt: skip
    assert case is not None and dup is not None and placed is not None
    assert case.ticket == "FIND-0001" and case.phone == "138****5678" and case.address == "测试路50%号甲"
    assert (case.street, case.community, case.grid) == tuple(names)
    assert (round(case.lon, 6), round(case.lat, 6)) == (
        round(cases["a_building"][2], 6),
        round(cases["a_building"][3], 6),
    )
    assert case.building_address == cases["a_building"][1]
    assert case.status == "closed" and case.deadline_state == "on_time"
    assert [s.kind for s in case.timeline] == ["reported", "registered", "dispatched", "closed"]
    assert [c.ticket for c in dup.linked] == ["FIND-0001"] and dup.linked[0].original
    assert dup.deadline_state == "overdue"  # open, due 2021-05-03, and NOW is June
    assert placed.address is None and placed.building_address == cases["a_building"][1]


def test_deadline_states():
    t = dt.datetime(2021, 5, 1, tzinfo=dt.UTC)
    h = dt.timedelta(hours=1)
    assert deadline_state(deadline_at=None, closed_at=None, now=t) == "none"
    assert deadline_state(deadline_at=t + h, closed_at=None, now=t) == "open"
    assert deadline_state(deadline_at=t - h, closed_at=None, now=t) == "overdue"
    assert deadline_state(deadline_at=t - h, closed_at=t - 2 * h, now=t) == "on_time"
    assert deadline_state(deadline_at=t - 2 * h, closed_at=t - h, now=t) == "late"
    assert deadline_state(deadline_at=t - h, closed_at=t + h, now=t) == "overdue"  # closed later than now


def test_column_steps_in_lifecycle_order():
    t = dt.datetime(2021, 5, 1, tzinfo=dt.UTC)
    case = {f"{k}_at": t for k in COLUMN_STEPS} | {"handled_at": None}
    assert [s.kind for s in column_steps(case)] == [
        "reported",
        "registered",
        "dispatched",
        "verified",
        "closed",
    ]


def test_the_timeline_comes_from_the_event_history_where_a_case_has_one(migrated_engine):
    t = dt.datetime(2021, 5, 1, 9, tzinfo=dt.UTC)
    case = {"source": "12345", "id": 7, "reported_at": t, "registered_at": t + dt.timedelta(minutes=5)}
    events = [
        ("signed", 10, None, None, None, None), ("dispatched", 20, "城管局", None, None, None),
        ("extended", 30, None, None, None, t + dt.timedelta(days=3)), ("handled", 40, None, None, None, None),
        ("callback", 50, None, "dissatisfied", False, None), ("reopened", 60, None, None, None, None),
    ]  # fmt: skip
    with migrated_engine.begin() as conn:
        assert timeline(conn, case) == column_steps(case)  # no events of this case: its columns
        for kind, minutes, department, satisfaction, resolved, deadline in events:
            conn.execute(
                sa.text("INSERT INTO incident_event (incident_id, incident_source, ticket, kind, at, department, "
                        "satisfaction, resolved, deadline_at, note, source) "
                        "VALUES (7, '12345', 'T7', :k, :at, :d, :s, :r, :dl, :n, '12345')"),
                {"k": kind, "at": t + dt.timedelta(minutes=minutes), "d": department, "s": satisfaction, "r": resolved,
                 "dl": deadline, "n": "<b>备注</b>"},
            )  # fmt: skip
        steps = timeline(conn, case)
    assert steps == event_steps_expected(t, events)


def event_steps_expected(t, events):
    return [Step("reported", t)] + [
        Step(kind, t + dt.timedelta(minutes=m), d, s, r, dl, "<b>备注</b>") for kind, m, d, s, r, dl in events
    ]


def test_event_steps_is_empty_without_events(migrated_engine):
    with migrated_engine.connect() as conn:
        assert event_steps(conn, {"source": "x", "id": 1, "reported_at": NOW}) == []
