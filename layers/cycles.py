"""Round coverage (不漏一户): for the current round of each target kind, how many of a street's
sites were visited, and which were not yet.

Rounds are calendar-aligned: a kind inspected every N days has rounds of N days counted from
1 January (a 30-day kind: 1–30 Jan, 31 Jan–1 Mar, …; the last round of a year ends on 31 Dec);
a weekly kind (7 days: the 每周探访 of elders) has the calendar weeks, Monday to Sunday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.inspection_kinds import InspectionKind

_VISITED = """
SELECT t.id, t.name, t.kind, EXISTS (
    SELECT 1 FROM inspection i WHERE i.target_id = t.id AND i.inspected_at >= :start AND i.inspected_at < :until
) AS visited
FROM inspection_target t WHERE t.street_id = :street AND t.kind = :kind AND t.closed_at IS NULL ORDER BY t.id
"""
_BEIJING = dt.timezone(dt.timedelta(hours=8))
WEEK = 7


def round_of(interval_days: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the round of ``interval_days`` that contains ``today``."""
    if interval_days == WEEK:
        monday = today - dt.timedelta(days=today.weekday())
        return monday, monday + dt.timedelta(days=6)
    new_year = dt.date(today.year, 1, 1)
    start = new_year + dt.timedelta(days=(today - new_year).days // interval_days * interval_days)
    end = min(start + dt.timedelta(days=interval_days - 1), dt.date(today.year, 12, 31))
    return start, end


@dataclass(frozen=True)
class RoundCoverage:
    kind: str
    start: dt.date
    end: dt.date
    due: int
    visited: int
    missing: tuple[tuple[int, str], ...]  # (target id, name) not visited yet this round


def round_coverage(
    conn: Connection,
    *,
    street: int,
    today: dt.date,
    registry: Mapping[str, InspectionKind],
    kinds: tuple[str, ...] = (),
) -> list[RoundCoverage]:
    """Per kind of ``registry`` (the district's inspection kinds; only ``kinds`` if given)."""
    out = []
    for key in kinds or tuple(registry):
        start, end = round_of(registry[key].interval_days, today)
        params = {
            "street": street,
            "kind": key,
            "start": dt.datetime.combine(start, dt.time(), tzinfo=_BEIJING),
            "until": dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=_BEIJING),
        }
        rows = conn.execute(sa.text(_VISITED), params).all()
        if rows:
            missing = tuple((int(r.id), str(r.name)) for r in rows if not r.visited)
            out.append(RoundCoverage(key, start, end, len(rows), len(rows) - len(missing), missing))
    return out


_TALLY = """
SELECT count(*) AS due, count(*) FILTER (WHERE EXISTS (
    SELECT 1 FROM inspection i WHERE i.target_id = t.id AND i.inspected_at >= :start AND i.inspected_at < :until
)) AS visited
FROM inspection_target t
WHERE t.kind = :kind AND (t.closed_at IS NULL OR t.closed_at >= :start)
  AND (CAST(:streets AS integer[]) IS NULL OR t.street_id = ANY(:streets))
"""


@dataclass(frozen=True)
class RoundTally:
    start: dt.date
    end: dt.date
    due: int  # sites open at the round's start or after
    visited: int  # of them, visited within the round (so far, for the current one)
    ongoing: bool = False  # the round has not ended yet

    @property
    def share(self) -> float | None:
        return self.visited / self.due if self.due else None


def rounds_between(
    conn: Connection,
    *,
    kind: str,
    interval_days: int,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    streets: list[int] | None = None,
) -> list[RoundTally]:
    """The rounds of ``kind`` that overlap ``start``–``end`` (none after ``today``): each with
    its sites and how many were visited in it (only ``streets``' when given)."""
    out: list[RoundTally] = []
    day = start
    while day <= min(end, today):
        first, last = round_of(interval_days, day)
        until = min(last, today) + dt.timedelta(days=1)
        params = {"kind": kind, "streets": streets, "start": _midnight(first), "until": _midnight(until)}
        row = conn.execute(sa.text(_TALLY), params).one()
        out.append(RoundTally(first, last, int(row.due), int(row.visited), ongoing=last > today))
        day = last + dt.timedelta(days=1)
    return out


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=_BEIJING)
