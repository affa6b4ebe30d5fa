"""The wall screen's KPI tiles, each with the value it is compared against.

- open incidents now, against 24 hours ago;
- new today (since 00:00 Beijing time), against yesterday up to the same time of day;
- overdue now, against 24 hours ago;
- on-time closure rate this month, against last month;
- average handling time (hours) this month, against last month;
- 12345's 三率 this month (response, resolution, satisfaction), against last month ("—" where
  the data has no 签收 or 回访).

All five come from numpy over the loaded facts; the formulas are :mod:`layers.indicators`'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
class Tile:
    key: str
    value: float | None
    previous: float | None
    withheld: bool = False  # a rate not computed for this filter (see tiles)

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

    def periods(self) -> dict[str, Period]:
        yesterday = self.now - dt.timedelta(days=1)
        return {
            "today": Period.of(self.day, self.now, self.now),
            "yesterday": Period.of(self.day - dt.timedelta(days=1), yesterday, yesterday),
            "month": Period.of(self.month, self.next_month, self.now),
            "last_month": Period.of(self.last_month, self.month, self.now),
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

    return Counter(count, epoch=("tiles", f.unclocked(), periods.day, periods.month), offsets=(0.0, -86400.0))


def period_indicators(sums: Sums) -> dict[str, Indicators]:
    """Indicators for today, yesterday, this month and last month from :func:`tile_counter`'s sums."""
    names = ("today", "yesterday", "month", "last_month")
    return {name: of_sums({k: sums[f"{name}.{k}"] for k in SUMMED}, 0) for name in names}


def tiles(facts: Facts, f: IncidentFilter, *, now: dt.datetime) -> list[Tile]:
    """The KPI tiles for the place, categories and sources ``f`` selects, counted afresh."""
    return tiles_of(tally(tile_counter(f, now=now), facts, now.timestamp()).sums, f)


def tiles_of(sums: Sums, f: IncidentFilter) -> list[Tile]:
    """The KPI tiles from :func:`tile_counter`'s sums. Under a status filter the rates and the
    handling time are withheld: of the overdue (or open) cases alone the on-time closure rate
    is 0 % by definition, which a screen must not show as a result."""
    ind = period_indicators(sums)
    today, yesterday, month, last = ind["today"], ind["yesterday"], ind["month"], ind["last_month"]
    rates = [
        Tile("on_time_closure", month.on_time_closure_rate, last.on_time_closure_rate),
        Tile("handling_hours", month.handling_hours, last.handling_hours),
        *(Tile(key, getattr(month, f"{key}_rate"), getattr(last, f"{key}_rate")) for key in SERVICE_RATES),
    ]
    if f.statuses:
        rates = [Tile(t.key, None, None, withheld=True) for t in rates]
    return [
        Tile("open", today.open, yesterday.open),
        Tile("new_today", today.reported, yesterday.reported),
        Tile("overdue", today.overdue, yesterday.overdue),
        *rates,
    ]
