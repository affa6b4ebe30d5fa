"""12345's 三率, 临期 and the department ranking from lifecycle steps loaded by the events ingest,
each equal to SQL written here over incident_event (the history, not the derived columns)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from geo.sla import Deadline, SlaRules
from layers.facts import load, with_sign_off
from layers.feeds import due_soon, overdue
from layers.incident_filter import IncidentFilter
from layers.indicators import Period, indicators
from layers.kpis import tiles
from layers.ranking import by_department
from tests.databases import fresh_database
from tests.events import TZ, add_incidents, case, ingest_events, step, write_events

SOURCE, OTHER = "hotline", "grid-app"  # OTHER reports no 签收: not measured on response
DEPARTMENTS = ("市政公用局", "住建局", "城管执法局")
SATISFACTION = ("满意", "基本满意", "不满意")
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=TZ)
MONTH = Period.of(dt.datetime(2026, 11, 1, tzinfo=TZ), dt.datetime(2026, 12, 1, tzinfo=TZ), NOW)
ROUND_CLOCK = SlaRules(sign_off=Deadline(2, "h"))  # so the test's SQL can say "+ 2 hours"


def _stamp(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}"


def _history(rng: np.random.Generator, ticket: str, reported: dt.datetime) -> list[dict[str, object]]:
    """A random but plausible lifecycle: dispatch, sign-off, handling, callback, maybe a rework."""
    at, rows = reported, []

    def later(minutes: float) -> str:
        nonlocal at
        at += dt.timedelta(minutes=float(minutes) + 1)
        return _stamp(at)

    if rng.random() < 0.9:
        rows.append(step(ticket, "派遣", later(rng.integers(1, 30)), department=str(rng.choice(DEPARTMENTS))))
    if rng.random() < 0.85:
        rows.append(step(ticket, "签收", later(rng.integers(1, 240))))
    for _ in range(2):
        if rng.random() < 0.7:
            rows.append(step(ticket, "办结", later(rng.integers(60, 3000))))
        if rng.random() < 0.6:
            resolved = str(rng.choice(["是", "否", ""]))
            answer = str(rng.choice(SATISFACTION))
            rows.append(
                step(ticket, "回访", later(rng.integers(30, 600)), satisfaction=answer, resolved=resolved)
            )
        if rng.random() > 0.3:
            break
        rows.append(step(ticket, "重办", later(rng.integers(10, 100))))
    return rows


@pytest.fixture(scope="module")
def db(cluster, migrated_template, tmp_path_factory):
    """200 cases of SOURCE with random histories, 20 of OTHER with callbacks but no 签收."""
    rng = np.random.default_rng(17)
    start = dt.datetime(2026, 10, 25, 8, 0, tzinfo=TZ)
    reported = [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 30 * 1440, 220)]
    deadlines = [
        r + dt.timedelta(hours=int(h)) for r, h in zip(reported, rng.integers(4, 400, 220), strict=True)
    ]
    cases = [
        case(f"C{k}", reported=_stamp(r), deadline=_stamp(d))
        for k, (r, d) in enumerate(zip(reported, deadlines, strict=True))
    ]
    rows = [row for k, r in enumerate(reported[:200]) for row in _history(rng, f"C{k}", r)]
    others = [
        step(f"C{k}", "回访", _stamp(reported[k] + dt.timedelta(days=1)), satisfaction="满意")
        for k in range(200, 220)
    ]
    folder = tmp_path_factory.mktemp("rates")
    with fresh_database(cluster, template=migrated_template) as engine:
        add_incidents(engine, SOURCE, cases[:200])
        add_incidents(engine, OTHER, cases[200:])
        assert ingest_events(engine, write_events(folder / "a.csv", rows), source=SOURCE).quarantined == 0
        assert ingest_events(engine, write_events(folder / "b.csv", others), source=OTHER).quarantined == 0
        yield engine


def _facts(engine, sla=ROUND_CLOCK):
    with engine.connect() as conn:
        return with_sign_off(load(conn), sla)


def _sql(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(query), {"a": dt.datetime(2026, 11, 1, tzinfo=TZ), "b": dt.datetime(2026, 12, 1, tzinfo=TZ), "t": NOW, **params}).one()  # fmt: skip


_FIRST_SIGN = """
WITH signs AS (
    SELECT i.id, i.reported_at, min(e.at) FILTER (WHERE e.kind = 'signed') AS signed
    FROM incident i LEFT JOIN incident_event e ON e.incident_id = i.id AND e.incident_source = i.source
    WHERE i.source IN (SELECT incident_source FROM incident_event WHERE kind = 'signed')
      AND i.source IN ('hotline', 'grid-app') AND i.reported_at >= :a AND i.reported_at < :b GROUP BY i.id, i.reported_at
)
SELECT count(*) FILTER (WHERE signed <= reported_at + interval '2 hours' AND signed <= :t),
       count(*) FILTER (WHERE signed <= :t OR reported_at + interval '2 hours' <= :t)
FROM signs"""
_LAST_CALLBACK = """
WITH last AS (
    SELECT DISTINCT ON (e.incident_id, e.incident_source) e.satisfaction, e.resolved
    FROM incident_event e JOIN incident i ON i.id = e.incident_id AND i.source = e.incident_source
    WHERE e.kind = 'callback' AND i.source IN ('hotline', 'grid-app') AND i.reported_at >= :a AND i.reported_at < :b
    ORDER BY e.incident_id, e.incident_source, e.at DESC
)
SELECT count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basic')), count(*),
       count(*) FILTER (WHERE resolved), count(resolved)
FROM last"""


def test_the_three_rates_equal_sql_over_the_event_history(db):
    facts = _facts(db)
    ind = indicators(
        facts, IncidentFilter(now=NOW, sources=(SOURCE, OTHER)).rows(facts, with_time=False), MONTH
    )
    on_time, due = _sql(db, _FIRST_SIGN)
    satisfied, callbacks, resolved, answered = _sql(db, _LAST_CALLBACK)
    assert due > 50 and callbacks > 50 and answered > 20  # the data exercises every rate
    assert (ind.signed_on_time, ind.sign_due) == (on_time, due)
    assert (ind.satisfied, ind.callbacks, ind.resolved, ind.answered) == (
        satisfied,
        callbacks,
        resolved,
        answered,
    )
    assert ind.response_rate == on_time / due
    assert ind.satisfaction_rate == satisfied / callbacks and ind.resolution_rate == resolved / answered


def test_the_sign_off_clock_runs_in_working_hours_by_default(db):
    add_incidents(db, "hours", [case("H1", reported="2026-11-02 11:00")])  # a Monday
    with db.connect() as conn:
        conn.execute(sa.text("UPDATE incident SET signed_at = :s WHERE source = 'hours'"), {"s": dt.datetime(2026, 11, 2, 15, 0, tzinfo=TZ)})  # fmt: skip
        conn.commit()
    for sla, rate in ((SlaRules(), 1.0), (ROUND_CLOCK, 0.0)):  # 2wh: due 15:30 (lunch 12-14:30); 2h: 13:00
        facts = _facts(db, sla)
        only = IncidentFilter(now=NOW, sources=("hours",)).rows(facts, with_time=False)
        assert indicators(facts, only, MONTH).response_rate == rate


def test_a_source_without_sign_offs_has_no_response_rate(db):
    facts = _facts(db)
    ind = indicators(facts, IncidentFilter(now=NOW, sources=(OTHER,)).rows(facts, with_time=False), MONTH)
    assert ind.response_rate is None and ind.satisfaction_rate == 1.0


def test_departments_rank_on_the_last_dispatch(db):
    facts = _facts(db)
    rows = by_department(facts, IncidentFilter(now=NOW), since=dt.datetime(2026, 11, 1, tzinfo=TZ), now=NOW)
    query = """
    SELECT DISTINCT ON (e.incident_id) e.department FROM incident_event e JOIN incident i ON i.id = e.incident_id
    WHERE e.kind = 'dispatched' AND i.reported_at >= :a AND i.reported_at < :t ORDER BY e.incident_id, e.at DESC"""
    with db.connect() as conn:
        last = (
            conn.execute(sa.text(query), {"a": dt.datetime(2026, 11, 1, tzinfo=TZ), "t": NOW}).scalars().all()
        )
    assert {r.name: r.ind.reported for r in rows} == {d: last.count(d) for d in DEPARTMENTS if d in last}
    rates = [2.0 if r.ind.on_time_closure_rate is None else r.ind.on_time_closure_rate for r in rows]
    assert rates == sorted(rates)  # worst first


def test_due_soon_is_open_not_overdue_and_within_the_horizon(db):
    until = SlaRules(warn_working_hours=8).warn_until(NOW)
    f = IncidentFilter(now=NOW)
    with db.connect() as conn:
        soon = due_soon(conn, f, until=until, limit=500)
        late = overdue(conn, f, limit=500)
    query = """SELECT count(*) FROM incident WHERE closed_at IS NULL AND suspended_at IS NULL
               AND deadline_at >= :t AND deadline_at <= :u"""
    assert len(soon) == _sql(db, query, u=until)[0] > 0
    assert all(r.closed_at is None and NOW <= r.deadline_at <= until for r in soon)
    assert not {r.incident_id for r in soon} & {r.incident_id for r in late}
    assert until == dt.datetime(2026, 12, 1, 15, 30, tzinfo=TZ)  # Mon 12:00 + 3.5 h + 3.5 h + 1 h


def test_a_suspended_case_is_not_overdue(db, tmp_path):
    add_incidents(db, "paused", [case("P1", reported="2026-11-02 09:00", deadline="2026-11-03 09:00")])
    f = IncidentFilter(now=NOW, sources=("paused",))
    assert indicators(_facts(db), f.rows(_facts(db), with_time=False), MONTH).overdue == 1
    ingest_events(
        db, write_events(tmp_path / "p.csv", [step("P1", "挂起", "2026-11-02 10:00")]), source="paused"
    )
    facts = _facts(db)
    assert indicators(facts, f.rows(facts, with_time=False), MONTH).overdue == 0
    with db.connect() as conn:
        assert overdue(conn, f) == []


def test_the_kpi_tiles_carry_the_three_rates(db):
    facts = _facts(db)
    shown = {t.key: t for t in tiles(facts, IncidentFilter(now=NOW, sources=(SOURCE,)), now=NOW)}
    month = indicators(facts, IncidentFilter(now=NOW, sources=(SOURCE,)).rows(facts, with_time=False), MONTH)
    assert shown["response"].value == month.response_rate is not None
    assert shown["satisfaction"].value == month.satisfaction_rate
    assert shown["resolution"].value == month.resolution_rate


def test_the_wall_screen_shows_a_dash_where_the_data_has_no_rates():
    from dashboard.monitor.layout import kpi_tiles
    from layers.kpis import Tile

    tiles_ = kpi_tiles([Tile("response", None, None), Tile("satisfaction", 0.925, 0.9)], "zh")
    values = [t.children[1].children[0] for t in tiles_]
    assert values == ["—", "92.5%"]


def test_the_wall_screen_ranks_departments_and_lists_due_soon_cases(db):
    from dashboard.monitor import layout as L
    from dashboard.monitor.views import Controls, MapData, MonitorData
    from layers.density import Density
    from layers.drill import Drill

    facts, f = _facts(db), IncidentFilter(now=NOW)
    departments = by_department(facts, f, since=dt.datetime(2026, 11, 1, tzinfo=TZ), now=NOW)
    with db.connect() as conn:
        soon = due_soon(conn, f, until=SlaRules(warn_working_hours=8).warn_until(NOW))
    empty = Density(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), 100.0)
    data = MonitorData(
        now=NOW, drill=Drill(), controls=Controls(lang="en"), crumbs=[], tiles=[], ranking=[], latest=[],
        alerts=[], daily=None, grid=None, due_soon=soon, warn_hours=8, departments=departments,
        map=MapData(units=[], unit_labels=[], grids=[], rates=None, density=empty, overdue=[], extent=None),
    )  # fmt: skip
    split = L.rankings(data).to_plotly_json()["props"]["children"]
    assert split[1].children == "Departments"
    names = [row.children[0].children for row in split[2].children.children[1].children]
    assert names == [r.name for r in departments] and set(names) == set(DEPARTMENTS)
    overdue_col, soon_col = L.alert_lists(data).children
    assert [c.children for c in overdue_col.children] == ["Overdue", "None"]  # no overdue rows given
    assert soon_col.children[0].children == "Due within 8 working hours"
    assert len(soon_col.children[1].children) == len(soon) > 0
    assert all("due in" in item.children[0].children[2].children for item in soon_col.children[1].children)
