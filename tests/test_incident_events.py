"""`gridgov ingest incident-events`: a case's steps loaded or quarantined, the incident's state
derived from its whole history, resends changing nothing. One migrated database for the module;
each test uses sources of its own."""

import itertools

import pytest
import sqlalchemy as sa

from geo import row_scope
from geo.errors import InputError
from geo.row_scope import RowScope
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from tests.cli import gridgov
from tests.databases import fresh_database
from tests.events import (
    HEADERS_EN,
    add_incidents,
    case,
    ingest_events,
    lifecycle,
    step,
    when,
    write_events,
)

_sources = itertools.count()


@pytest.fixture(scope="module")
def db(cluster, migrated_template):
    with fresh_database(cluster, template=migrated_template) as engine:
        yield engine


@pytest.fixture
def source(db):
    """A source of this test's own, with three incidents T1…T3 reported on 2 November."""
    name = f"hotline-{next(_sources)}"
    add_incidents(
        db,
        name,
        [case(f"T{n}", reported="2026-11-02 09:00", deadline="2026-11-04 18:00") for n in (1, 2, 3)],
    )
    return name


def _changes(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM incident_change")).scalar_one()


def _reasons(engine, run_id):
    query = sa.text("SELECT row_number, reason FROM quarantine WHERE run_id = :r ORDER BY row_number")
    with engine.connect() as conn:
        return dict(conn.execute(query, {"r": run_id}).all())


FULL = [
    step("T1", "受理", "2026-11-02 09:05"),
    step("T1", "派遣", "2026-11-02 09:10", department="市政公用局"),
    step("T1", "签收", "2026-11-02 09:40"),
    step("T1", "办结", "2026-11-03 16:00", note="已清运"),
    step("T1", "回访", "2026-11-04 10:00", satisfaction="基本满意", resolved="是"),
    step("T1", "结案", "2026-11-04 11:00"),
]


def test_a_whole_lifecycle_sets_every_column(db, source, tmp_path):
    result = ingest_events(db, write_events(tmp_path / "steps.csv", FULL), source=source)
    assert (result.inserted, result.updated, result.unchanged, result.quarantined) == (6, 0, 0, 0)
    assert result.report["incidents"] == {"updated": 1, "unchanged": 0}
    got = lifecycle(db, source, "T1")
    assert got["registered_at"] == when("2026-11-02 09:05")
    assert got["signed_at"] == when("2026-11-02 09:40")
    assert (got["dispatched_at"], got["department"]) == (when("2026-11-02 09:10"), "市政公用局")
    assert got["handled_at"] == when("2026-11-03 16:00")
    assert got["closed_at"] == when("2026-11-04 11:00")
    assert (got["satisfaction"], got["resolved"], got["status"]) == ("basic", True, "closed")
    assert lifecycle(db, source, "T2")["signed_at"] is None  # untouched


def test_a_resent_file_changes_nothing_and_fires_no_trigger(db, source, tmp_path):
    path = write_events(tmp_path / "steps.csv", FULL)
    ingest_events(db, path, source=source)
    before, state = _changes(db), lifecycle(db, source, "T1")
    again = ingest_events(db, path, source=source)
    assert (again.inserted, again.updated, again.unchanged, again.quarantined) == (0, 0, 6, 0)
    assert again.report["incidents"] == {"updated": 0, "unchanged": 0}
    assert _changes(db) == before  # no UPDATE of incident was issued
    assert lifecycle(db, source, "T1") == state


def test_a_changed_step_is_updated_and_the_incident_follows(db, source, tmp_path):
    ingest_events(db, write_events(tmp_path / "a.csv", FULL), source=source)
    changed = [step("T1", "派遣", "2026-11-02 09:10", department="住建局")]
    result = ingest_events(db, write_events(tmp_path / "b.csv", changed), source=source)
    assert (result.inserted, result.updated) == (0, 1)
    assert lifecycle(db, source, "T1")["department"] == "住建局"


def test_reopen_clears_handled_and_closed_until_handled_again(db, source, tmp_path):
    ingest_events(db, write_events(tmp_path / "a.csv", FULL), source=source)
    reopen = [step("T1", "重办", "2026-11-04 15:00", note="居民不认可")]
    ingest_events(db, write_events(tmp_path / "b.csv", reopen), source=source)
    got = lifecycle(db, source, "T1")
    assert (got["handled_at"], got["closed_at"], got["rework_count"]) == (None, None, 1)
    assert got["status"] == "dispatched"
    again = [step("T1", "办结", "2026-11-05 10:00"), step("T1", "结案", "2026-11-05 12:00")]
    ingest_events(db, write_events(tmp_path / "c.csv", again), source=source)
    got = lifecycle(db, source, "T1")
    assert (got["handled_at"], got["closed_at"]) == (when("2026-11-05 10:00"), when("2026-11-05 12:00"))
    assert (got["rework_count"], got["status"]) == (1, "closed")


def test_extension_and_suspension_move_the_deadline(db, source, tmp_path):
    rows = [
        step("T2", "延期", "2026-11-03 10:00", deadline_at="2026-11-06 18:00"),
        step("T2", "挂起", "2026-11-03 12:00"),
        step("T2", "恢复", "2026-11-03 15:30"),
        step("T3", "挂起", "2026-11-03 12:00"),
    ]
    ingest_events(db, write_events(tmp_path / "a.csv", rows), source=source)
    t2, t3 = lifecycle(db, source, "T2"), lifecycle(db, source, "T3")
    assert t2["deadline_at"] == when("2026-11-06 21:30")  # pushed by the 3.5 h suspended
    assert t2["suspended_at"] is None
    assert t3["suspended_at"] == when("2026-11-03 12:00")
    assert t3["deadline_at"] == when("2026-11-04 18:00")  # still suspended: not moved yet
    ingest_events(
        db, write_events(tmp_path / "b.csv", [step("T3", "恢复", "2026-11-04 12:00")]), source=source
    )
    t3 = lifecycle(db, source, "T3")  # moved once, by the whole pause, from the original deadline
    assert (t3["suspended_at"], t3["deadline_at"]) == (None, when("2026-11-05 18:00"))


def test_every_bad_row_is_quarantined_with_its_reason(db, source, tmp_path):
    rows = [
        step("T1", "签收", "2026-11-02 09:30"),
        step("NOPE", "签收", "2026-11-02 09:30"),
        step("T1", "催办", "2026-11-02 09:30"),
        step("T1", "回访", "2026-11-04 10:00"),
        step("T1", "回访", "2026-11-04 10:00", satisfaction="还行"),
        step("T1", "派遣", "2026-11-02 09:10"),
        step("T1", "延期", "2026-11-03 10:00"),
        step("T1", "办结", "2026-11-01 10:00"),
        step("T1", "签收", "2026-11-02 09:30"),
        step("T1", "签收", "2099-01-01 09:30"),
        step("T1", "回访", "2026-11-04 11:00", satisfaction="满意", resolved="也许"),
    ]
    result = ingest_events(db, write_events(tmp_path / "bad.csv", rows), source=source)
    assert (result.read, result.inserted, result.quarantined) == (11, 1, 10)
    reasons = _reasons(db, result.run_id)
    assert f"no incident with 工单编号「NOPE」 in source {source}" in reasons[3]
    assert "环节「催办」无法识别" in reasons[4]
    assert "callback without satisfaction" in reasons[5]
    assert "满意度「还行」无法识别" in reasons[6]
    assert "dispatched without department" in reasons[7]
    assert "extended without a new deadline" in reasons[8]
    assert "step before the incident was reported" in reasons[9]
    assert "the same step as an earlier row" in reasons[10] and "「2」" in reasons[10]
    assert "step in the future" in reasons[11]
    assert "是否解决「也许」无法识别" in reasons[12]


def test_english_headers_keys_and_a_source_column(db, source, tmp_path):
    other = f"mini-{next(_sources)}"
    add_incidents(db, other, [case("M1", reported="2026-11-02 08:00")])
    rows = [
        step("T1", "signed", "2026-11-02 10:00"),
        step("M1", "dispatched", "2026-11-02 08:30", department="街道办", incident_source=other),
        step(
            "M1",
            "callback",
            "2026-11-03 08:30",
            satisfaction="dissatisfied",
            resolved="no",
            incident_source=other,
        ),
    ]
    result = ingest_events(db, write_events(tmp_path / "en.xlsx", rows, headers=HEADERS_EN), source=source)
    assert (result.inserted, result.quarantined) == (3, 0)
    assert lifecycle(db, source, "T1")["signed_at"] == when("2026-11-02 10:00")
    m1 = lifecycle(db, other, "M1")
    assert (m1["department"], m1["satisfaction"], m1["resolved"]) == ("街道办", "dissatisfied", False)
    with db.connect() as conn:
        senders = conn.execute(
            sa.text("SELECT DISTINCT source FROM incident_event WHERE ticket = 'M1'")
        ).all()
    assert senders == [(source,)]  # who sent the step: the job's source


def test_other_header_names(db, source, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("工单号,操作类型,处理时间,承办部门\nT2,派单,2026-11-02 11:00,城管局\n", encoding="utf-8")
    result = ingest_events(db, path, source=source)
    assert (result.inserted, result.quarantined) == (1, 0)
    assert lifecycle(db, source, "T2")["department"] == "城管局"


def test_a_file_without_a_step_column_is_refused(db, source, tmp_path):
    path = tmp_path / "nostep.csv"
    path.write_text("工单编号,操作时间\nT1,2026-11-02 11:00\n", encoding="utf-8")
    with pytest.raises(InputError, match="环节"):
        ingest_events(db, path, source=source)


def test_the_command_runs_from_the_registry(db, source, tmp_path):
    path = write_events(tmp_path / "steps.csv", FULL[:3])
    url = db.url.render_as_string(hide_password=False)
    run = gridgov(
        "ingest", "incident-events", str(path), "--source", source, "--quiet", env={"DATABASE_URL": url}
    )
    assert run.returncode == 0, run.stderr
    assert "inserted 3" in run.stdout and "incidents whose lifecycle changed: 1" in run.stdout
    assert lifecycle(db, source, "T1")["signed_at"] == when("2026-11-02 09:40")


def test_an_incidents_file_loaded_again_gives_way_to_the_steps(db, source, tmp_path):
    reopened = [*FULL, step("T1", "重办", "2026-11-04 15:00")]
    ingest_events(db, write_events(tmp_path / "steps.csv", reopened), source=source)
    incidents = tmp_path / "incidents.csv"
    incidents.write_text(
        "工单编号,受理时间,办结时间,经度,纬度\nT1,2026-11-02 09:00,2026-11-03 16:00,116.47,39.92\n",
        encoding="utf-8",
    )
    result = run_file(
        db, kind=get_kind("incidents"), path=incidents, options=JobOptions(source=source, crs="wgs84")
    )
    assert result.quarantined == 0
    assert result.notes["incidents whose lifecycle steps were applied again"] == 1
    got = lifecycle(db, source, "T1")
    assert (got["handled_at"], got["rework_count"], got["signed_at"]) == (None, 1, when("2026-11-02 09:40"))


def test_the_web_role_reads_events_of_visible_incidents_only_and_writes_none(db, source, tmp_path):
    ingest_events(db, write_events(tmp_path / "steps.csv", FULL[:2]), source=source)
    count = sa.text("SELECT count(*) FROM incident_event WHERE incident_source = :s")
    for scope, expected in ((RowScope.everything(), 2), (RowScope.nothing(), 0), (RowScope((12345,)), 0)):
        with db.connect() as conn, conn.begin():
            row_scope.apply(conn, scope)
            assert conn.execute(count, {"s": source}).scalar_one() == expected
    with db.connect() as conn, conn.begin():
        row_scope.apply(conn, RowScope.everything())
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.execute(sa.text("DELETE FROM incident_event"))
