"""The wall screen's KPI tiles, each with the value it is compared against.

- open incidents now, against 24 hours ago;
- new today (since 00:00 Beijing time), against yesterday up to the same time of day;
- overdue now, against 24 hours ago;
- on-time closure rate this month so far, against the same days of last month;
- average handling time (office hours) this month so far, against the same days of last month;
- 12345's 三率 this month so far (response, resolution, satisfaction), against the same days of
  last month ("—" where the data has no 签收 or 回访).

"The same days of last month" run from its first day as far as now is into this month (to the
end of last month at most), judged as they stood then: on 5 December at 10:00, 1 November 00:00
to 5 November 10:00.

All five come from numpy over the loaded facts; the formulas are :mod:`layers.indicators`'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.indicators import SUMMED, Indicators, Period, counting, narrowed, of_sums, unit_sums
from layers.tally import Counter, Sums, tally

BEIJING = ZoneInfo("Asia/Shanghai")
SERVICE_RATES = ("response", "resolution", "satisfaction")  # 12345's 三率: Indicators.<key>_rate


@dataclass(frozen=True)
class Kpi:
    """One KPI tile, declared once; the wall screen's tile is built from this alone.

    ``key`` names its label in the screen's words; ``shows`` how its value reads (a count, a
    rate shown as a percentage, hours); ``unit`` the words key of the unit after the value;
    ``indicator`` the :class:`~layers.indicators.Indicators` attribute it shows, of the period
    ``now`` and, for the comparison (words key ``compared``), of the period ``then``; ``better``
    whether a rise is good news; ``under_status`` whether it still means something when the
    screen is filtered by status (of the overdue cases alone the on-time closure rate is 0 %
    by definition, which a screen must not show as a result)."""

    key: str
    shows: Literal["count", "rate", "hours"]
    indicator: str
    now: Literal["today", "month"]
    then: Literal["yesterday", "last_month"]
    compared: str
    better: Literal["up", "down"]
    unit: str | None = None
    under_status: bool = True


def _monthly(key: str, shows: Literal["rate", "hours"], indicator: str, *, better: Literal["up", "down"],
             unit: str | None = None) -> Kpi:  # fmt: skip
    """A KPI of this month against last month, not shown under a status filter."""
    return Kpi(
        key, shows, indicator, "month", "last_month", "vs_last_month", better, unit, under_status=False
    )


KPIS: tuple[Kpi, ...] = (
    Kpi("open", "count", "open", "today", "yesterday", "vs_24h", "down"),
    Kpi("new_today", "count", "reported", "today", "yesterday", "vs_yesterday", "down"),
    Kpi("overdue", "count", "overdue", "today", "yesterday", "vs_24h", "down"),
    _monthly("on_time_closure", "rate", "on_time_closure_rate", better="up"),
    _monthly("handling_hours", "hours", "handling_work_hours", better="down", unit="work_hours"),
    *(_monthly(k, "rate", f"{k}_rate", better="up") for k in SERVICE_RATES),
)
BY_KEY = {k.key: k for k in KPIS}


@dataclass(frozen=True)
class Tile:
    key: str
    value: float | None
    previous: float | None
    withheld: bool = False  # not computed under this filter (Kpi.under_status)

    @property
    def kpi(self) -> Kpi:
        return BY_KEY[self.key]

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class Periods:
    """The period bounds the tiles use, from the clock ``now``."""

    now: dt.datetime
    day: dt.datetime
    month: dt.datetime
    last_month: dt.datetime
    next_month: dt.datetime

    @classmethod
    def at(cls, now: dt.datetime) -> Periods:
        local = now.astimezone(BEIJING)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        last_month = (month - dt.timedelta(days=1)).replace(day=1)
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        return cls(now, day, month, last_month, next_month)

    @property
    def same_time_last_month(self) -> dt.datetime:
        """As far into last month as ``now`` is into this one (its end at the latest): this month
        so far is compared with the same days of last month, each judged at its own end."""
        return min(self.last_month + (self.now - self.month), self.month)

    def periods(self) -> dict[str, Period]:
        yesterday = self.now - dt.timedelta(days=1)
        return {
            "today": Period.of(self.day, self.now, self.now),
            "yesterday": Period.of(self.day - dt.timedelta(days=1), yesterday, yesterday),
            "month": Period.of(self.month, self.next_month, self.now),
            "last_month": Period.of(self.last_month, self.same_time_last_month, self.same_time_last_month),
        }


def tile_counter(f: IncidentFilter, *, now: dt.datetime) -> Counter:
    """Indicator sums for today, yesterday (to the same time), this month and last month of the
    incidents ``f`` selects (its window aside), as the clock runs within ``now``'s day."""
    periods = Periods.at(now)

    def count(facts: Facts, idx: NDArray[np.intp] | None, clock: float) -> Sums:
        at = Periods.at(dt.datetime.fromtimestamp(clock, dt.UTC)).periods()
        g = f.at_clock(clock)
        if idx is None:  # every incident: only those that can count since last month (faster)
            idx = counting(facts, g.mask(facts, with_time=False), since=at["last_month"].a)
        else:
            idx = g.select(facts, idx, with_time=False)
        out: Sums = {}
        for name, p in at.items():  # each period over the incidents that can count in it
            part = narrowed(facts, idx, since=p.a)
            sums = unit_sums(facts, part, p, np.zeros(len(part), dtype=np.int32))
            out |= {f"{name}.{k}": v for k, v in sums.items()}
        return out

    last_month = -(periods.month - periods.last_month).total_seconds()  # the same time last month
    return Counter(
        count, epoch=("tiles", f.unclocked(), periods.day, periods.month), offsets=(0.0, -86400.0, last_month)
    )


def period_indicators(sums: Sums) -> dict[str, Indicators]:
    """Indicators for today, yesterday, this month and last month from :func:`tile_counter`'s sums."""
    names = ("today", "yesterday", "month", "last_month")
    return {
        name: of_sums({k: sums[f"{name}.{k}"] for k in SUMMED if f"{name}.{k}" in sums}, 0) for name in names
    }


def tiles(facts: Facts, f: IncidentFilter, *, now: dt.datetime) -> list[Tile]:
    """The KPI tiles for the place, categories and sources ``f`` selects, counted afresh."""
    return tiles_of(tally(tile_counter(f, now=now), facts, now.timestamp()).sums, f)


def tiles_of(sums: Sums, f: IncidentFilter) -> list[Tile]:
    """The KPI tiles (:data:`KPIS`, in order) from :func:`tile_counter`'s sums; under a status
    filter those not meaningful there are withheld."""
    ind = period_indicators(sums)
    out = []
    for k in KPIS:
        if f.statuses and not k.under_status:
            out.append(Tile(k.key, None, None, withheld=True))
        else:
            out.append(Tile(k.key, getattr(ind[k.now], k.indicator), getattr(ind[k.then], k.indicator)))
    return out
