"""The ranking table: the units one level below the drill, compared on the same indicators.

Streets in the district, communities in a street, grids in a community: volume reported in
the window, on-time closure rate, overdue now and average handling time (see
:mod:`layers.indicators`), worst on-time closure first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from layers._sql import compose
from layers.drill import INCIDENT_KEY
from layers.incident_filter import IncidentFilter
from layers.indicators import Indicators, from_row, relevant, select_list

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


def ranking(
    conn: Connection, f: IncidentFilter, *, since: dt.datetime, until: dt.datetime, now: dt.datetime
) -> list[Row]:
    """One row per unit below ``f.drill`` (none below a grid), worst on-time closure first."""
    level = f.drill.child_level
    if level is None:
        return []
    where, params = f.where(with_time=False)
    query = compose(
        """WITH u AS ({units}),
        agg AS (SELECT i.{key} AS unit_id, {cols} FROM incident i WHERE {where} AND {relevant} GROUP BY 1)
        SELECT u.id, u.name, agg.* FROM u LEFT JOIN agg ON agg.unit_id = u.id""",
        units=_UNITS[level],
        key=INCIDENT_KEY[level],
        cols=select_list(a="a", b="b", t="t"),
        where=where,
        relevant=relevant(a="a"),
    )
    rows = conn.execute(query, {**params, "a": since, "b": until, "t": now}).all()
    out = [Row(int(r[0]), str(r[1]), _indicators(r)) for r in rows]
    return sorted(out, key=_worst_first)


def _indicators(row: Any) -> Indicators:
    if row[2] is None:  # no incident at all in this unit
        return Indicators(0, 0, 0, 0, 0, 0, 0, 0, 0, None)
    return from_row(row, offset=3)


def _worst_first(row: Row) -> tuple[float, int, str]:
    rate = row.ind.on_time_closure_rate
    return (2.0 if rate is None else rate, -row.ind.overdue, row.name)
