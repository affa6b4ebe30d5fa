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
  in the period: in office hours (``handling_work_hours``, counted as deadlines in working
  hours are: working days, office hours, the seasons' hours), which the screens show, and in
  clock hours (``handling_hours``).

12345's 三率, where the data has the lifecycle steps (see ``ingest/kinds/incident_events.py``),
of incidents reported in the period:

- 响应率 response rate = signed for (签收) by the sign-off deadline / due to be signed, where
  the sign-off deadline is the district file's ``[sla] sign_off`` (default 2 working hours)
  after the report, *due* are those signed for by ``t`` or whose sign-off deadline has passed,
  and only sources that report 签收 at all are measured;
- 解决率 resolution rate = callbacks (回访) saying resolved / callbacks answering 是否解决;
- 满意率 satisfaction rate = callbacks 满意 or 基本满意 / callbacks (the last callback of each case).

A case suspended now (挂起, not yet 恢复) is not overdue: its clock stands still.

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

from geo.schema import SATISFACTIONS
from layers.facts import Facts

_CONTENT = np.array([SATISFACTIONS.index("satisfied"), SATISFACTIONS.index("basic")])  # 满意, 基本满意

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
    "sign_due",
    "signed_on_time",
    "callbacks",
    "satisfied",
    "answered",
    "resolved",
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
    handling_work_hours: float | None = None  # None too when the facts carry no office hours
    sign_due: int = 0
    signed_on_time: int = 0
    callbacks: int = 0
    satisfied: int = 0  # 满意 or 基本满意
    answered: int = 0  # callbacks answering 是否解决
    resolved: int = 0

    @property
    def response_rate(self) -> float | None:
        return _rate(self.signed_on_time, self.sign_due)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolved, self.answered)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.callbacks)

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

    Only incidents that can count in ``p`` need to be passed (any other adds nothing): see
    :func:`counting`."""
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
        **_outcomes(f, idx, p, in_p=in_p, is_open=is_open),
        **{
            "reported": in_p,
            "registered": registered,
            "closed": registered & (closed <= p.t),
            "due": due,
            "handled_on_time": due & (handled <= due_at),
            "closed_on_time": due & (closed <= due_at),
            "open": is_open,
            "rework": np.where(in_p, f.rework[idx], 0),
            "handled": handled_in,
            "hours": np.where(handled_in, (done - start) / 3600.0, 0.0),
            **_office_hours(f, idx, handled_in),
        },
    }


def _outcomes(
    f: Facts, idx: NDArray[np.intp], p: Period, *, in_p: NDArray[np.bool_], is_open: NDArray[np.bool_]
) -> dict[str, NDArray[Any]]:
    """Overdue (a suspended case is not) and the 三率's counts."""
    tracked = np.isin(f.source[idx], f.signing_sources)
    sign_due = (
        np.where(tracked, f.sign_due[idx], np.nan) if f.sign_due is not None else np.full(len(idx), np.nan)
    )
    signed, satisfaction, resolved = f.signed[idx], f.satisfaction[idx], f.resolved[idx]
    counted = in_p & ~np.isnan(sign_due) & ((signed <= p.t) | (sign_due <= p.t))
    callbacks = in_p & (satisfaction >= 0)
    return {
        "overdue": is_open & (f.deadline[idx] < p.t) & ~(f.suspended[idx] <= p.t),
        "sign_due": counted,
        "signed_on_time": counted & (signed <= sign_due) & (signed <= p.t),
        "callbacks": callbacks,
        "satisfied": callbacks & np.isin(satisfaction, _CONTENT),
        "answered": callbacks & (resolved >= 0),
        "resolved": callbacks & (resolved == 1),
    }


def counting(f: Facts, selected: NDArray[np.bool_], *, since: float) -> NDArray[np.intp]:
    """Of the incidents a mask selects, those that can count in any period starting at ``since``
    or later: reported, due, handled or closed since then, or still open (compared over whole
    arrays, faster than gathering a million positions first)."""
    return np.flatnonzero(_can_count(f.reported, f.closed, f.deadline, f.handled, since) & selected)


def narrowed(f: Facts, idx: NDArray[np.intp], *, since: float) -> NDArray[np.intp]:
    """:func:`counting` of the incidents ``idx`` (positions)."""
    keep = _can_count(f.reported[idx], f.closed[idx], f.deadline[idx], f.handled[idx], since)
    return idx[keep]


def _can_count(reported: Any, closed: Any, deadline: Any, handled: Any, since: float) -> NDArray[np.bool_]:
    keep = (reported >= since) | ~(closed < since) | (deadline >= since)
    keep |= handled >= since
    return np.asarray(keep)


def indicators(f: Facts, idx: NDArray[np.intp], p: Period) -> Indicators:
    """Every indicator over the incidents ``idx`` for the period ``p``."""
    c = contributions(f, idx, p)
    handled = int(c["handled"].sum())
    return Indicators(
        **{k: int(c[k].sum()) for k in COUNTS},
        handling_hours=float(c["hours"].sum()) / handled if handled else None,
        handling_work_hours=_mean(float(c["work_hours"].sum()), handled) if "work_hours" in c else None,
    )


def _office_hours(f: Facts, idx: NDArray[np.intp], handled_in: NDArray[np.bool_]) -> dict[str, NDArray[Any]]:
    """Handling time in office hours, where the facts carry it (none: the indicator is unknown)."""
    return {} if f.work_hours is None else {"work_hours": np.where(handled_in, f.work_hours[idx], 0.0)}


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


SUMMED = (
    *COUNTS,
    "handled",
    "hours",
    "work_hours",
)  # what unit_sums adds up per unit (work_hours: if the facts carry it)


def unit_sums(
    f: Facts, idx: NDArray[np.intp], p: Period, units: NDArray[np.int32]
) -> dict[str, NDArray[np.float64]]:
    """Every indicator's counts (and handling hours) summed per unit id (``units``: each
    incident's of ``idx``; 0: none): additive, so sums over parts of the incidents add up."""
    c = contributions(f, idx, p)
    size = int(units.max(initial=0)) + 1
    return {k: _per_unit(units, c[k], size) for k in SUMMED if k in c}


def _per_unit(units: NDArray[np.int32], values: NDArray[Any], size: int) -> NDArray[np.float64]:
    """``values`` summed per unit: a flag's by counting the units where it is set (a third of
    the time of weighting every incident), a number's by weights."""
    if values.dtype == np.bool_:
        return np.bincount(units[values], minlength=size).astype(np.float64)
    return np.asarray(np.bincount(units, weights=values, minlength=size), np.float64)


def of_sums(sums: dict[str, NDArray[np.float64]], unit: int) -> Indicators:
    """The indicators of ``unit`` from :func:`unit_sums` (added up over any parts)."""
    at = lambda k: float(sums[k][unit]) if unit < len(sums[k]) else 0.0  # noqa: E731
    handled = round(at("handled"))
    return Indicators(
        **{k: round(at(k)) for k in COUNTS},
        handling_hours=at("hours") / handled if handled else None,
        handling_work_hours=_mean(at("work_hours"), handled) if "work_hours" in sums else None,
    )


def by_unit(f: Facts, idx: NDArray[np.intp], p: Period, unit: NDArray[np.int32]) -> dict[int, Indicators]:
    """Indicators per unit id (``unit`` gives each incident's unit; 0: none), for every unit
    with an incident among ``idx``."""
    sums = unit_sums(f, idx, p, unit[idx])
    present = np.flatnonzero(np.bincount(unit[idx], minlength=len(sums["reported"])))
    return {int(u): of_sums(sums, int(u)) for u in present}
