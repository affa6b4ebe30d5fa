"""The ranking table: the units one level below the drill, compared on the same indicators.

Streets in the district, communities in a street, grids in a community: volume reported in
the window, on-time closure rate, overdue now and average handling time (see
:mod:`layers.indicators`), worst on-time closure first. The departments (承办单位) the cases were
last dispatched to are ranked the same way, on the cases of the drill and filters.

The sums behind both are :mod:`layers.tally` counters (:func:`unit_counter`,
:func:`department_counter`), so a wall screen follows a change without counting every incident
again; :func:`ranking` and :func:`by_department` count from scratch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.indicators import Indicators, Period, counting, of_sums, unit_sums
from layers.tally import Counter, Sums, tally
from layers.units import current_units


@dataclass(frozen=True)
class Row:
    unit_id: int
    name: str
    ind: Indicators
    allowed: bool = True  # False: a street outside the account's (its numbers are not shown)


def unit_counter(f: IncidentFilter, *, since: dt.datetime) -> Counter:
    """Indicator sums per unit one level below ``f.drill``, over the window from ``since`` to the clock."""
    level, start = f.drill.child_level or "grid", since.timestamp()

    def count(facts: Facts, idx: np.ndarray | None, clock: float) -> Sums:
        rows = _selected(facts, idx, f, clock, since=start)
        return unit_sums(facts, rows, Period(start, clock, clock), getattr(facts, level)[rows])

    return Counter(count, epoch=("units", f.unclocked(), start))


def department_counter(f: IncidentFilter, *, since: dt.datetime) -> Counter:
    """Indicator sums per department code + 1 (0: none) of the cases ``f`` selects."""
    start = since.timestamp()

    def count(facts: Facts, idx: np.ndarray | None, clock: float) -> Sums:
        rows = _selected(facts, idx, f, clock, since=start)
        return unit_sums(facts, rows, Period(start, clock, clock), facts.department[rows] + 1)

    return Counter(count, epoch=("departments", f.unclocked(), start))


def _selected(
    facts: Facts, idx: np.ndarray | None, f: IncidentFilter, clock: float, *, since: float
) -> np.ndarray:
    g = f.at_clock(clock)
    if idx is None:  # every incident: only those that can count since ``since`` (faster)
        return counting(facts, g.mask(facts, with_time=False), since=since)
    return g.select(facts, idx, with_time=False)


def ranked_units(
    conn: Connection, sums: Sums, f: IncidentFilter, *, streets: Collection[int] | None = None
) -> list[Row]:
    """One row per unit below ``f.drill`` (none below a grid) from :func:`unit_counter`'s sums,
    worst on-time closure first; with ``streets`` (the account's street ids), the district's
    other streets come last, not allowed."""
    level = f.drill.child_level
    if level is None:
        return []
    units = current_units(conn, level, within=f.drill.unit_id if level != "street" else None)
    shown = lambda u: streets is None or level != "street" or u in streets  # noqa: E731
    rows = [Row(u.unit_id, u.name, of_sums(sums, u.unit_id), shown(u.unit_id)) for u in units]
    return sorted(rows, key=_worst_first)


def ranked_departments(facts: Facts, sums: Sums) -> list[Row]:
    """One row per department (承办单位) with cases reported in the window or open, from
    :func:`department_counter`'s sums (``unit_id`` indexes ``facts.departments``)."""
    rows = [Row(code, name, of_sums(sums, code + 1)) for code, name in enumerate(facts.departments)]
    return sorted((r for r in rows if r.ind.reported or r.ind.open), key=_worst_first)


def ranking(
    conn: Connection,
    facts: Facts,
    f: IncidentFilter,
    *,
    since: dt.datetime,
    now: dt.datetime,
    streets: Collection[int] | None = None,
) -> list[Row]:
    """The ranking below ``f.drill`` for the window from ``since`` to ``now``, counted afresh."""
    if f.drill.child_level is None:
        return []
    sums = tally(unit_counter(f, since=since), facts, now.timestamp()).sums
    return ranked_units(conn, sums, f, streets=streets)


def by_department(facts: Facts, f: IncidentFilter, *, since: dt.datetime, now: dt.datetime) -> list[Row]:
    """The departments' ranking for the cases of ``f`` in the window from ``since`` to ``now``."""
    if not facts.departments:
        return []
    return ranked_departments(facts, tally(department_counter(f, since=since), facts, now.timestamp()).sums)


def _worst_first(row: Row) -> tuple[bool, float, int, str]:
    rate = row.ind.on_time_closure_rate
    return (not row.allowed, 2.0 if rate is None else rate, -row.ind.overdue, row.name)
