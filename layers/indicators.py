"""Handling indicators as digital city management practice defines them, computed in PostGIS.

For a period ``[a, b)`` and the clock ``t`` (now), over the incidents a filter selects:

- 立案率 registration rate = registered / reported, of incidents reported in the period;
- 结案率 closure rate = closed (by ``t``) / registered, of incidents reported in the period;
- 按期处置率 on-time handling rate = handled by the deadline / due, where *due* are incidents
  whose deadline falls in the period and has passed (``a ≤ deadline < min(b, t)``);
- 按期结案率 on-time closure rate = closed by the deadline / due (same *due*);
- 超期数 overdue count = open at ``t`` with the deadline before ``t`` (a moment, not a period);
- 返工数 rework count = times sent back for rework, of incidents reported in the period;
- 平均处置时长 average handling time = mean hours from registration (or the report, if never
  registered) to handled (or closed, if no handling time was recorded), of incidents handled
  in the period.

A rate with nothing to divide by is ``None`` (shown as "—"), never 0 %. Deadlines come from the
SLA clock (:mod:`geo.sla`); each is measured against that incident's own deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.engine import Connection

from layers._sql import compose
from layers.incident_filter import IncidentFilter

# {a}, {b}, {t} name bind parameters; the text is fixed, never built from user input
_HANDLED = "coalesce(i.handled_at, i.closed_at)"
_START = "coalesce(i.registered_at, i.reported_at)"
_IN = "i.reported_at >= :{a} AND i.reported_at < :{b}"
_DUE = "i.deadline_at >= :{a} AND i.deadline_at < least(:{b}, :{t})"
_OPEN_AT = "i.reported_at <= :{t} AND (i.closed_at IS NULL OR i.closed_at > :{t})"
_COUNTS = {
    "reported": f"count(*) FILTER (WHERE {_IN})",
    "registered": f"count(*) FILTER (WHERE {_IN} AND i.registered_at IS NOT NULL)",
    "closed": f"count(*) FILTER (WHERE {_IN} AND i.registered_at IS NOT NULL AND i.closed_at <= :{{t}})",
    "due": f"count(*) FILTER (WHERE {_DUE})",
    "handled_on_time": f"count(*) FILTER (WHERE {_DUE} AND i.handled_at <= i.deadline_at)",
    "closed_on_time": f"count(*) FILTER (WHERE {_DUE} AND i.closed_at <= i.deadline_at)",
    "open": f"count(*) FILTER (WHERE {_OPEN_AT})",
    "overdue": f"count(*) FILTER (WHERE {_OPEN_AT} AND i.deadline_at < :{{t}})",
    "rework": f"coalesce(sum(i.rework_count) FILTER (WHERE {_IN}), 0)",
    "handling_hours": f"avg(extract(epoch FROM {_HANDLED} - {_START}) / 3600.0) "
    f"FILTER (WHERE {_HANDLED} >= :{{a}} AND {_HANDLED} < :{{b}} AND {_HANDLED} <= :{{t}})",
}
# rows that can count towards any of the above in [a, b) at t: lets the planner skip the rest
_RELEVANT = "(i.reported_at >= :{a} OR i.closed_at IS NULL OR i.closed_at >= :{a} OR i.deadline_at >= :{a})"


@dataclass(frozen=True)
class Indicators:
    reported: int
    registered: int
    closed: int
    due: int
    handled_on_time: int
    closed_on_time: int
    open: int
    overdue: int
    rework: int
    handling_hours: float | None

    @property
    def registration_rate(self) -> float | None:
        return _rate(self.registered, self.reported)

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.registered)

    @property
    def on_time_handling_rate(self) -> float | None:
        return _rate(self.handled_on_time, self.due)

    @property
    def on_time_closure_rate(self) -> float | None:
        return _rate(self.closed_on_time, self.due)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def select_list(*, a: str, b: str, t: str, prefix: str = "") -> str:
    """The aggregate columns of :class:`Indicators` for period params ``a``/``b`` at ``t``."""
    return ", ".join(f"{expr.format(a=a, b=b, t=t)} AS {prefix}{name}" for name, expr in _COUNTS.items())


def relevant(*, a: str) -> str:
    return _RELEVANT.format(a=a)


def from_row(row: Any, *, offset: int = 0) -> Indicators:
    values = list(row)[offset : offset + len(_COUNTS)]
    counts = dict(zip(_COUNTS, values, strict=True))
    handling = counts.pop("handling_hours")
    return Indicators(
        **{k: int(v) for k, v in counts.items()}, handling_hours=None if handling is None else float(handling)
    )


def indicators(
    conn: Connection, f: IncidentFilter, *, since: dt.datetime, until: dt.datetime, now: dt.datetime
) -> Indicators:
    """Every indicator for the incidents ``f`` selects (place, category, source), over ``[since, until)``."""
    where, params = f.where(with_time=False)
    query = compose(
        "SELECT {cols} FROM incident i WHERE {where} AND {relevant}",
        cols=select_list(a="a", b="b", t="t"),
        where=where,
        relevant=relevant(a="a"),
    )
    row = conn.execute(query, {**params, "a": since, "b": until, "t": now}).one()
    return from_row(row)


FIELDS = tuple(f.name for f in fields(Indicators))
