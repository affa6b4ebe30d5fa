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
SLA clock (:mod:`geo.sla`); each is measured against that incident's own deadline. Computed with
numpy over :class:`layers.facts.Facts` (a missing time is NaN and compares false, like NULL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from layers.facts import Facts

COUNTS = (
    "reported",
    "registered",
    "closed",
    "due",
    "handled_on_time",
    "closed_on_time",
    "open",
    "overdue",
    "rework",
)


@dataclass(frozen=True)
class Period:
    """``[a, b)`` judged at ``t``, as float seconds since 1970."""

    a: float
    b: float
    t: float

    @classmethod
    def of(cls, a: dt.datetime, b: dt.datetime, t: dt.datetime) -> Period:
        return cls(a.timestamp(), b.timestamp(), t.timestamp())


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


EMPTY = Indicators(0, 0, 0, 0, 0, 0, 0, 0, 0, None)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def contributions(f: Facts, idx: NDArray[np.intp], p: Period) -> dict[str, NDArray[Any]]:
    """What each selected incident (``idx``) adds to every indicator over ``p``.

    Only incidents that can count in ``p`` need to be passed: see :func:`relevant`."""
    rep, reg, due_at = f.reported[idx], f.registered[idx], f.deadline[idx]
    handled, closed = f.handled[idx], f.closed[idx]
    in_p = (rep >= p.a) & (rep < p.b)
    registered = in_p & ~np.isnan(reg)
    due = (due_at >= p.a) & (due_at < min(p.b, p.t))
    is_open = (rep <= p.t) & ~(closed <= p.t)
    done = np.where(np.isnan(handled), closed, handled)
    handled_in = (done >= p.a) & (done < p.b) & (done <= p.t)
    start = np.where(np.isnan(reg), rep, reg)
    return {
        "reported": in_p,
        "registered": registered,
        "closed": registered & (closed <= p.t),
        "due": due,
        "handled_on_time": due & (handled <= due_at),
        "closed_on_time": due & (closed <= due_at),
        "open": is_open,
        "overdue": is_open & (due_at < p.t),
        "rework": np.where(in_p, f.rework[idx], 0),
        "handled": handled_in,
        "hours": np.where(handled_in, (done - start) / 3600.0, 0.0),
    }


def relevant(f: Facts, idx: NDArray[np.intp], *, since: float) -> NDArray[np.intp]:
    """Of ``idx``, the incidents that can count in any period starting at ``since`` or later:
    reported, due, handled or closed since then, or still open."""
    closed = f.closed[idx]
    keep = (f.reported[idx] >= since) | ~(closed < since) | (f.deadline[idx] >= since)
    keep |= f.handled[idx] >= since
    return idx[keep]


def indicators(f: Facts, idx: NDArray[np.intp], p: Period) -> Indicators:
    """Every indicator over the incidents ``idx`` for the period ``p``."""
    c = contributions(f, idx, p)
    handled = int(c["handled"].sum())
    return Indicators(
        **{k: int(c[k].sum()) for k in COUNTS},
        handling_hours=float(c["hours"].sum()) / handled if handled else None,
    )


def by_unit(f: Facts, idx: NDArray[np.intp], p: Period, unit: NDArray[np.int32]) -> dict[int, Indicators]:
    """Indicators per unit id (``unit`` gives each incident's unit; 0: none)."""
    c = contributions(f, idx, p)
    units = unit[idx]
    size = int(units.max(initial=0)) + 1
    sums = {k: np.bincount(units, weights=c[k], minlength=size) for k in (*COUNTS, "handled", "hours")}
    out = {}
    for u in np.flatnonzero(np.bincount(units, minlength=size)):
        handled = int(sums["handled"][u])
        out[int(u)] = Indicators(
            **{k: int(sums[k][u]) for k in COUNTS},
            handling_hours=float(sums["hours"][u]) / handled if handled else None,
        )
    return out
