"""The wall screen's KPI tiles, each with the value it is compared against.

- open incidents now, against 24 hours ago;
- new today (since 00:00 Beijing time), against yesterday up to the same time of day;
- overdue now, against 24 hours ago;
- on-time closure rate this month, against last month;
- average handling time (hours) this month, against last month.

All five come from one scan in PostGIS; the formulas are :mod:`layers.indicators`'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from layers._sql import compose
from layers.incident_filter import IncidentFilter
from layers.indicators import Indicators, from_row, relevant, select_list

BEIJING = ZoneInfo("Asia/Shanghai")
_PERIODS = ("today", "yesterday", "month", "last_month")


@dataclass(frozen=True)
class Tile:
    key: str
    value: float | None
    previous: float | None

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

    def params(self) -> dict[str, dt.datetime]:
        yesterday = self.now - dt.timedelta(days=1)
        return {
            "today_a": self.day, "today_b": self.now, "today_t": self.now,
            "yesterday_a": self.day - dt.timedelta(days=1), "yesterday_b": yesterday, "yesterday_t": yesterday,
            "month_a": self.month, "month_b": self.next_month, "month_t": self.now,
            "last_month_a": self.last_month, "last_month_b": self.month, "last_month_t": self.now,
        }  # fmt: skip


def period_indicators(conn: Connection, f: IncidentFilter, *, now: dt.datetime) -> dict[str, Indicators]:
    """Indicators for today, yesterday (to the same time), this month and last month."""
    where, params = f.where(with_time=False)
    columns = ", ".join(select_list(a=f"{p}_a", b=f"{p}_b", t=f"{p}_t", prefix=f"{p}_") for p in _PERIODS)
    query = compose(
        "SELECT {cols} FROM incident i WHERE {where} AND {relevant}",
        cols=columns,
        where=where,
        relevant=relevant(a="last_month_a"),
    )
    row = conn.execute(query, {**params, **Periods.at(now).params()}).one()
    size = len(row) // len(_PERIODS)
    return {p: from_row(row, offset=k * size) for k, p in enumerate(_PERIODS)}


def tiles(conn: Connection, f: IncidentFilter, *, now: dt.datetime) -> list[Tile]:
    """The five KPI tiles for the place, categories and sources ``f`` selects."""
    ind = period_indicators(conn, f, now=now)
    today, yesterday, month, last = ind["today"], ind["yesterday"], ind["month"], ind["last_month"]
    return [
        Tile("open", today.open, yesterday.open),
        Tile("new_today", today.reported, yesterday.reported),
        Tile("overdue", today.overdue, yesterday.overdue),
        Tile("on_time_closure", month.on_time_closure_rate, last.on_time_closure_rate),
        Tile("handling_hours", month.handling_hours, last.handling_hours),
    ]
