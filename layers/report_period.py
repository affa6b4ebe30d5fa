"""The period a report covers (周报, 月报, any range) and the two it is compared with: 环比, the
period of equal standing just before (last week, last month, or as many days just before a
range), and 同比, the same period a year earlier (29 February falls back to the 28th)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Literal

from geo.errors import InputError

BEIJING = dt.timezone(dt.timedelta(hours=8))
Kind = Literal["week", "month", "range"]
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class ReportPeriod:
    start: dt.date
    end: dt.date  # inclusive
    kind: Kind = "range"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=BEIJING)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=BEIJING)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportPeriod:
        """环比: last month for a month, last week for a week, else as many days just before."""
        if self.kind == "month":
            first = (self.start - dt.timedelta(days=1)).replace(day=1)
            return replace(self, start=first, end=_month_end(first))
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    def last_year(self) -> ReportPeriod:
        """同比: the same days a year earlier (a month: the same month)."""
        if self.kind == "month":
            first = self.start.replace(year=self.start.year - 1)
            return replace(self, start=first, end=_month_end(first))
        return replace(self, start=_year_back(self.start), end=_year_back(self.end))

    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}年第{week}周（{self.start:%m月%d日}至{self.end:%m月%d日}）"
        return f"{self.start:%Y年%m月%d日}至{self.end:%Y年%m月%d日}"


def month(text: str) -> ReportPeriod:
    """``2026-11``: November 2026."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise InputError(f"a month is written 2026-11, not {text!r}")
    first = dt.date(int(found.group(1)), int(found.group(2)), 1)
    return ReportPeriod(first, _month_end(first), "month")


def week_of(day: dt.date) -> ReportPeriod:
    """The calendar week (Monday to Sunday) holding ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return ReportPeriod(monday, monday + dt.timedelta(days=6), "week")


def last_week(today: dt.date) -> ReportPeriod:
    return week_of(today - dt.timedelta(days=7))


def last_month(today: dt.date) -> ReportPeriod:
    return month(f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}")


def days(start: str, end: str) -> ReportPeriod:
    """``--from 2026-11-01 --to 2026-11-15``."""
    try:
        return ReportPeriod(dt.date.fromisoformat(start), dt.date.fromisoformat(end), "range")
    except ValueError:
        raise InputError(f"dates are written 2026-11-01 (got {start!r} and {end!r})") from None
