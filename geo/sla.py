"""The SLA clock: each category's handling deadline, as the district's settings file sets it.

A deadline is written ``"16wh"`` (16 working hours: the clock runs only in office hours on
working days), ``"5wd"`` (by the close of the 5th working day after the case arrives) or
``"4h"`` (4 hours round the clock, for emergencies). The clock starts at registration (立案),
or at the report when a case has no registration time. A category's deadline is set by its
``[categories.KEY]`` table or by ``[sla.deadlines]`` (not both); one set by neither keeps its
default (:mod:`geo.categories`), and a district category with none takes that of "other".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.categories import CATEGORIES
from geo.district_file import district_table
from geo.errors import ConfigError
from geo.lifecycle import Term
from geo.natures import NATURES, URGENCIES, nature, urgency
from geo.workcal import Season, WorkCalendar, parse_periods

if TYPE_CHECKING:
    from geo.vocabulary import Vocabulary

TZ = "Asia/Shanghai"
_RULE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wh|wd|h)\s*$")
_EIGHT_HOURS_US = 8 * 3600 * 1_000_000  # Beijing time is UTC+8 all year
UNITS = {"wh": "working hours", "wd": "working days", "h": "hours round the clock"}


@dataclass(frozen=True)
class Deadline:
    amount: float
    unit: str  # a key of UNITS

    @classmethod
    def parse(cls, text: str) -> Deadline:
        match = _RULE.match(str(text))
        if not match or float(match.group(1)) <= 0:
            raise ValueError(f"deadline {text!r} is not like '16wh', '5wd' or '4h' ({', '.join(UNITS)})")
        return cls(float(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.amount:g}{self.unit}"


@dataclass(frozen=True)
class SlaRules:
    """Deadlines per category key, and the calendar working-time deadlines run on."""

    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    deadlines: Mapping[str, Deadline] = field(
        default_factory=lambda: {k: Deadline.parse(c.deadline) for k, c in CATEGORIES.items()}
    )

    # 签收时限: a case must be signed for within this of its report (响应率, the response rate)
    sign_off: Deadline = field(default_factory=lambda: Deadline(2, "wh"))
    # 临期预警: an open case due within this many working hours (and not yet overdue) is flagged
    warn_working_hours: float = 4.0
    # 诉求性质 and 紧急程度 rules (keys of geo/natures.py): a case must meet every rule that
    # applies to it, so its deadline is the earliest of its category's, nature's and urgency's
    by_nature: Mapping[str, Deadline] = field(default_factory=dict)
    by_urgency: Mapping[str, Deadline] = field(default_factory=dict)

    def rule(self, category: str) -> Deadline:
        return self.deadlines.get(category) or self.deadlines["other"]

    def due(self, categories: pd.Series, starts: pd.Series, **dimensions: pd.Series | None) -> pd.Series:
        """Deadlines (tz-aware, Beijing time) for cases of ``categories`` starting at ``starts``
        (and of ``natures`` / ``urgencies``, keys or None: see :meth:`due_and_rule`)."""
        return self.due_and_rule(categories, starts, **dimensions)[0]

    def due_and_rule(
        self,
        categories: pd.Series,
        starts: pd.Series,
        *,
        natures: pd.Series | None = None,
        urgencies: pd.Series | None = None,
    ) -> tuple[pd.Series, pd.Series]:
        """Each case's deadline and the rule that set it: the earliest of its category's rule
        ('16wh'), its nature's ('consult:1wd') and its urgency's ('urgent:4h'), where the district
        sets one. Computed on numpy arrays of naive Beijing time (China has no daylight saving)."""
        local = (
            pd.to_datetime(starts, utc=True).dt.tz_convert(TZ).dt.tz_localize(None).to_numpy("datetime64[ns]")
        )
        by_category = self.rule_text(categories)
        best, rule = self._due_of(by_category, local), by_category.to_numpy()
        for keys, rules in ((natures, self.by_nature), (urgencies, self.by_urgency)):
            if keys is None or not rules:
                continue
            texts = keys.map(lambda k, r=rules: f"{k}:{r[k]}" if k in r else None)
            due = self._due_of(texts, local)
            sooner = ~np.isnat(due) & (np.isnat(best) | (due < best))
            best, rule = np.where(sooner, due, best), np.where(sooner, texts.to_numpy(), rule)
        index = categories.index
        return pd.Series(pd.DatetimeIndex(best).tz_localize(TZ), index=index), pd.Series(
            rule, index=index, dtype=object
        )

    def _due_of(self, texts: pd.Series, local: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
        """``local`` plus each row's rule text ('16wh' or 'consult:1wd'; None: NaT)."""
        due = np.full(len(local), np.datetime64("NaT"), dtype="datetime64[ns]")
        codes, distinct = pd.factorize(texts)  # hashing, not sorting strings
        for k, text in enumerate(distinct):
            rows = (codes == k) & ~np.isnat(local)
            due[rows] = self._add(local[rows], Deadline.parse(str(text).rpartition(":")[2]))
        return due

    def rule_text(self, categories: pd.Series) -> pd.Series:
        """Each case's rule as text ('16wh'), looked up once per distinct category."""
        codes, distinct = pd.factorize(categories)
        texts = np.array([str(self.rule(str(c))) for c in distinct] + [None], dtype=object)
        return pd.Series(texts[codes], index=categories.index, dtype=object)  # code -1 (missing) → None

    def _add(self, local: NDArray[np.datetime64], rule: Deadline) -> NDArray[np.datetime64]:
        """Naive Beijing ``datetime64[ns]`` starts plus ``rule``."""
        if rule.unit == "h":  # to the second, as the database stores starts to the microsecond
            seconds = (local + np.timedelta64(500, "ns")).astype("datetime64[us]").astype("datetime64[s]")
            return (seconds + np.timedelta64(round(rule.amount * 3600), "s")).astype("datetime64[ns]")
        floor = local.astype("datetime64[m]")
        minutes: NDArray[np.datetime64] = np.where(
            local > floor, floor + np.timedelta64(1, "m"), floor
        )  # ceil
        if rule.unit == "wh":
            due = self.calendar.add_hours(minutes, np.full(len(minutes), rule.amount))
        else:
            due = self.calendar.add_days(minutes, np.full(len(minutes), int(rule.amount), dtype=np.int64))
        return due.astype("datetime64[ns]")

    def sign_off_due(self, starts: NDArray[np.float64]) -> NDArray[np.float64]:
        """The sign-off deadline of cases reported at ``starts`` (seconds since 1970; NaN stays)."""
        return self.after(starts, self.sign_off)

    def after(self, starts: NDArray[np.float64], rule: Deadline) -> NDArray[np.float64]:
        """``starts`` (seconds since 1970, NaN for none) plus ``rule``, in seconds since 1970."""
        out = np.full(len(starts), np.nan)
        has = ~np.isnan(starts)
        if has.any():
            micros = np.round(starts[has] * 1e6).astype(np.int64) + _EIGHT_HOURS_US  # Beijing, naive
            local: NDArray[np.datetime64] = micros.astype("datetime64[us]").astype("datetime64[ns]")
            due = self._add(local, rule).astype("datetime64[us]").astype(np.int64) - _EIGHT_HOURS_US
            out[has] = due / 1e6
        return out

    def working_hours(self, starts: NDArray[np.float64], ends: NDArray[np.float64]) -> NDArray[np.float64]:
        """Office hours (working days, the seasons' hours) from ``starts`` to ``ends`` (seconds
        since 1970; NaN where either is missing), as deadlines in working hours count them."""
        out = np.full(len(starts), np.nan)
        has = ~np.isnan(starts) & ~np.isnan(ends)
        if has.any():
            minutes = self.calendar.working_minutes(_local_minutes(starts[has]), _local_minutes(ends[has]))
            out[has] = minutes / 60.0
        return out

    def warn_until(self, now: dt.datetime) -> dt.datetime:
        """The latest deadline a case open at ``now`` may have to be 临期 (due soon)."""
        due = self.after(np.array([now.timestamp()]), Deadline(self.warn_working_hours, "wh"))[0]
        return dt.datetime.fromtimestamp(float(due), dt.UTC)

    @classmethod
    def from_file(cls, path: Path, *, vocabulary: Vocabulary | None = None) -> SlaRules:
        """Read the ``[sla]`` table of a district settings file (ConfigError says what is wrong);
        the categories are ``vocabulary``'s (default: read from the same file)."""
        from geo.vocabulary import Vocabulary

        table = district_table(path, "sla")
        vocabulary = Vocabulary.from_file(path) if vocabulary is None else vocabulary
        try:
            return cls._from_table(table, vocabulary)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}: [sla] {exc}; see the comments in data/district.toml") from None

    @classmethod
    def _from_table(cls, table: Mapping[str, Any], vocabulary: Vocabulary) -> SlaRules:
        given = table.get("deadlines", {})
        known = vocabulary.categories
        unknown = set(given) - set(known)
        if unknown:
            raise ValueError(
                f"[sla.deadlines] names unknown categories {sorted(unknown)}; known: {', '.join(known)} "
                "(declare a new one as a [categories.KEY] table)"
            )
        twice = sorted(set(given) & vocabulary.file_deadlines)
        if twice:
            raise ValueError(
                f"the deadline of {twice} is set both in [sla.deadlines] and in [categories.KEY]: keep one"
            )
        deadlines = {k: Deadline.parse(c.deadline) for k, c in known.items() if c.deadline}
        deadlines.update({k: Deadline.parse(v) for k, v in given.items()})
        calendar = WorkCalendar(
            periods=parse_periods(table.get("office_hours", ["08:30-12:00", "14:30-18:00"])),
            extra_holidays=_dates(table.get("extra_holidays", []), "extra_holidays"),
            extra_workdays=_dates(table.get("extra_workdays", []), "extra_workdays"),
            seasons=tuple(_season(entry) for entry in _seasons(table.get("seasons", []))),
        )
        warn = table.get("warn_working_hours", 4)
        if isinstance(warn, bool) or not isinstance(warn, int | float) or not 0 < warn <= 200:
            raise ValueError(f"warn_working_hours = {warn!r} is not a number of working hours in (0, 200]")
        sign_off = Deadline.parse(table.get("sign_off", "2wh"))
        return cls(calendar=calendar, deadlines=deadlines, sign_off=sign_off, warn_working_hours=float(warn),
                   by_nature=_keyed(table.get("natures", {}), "natures", nature, NATURES),
                   by_urgency=_keyed(table.get("urgency", {}), "urgency", urgency, URGENCIES))  # fmt: skip


def _keyed(given: Any, name: str, find: Callable[[str], str | None], terms: Mapping[str, Term]) -> dict[str, Deadline]:  # fmt: skip
    """``[sla.natures]`` / ``[sla.urgency]``: a deadline per term, named by key or Chinese name."""
    if not isinstance(given, dict):
        raise ValueError(f'[sla.{name}] must be a table like 咨询 = "1wd"')
    out: dict[str, Deadline] = {}
    for text, rule in given.items():
        key = find(str(text))
        if key is None:
            known = ", ".join(f"{t.zh} ({t.key})" for t in terms.values())
            raise ValueError(f"[sla.{name}] names {text!r}, which is none of {known}")
        out[key] = Deadline.parse(rule)
    return out


def _local_minutes(seconds: NDArray[np.float64]) -> NDArray[np.datetime64]:
    """Seconds since 1970 → Beijing local time (naive), to the minute."""
    micros = np.round(seconds * 1e6).astype(np.int64) + _EIGHT_HOURS_US
    return micros.astype("datetime64[us]").astype("datetime64[m]")


def _seasons(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError("seasons must be [[sla.seasons]] tables with name, from, to and office_hours")
    return value


def _season(entry: Mapping[str, Any]) -> Season:
    """``{name = "夏季作息", from = "05-01", to = "09-30", office_hours = [...]}`` → a Season."""
    name = str(entry.get("name", "")).strip()
    missing = [key for key in ("name", "from", "to", "office_hours") if not entry.get(key)]
    if missing:
        raise ValueError(f"the season {name or '(unnamed)'} lacks {', '.join(missing)}")
    return Season(name, _month_day(entry["from"], name), _month_day(entry["to"], name),
                  parse_periods(entry["office_hours"]))  # fmt: skip


def _month_day(text: Any, season: str) -> tuple[int, int]:
    try:
        day = dt.date.fromisoformat(f"2024-{str(text).strip()}")  # a leap year: 02-29 is a day
    except ValueError:
        raise ValueError(f'the season {season}: {text!r} is not a month and day like "05-01"') from None
    return day.month, day.day


def _dates(values: Any, name: str) -> frozenset[dt.date]:
    if not isinstance(values, list) or not all(isinstance(v, dt.date) for v in values):
        raise ValueError(f"{name} must be a list of dates like [2026-11-27]")
    return frozenset(values)
