"""The ranking table: the units one level below the drill, compared on the same indicators.

Streets in the district, communities in a street, grids in a community: volume reported in
the window, on-time closure rate, overdue now and average handling time (see
:mod:`layers.indicators`), worst on-time closure first. The departments (承办单位) the cases were last dispatched to are
ranked the same way, on the cases of the drill and filters (:func:`by_department`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.indicators import EMPTY, Indicators, Period, by_unit, counting

_UNITS = {
    "street": "SELECT id, name FROM street WHERE valid_to IS NULL",
    "community": "SELECT id, name FROM community WHERE valid_to IS NULL AND street_id = :unit_id",
    "grid": "SELECT id, code AS name FROM grid WHERE valid_to IS NULL AND community_id = :unit_id",
}


@dataclass(frozen=True)
class Row:
    unit_id: int
    name: str
    ind: Indicators
    allowed: bool = True  # False: a street outside the account's (its numbers are not shown)


def ranking(
    conn: Connection,
    facts: Facts,
    f: IncidentFilter,
    *,
    since: dt.datetime,
    until: dt.datetime,
    now: dt.datetime,
    streets: Collection[int] | None = None,
) -> list[Row]:
    """One row per unit below ``f.drill`` (none below a grid), worst on-time closure first; with
    ``streets`` (the account's street ids), the district's other streets come last, not allowed."""
    level = f.drill.child_level
    if level is None:
        return []
    units = conn.execute(sa.text(_UNITS[level]), {"unit_id": f.drill.unit_id}).all()
    idx = counting(facts, f.mask(facts, with_time=False), since=since.timestamp())
    per_unit = by_unit(facts, idx, Period.of(since, until, now), getattr(facts, level))
    shown = lambda u: streets is None or level != "street" or u in streets  # noqa: E731
    rows = [Row(int(u), str(name), per_unit.get(int(u), EMPTY), shown(int(u))) for u, name in units]
    return sorted(rows, key=_worst_first)


def _worst_first(row: Row) -> tuple[bool, float, int, str]:
    rate = row.ind.on_time_closure_rate
    return (not row.allowed, 2.0 if rate is None else rate, -row.ind.overdue, row.name)


def by_department(
    facts: Facts, f: IncidentFilter, *, since: dt.datetime, until: dt.datetime, now: dt.datetime
) -> list[Row]:
    """One row per department (承办单位) with cases under ``f``, worst on-time closure first
    (``unit_id`` indexes ``facts.departments``); none when no case names a department."""
    if not facts.departments:
        return []
    idx = counting(facts, f.mask(facts, with_time=False), since=since.timestamp())
    idx = idx[facts.department[idx] >= 0]
    per = by_unit(facts, idx, Period.of(since, until, now), facts.department + 1)  # 0: none
    rows = [Row(code - 1, facts.departments[code - 1], ind) for code, ind in per.items() if code > 0]
    return sorted((r for r in rows if r.ind.reported or r.ind.open), key=_worst_first)
