"""What the results page shows, assembled from layers/ (callbacks stay thin wrappers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from geo.campaigns import Campaign
from geo.errors import InputError
from geo.inspection_kinds import InspectionKind
from layers.campaigns import CampaignProgress, current, progress
from layers.cycles import WEEK, RoundTally, rounds_between
from layers.inspection_results import Period, results

MAX_DAYS = 3 * 366  # the longest period a page asks for


def period_from(start: Any, end: Any, *, today: dt.date) -> Period:
    """The period the browser sent (ISO dates; a missing end is today, a missing start the
    first of the end's month), checked."""
    try:
        last = dt.date.fromisoformat(end[:10]) if isinstance(end, str) and end else today
        first = dt.date.fromisoformat(start[:10]) if isinstance(start, str) and start else last.replace(day=1)
    except ValueError:
        raise InputError("dates must look like 2026-12-01") from None
    if last < first:
        raise InputError("the period ends before it starts: choose the dates again")
    if (last - first).days >= MAX_DAYS:
        raise InputError(f"a period is at most {MAX_DAYS} days")
    return Period(first, last)


def street_from(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else None


@dataclass(frozen=True)
class ResultsView:
    period: Period
    table: pd.DataFrame  # layers.inspection_results.results
    campaigns: list[CampaignProgress]
    weekly: list[tuple[InspectionKind, list[RoundTally]]]


def results_view(
    conn: Connection,
    *,
    period: Period,
    street: int | None,
    campaigns: tuple[Campaign, ...],
    kinds: Mapping[str, InspectionKind],
    today: dt.date,
) -> ResultsView:
    """The period's results in ``street`` (None: every street the transaction sees)."""
    streets = None if street is None else [street]
    weekly = [
        (kind, rounds_between(conn, kind=key, interval_days=WEEK, start=period.start, end=period.end, today=today, streets=streets))
        for key, kind in kinds.items()
        if kind.interval_days == WEEK
    ]  # fmt: skip
    return ResultsView(
        period=period,
        table=results(conn, period, streets=streets),
        campaigns=[
            progress(conn, c, today=min(today, period.end), within=street) for c in current(campaigns, period)
        ],
        weekly=[(k, t) for k, t in weekly if any(r.due for r in t)],
    )
