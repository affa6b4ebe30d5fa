"""Working time in China: which days are worked, and clocks that only run during office hours.

Which days are worked comes from ``chinese-calendar`` (the State Council's holiday notices, with
the make-up working days 调休 on weekends), plus the district's own additions. For a year no
notice covers yet (the notice comes out in November or December), the days off are provisional:
the statutory holidays of 《全国年节及纪念日放假办法》 computed from the lunar calendar by the
``holidays`` package (元旦, 除夕 and 春节 初一–初三, 清明, 劳动节 two days, 端午, 中秋, 国庆 three
days), with a weekday off for each that falls on a weekend (补假), but no 调休 working weekends,
which only the notice says. :attr:`WorkCalendar.known_until` is the last day of the notices;
the district file's ``extra_holidays`` / ``extra_workdays`` take the new notice's days until
``chinese-calendar`` has them.

Office hours may change with the season (夏季 / 冬季作息, common in the north: a longer lunch
break in summer): each :class:`Season` gives the hours of the days from one month-day to another
(across the new year if it ends before it starts), ``periods`` the hours of the other days.

All arithmetic is vectorised over numpy arrays of Beijing local time (``datetime64[m]``, naive,
UTC+8 all year): a working clock is a cumulative count of working minutes, so adding working
hours is a lookup and a ``searchsorted``, not a loop over days.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import chinese_calendar
import holidays
import numpy as np
from numpy.typing import NDArray

Minutes = NDArray[np.datetime64]  # datetime64[m], Beijing local time
_DAY = 1440


Periods = tuple[tuple[int, int], ...]  # office hours as minutes after midnight, in order


@dataclass(frozen=True)
class Season:
    """Office hours of the days from ``start`` to ``end`` (month, day), both included."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    periods: Periods

    def holds(self, month_day: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Per ``month * 100 + day``: whether the day is in this season."""
        a, b = self.start[0] * 100 + self.start[1], self.end[0] * 100 + self.end[1]
        return (month_day >= a) & (month_day <= b) if a <= b else (month_day >= a) | (month_day <= b)


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours (minutes after midnight, e.g. ``((510, 720), (870, 1080))`` for 8:30–12:00
    and 14:30–18:00), those of the seasons that have their own (the first that holds a day
    wins), and the district's extra holidays and working days."""

    periods: Periods = ((510, 720), (870, 1080))
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    seasons: tuple[Season, ...] = ()

    @property
    def known_until(self) -> dt.date:
        """The last day the State Council's holiday notices cover (later days are provisional)."""
        return dt.date(max(chinese_calendar.holidays).year, 12, 31)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day <= self.known_until:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and day not in provisional_holidays(day.year)

    def provisional_from(self, today: dt.date, *, days: int = 30) -> dt.date | None:
        """The first day within ``days`` after ``today`` whose days off no notice has fixed yet
        (deadlines over it are provisional), or None."""
        first = max(today, self.known_until + dt.timedelta(days=1))
        return first if first <= today + dt.timedelta(days=days) else None

    @property
    def schedules(self) -> tuple[Periods, ...]:
        """The office hours of the other days, then each season's."""
        return (self.periods, *(season.periods for season in self.seasons))

    @property
    def minutes_per_day(self) -> int:
        """The fewest office minutes of a worked day (of any schedule)."""
        return min(_minutes(periods) for periods in self.schedules)

    def schedule(self, days: NDArray[np.datetime64]) -> NDArray[np.int64]:
        """Per day, its office hours: 0 for ``periods``, k for the k-th season."""
        month = days.astype("datetime64[M]")
        month_day = (month.astype(np.int64) % 12 + 1) * 100 + (days - month).astype(np.int64) + 1
        which = np.zeros(len(days), np.int64)
        for k, season in reversed(list(enumerate(self.seasons, 1))):  # the first that holds wins
            which = np.where(season.holds(month_day), k, which)
        return which

    def _table(
        self, first: dt.date, last: dt.date
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """From ``first`` to ``last``, per day: working minutes before it, its working minutes
        (0 on a day off) and its schedule."""
        days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
        which = self.schedule(days)
        minutes = np.array([_minutes(p) for p in self.schedules], np.int64)[which] * self.workdays(days)
        before = np.concatenate([[0], np.cumsum(minutes)[:-1]])
        return before.astype(np.int64), minutes, which

    def workdays(self, days: NDArray[np.datetime64]) -> NDArray[np.bool_]:
        """:meth:`is_workday` for an array of ``datetime64[D]`` days, at once."""
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        worked = weekday < 5
        known = days <= np.datetime64(self.known_until, "D")
        worked[known & np.isin(days, _NATIONAL_HOLIDAYS)] = False
        worked[known & np.isin(days, _NATIONAL_WORKDAYS)] = True
        later = days[~known]
        if len(later):
            years = range(later.min().astype(dt.date).year, later.max().astype(dt.date).year + 1)
            off = _day_array(d for year in years for d in provisional_holidays(year))
            worked[~known & np.isin(days, off)] = False
        worked[np.isin(days, _day_array(self.extra_holidays))] = False
        worked[np.isin(days, _day_array(self.extra_workdays))] = True
        return worked

    def _within_day(self, minute: NDArray[np.int64], which: NDArray[np.int64]) -> NDArray[np.int64]:
        """Working minutes from midnight to ``minute`` of a worked day of schedule ``which``."""
        done = np.zeros_like(minute)
        for k, periods in enumerate(self.schedules):
            done = np.where(which == k, _within(minute, periods), done)
        return done

    def _at_offset(self, offset: NDArray[np.int64], which: NDArray[np.int64]) -> NDArray[np.int64]:
        """The minute of a worked day of schedule ``which`` at which ``offset`` working minutes
        are done (0 < offset)."""
        minute = np.zeros_like(offset)
        for k, periods in enumerate(self.schedules):
            minute = np.where(which == k, _at(offset, periods), minute)
        return minute

    def add_hours(self, start: Minutes, hours: NDArray[np.float64]) -> Minutes:
        """``start`` plus ``hours`` of office time (a deadline of N working hours)."""
        need = np.round(np.asarray(hours, float) * 60).astype(np.int64)
        days_needed = int(need.max(initial=0) / self.minutes_per_day * 1.5) + 40
        first, last = _span(start, extra_days=days_needed)
        before, minutes, which = self._table(first, last)
        day = _day_index(start, first)
        done = np.where(minutes[day] > 0, self._within_day(_minute_of_day(start), which[day]), 0)
        target = before[day] + done + need
        due_day = np.searchsorted(before + minutes, target, side="left")
        due = _to_minutes(first, due_day, self._at_offset(target - before[due_day], which[due_day]))
        return np.where(need > 0, due, start)

    def add_days(self, start: Minutes, days: NDArray[np.int64]) -> Minutes:
        """The close of business of the ``days``-th working day after ``start``'s date
        (N个工作日内: the day a case arrives does not count)."""
        first, last = _span(start, extra_days=int(np.max(days, initial=0)) * 2 + 40)
        _, minutes, which = self._table(first, last)
        ordinal = np.cumsum(minutes > 0)  # working days up to and including each day
        day = _day_index(start, first)
        due_day = np.searchsorted(ordinal, ordinal[day] + days, side="left")
        closing = np.array([p[-1][1] for p in self.schedules], np.int64)
        return _to_minutes(first, due_day, closing[which[due_day]])

    def working_minutes(self, start: Minutes, end: Minutes) -> NDArray[np.int64]:
        """Office minutes between ``start`` and ``end`` (0 when ``end`` is not later)."""
        first, last = _span(np.concatenate([start, end]), extra_days=1)
        before, minutes, which = self._table(first, last)

        def clock(t: Minutes) -> NDArray[np.int64]:
            day = _day_index(t, first)
            return before[day] + np.where(
                minutes[day] > 0, self._within_day(_minute_of_day(t), which[day]), 0
            )

        return np.maximum(clock(end) - clock(start), 0)


def _minutes(periods: Periods) -> int:
    return sum(end - start for start, end in periods)


def _within(minute: NDArray[np.int64], periods: Periods) -> NDArray[np.int64]:
    done = np.zeros_like(minute)
    for start, end in periods:
        done += np.clip(minute - start, 0, end - start)
    return done


def _at(offset: NDArray[np.int64], periods: Periods) -> NDArray[np.int64]:
    minute = np.full_like(offset, periods[-1][1])
    found = np.zeros(len(offset), dtype=bool)
    left = offset.copy()
    for start, end in periods:
        here = ~found & (left <= end - start)
        minute = np.where(here, start + left, minute)
        found |= here
        left = left - (end - start)
    return minute


def _day_array(dates: Iterable[dt.date]) -> NDArray[np.datetime64]:
    return np.array(sorted(dates), dtype="datetime64[D]")


@functools.lru_cache(maxsize=64)
def provisional_holidays(year: int) -> frozenset[dt.date]:
    """The statutory days off of ``year`` as the law fixes them, before the State Council's notice
    arranges them: computed from the lunar calendar, with 补假 for those on a weekend."""
    return frozenset(holidays.China(years=year))


# the national calendar as arrays once, not per call (it is a few thousand days)
_NATIONAL_HOLIDAYS = _day_array(chinese_calendar.holidays)
_NATIONAL_WORKDAYS = _day_array(chinese_calendar.workdays)


def _span(times: Minutes, *, extra_days: int) -> tuple[dt.date, dt.date]:
    days = times.astype("datetime64[D]")
    first = days.min().astype(dt.date) if len(days) else dt.date.today()
    last = days.max().astype(dt.date) if len(days) else first
    return first, last + dt.timedelta(days=extra_days)


def _day_index(times: Minutes, first: dt.date) -> NDArray[np.int64]:
    return (times.astype("datetime64[D]") - np.datetime64(first, "D")).astype(np.int64)


def _minute_of_day(times: Minutes) -> NDArray[np.int64]:
    return (times - times.astype("datetime64[D]")).astype("timedelta64[m]").astype(np.int64)


def _to_minutes(first: dt.date, day: NDArray[np.int64], minute: NDArray[np.int64]) -> Minutes:
    return np.datetime64(first, "m") + (day * _DAY + minute).astype("timedelta64[m]")


def parse_periods(texts: Iterable[str]) -> Periods:
    """``["08:30-12:00", "14:30-18:00"]`` → ``((510, 720), (870, 1080))`` (ValueError if not)."""
    periods: list[tuple[int, int]] = []
    for text in texts:
        start, _, end = str(text).partition("-")
        a, b = _clock(start), _clock(end)
        if b <= a or (periods and a < periods[-1][1]):
            raise ValueError(f"office hours {text!r} must run forward, in order, without overlap")
        periods.append((a, b))
    if not periods:
        raise ValueError('office hours are empty; give e.g. ["08:30-12:00", "14:30-18:00"]')
    return tuple(periods)


def _clock(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= _DAY:
        raise ValueError(f"{text!r} is not a time of day")
    return value
