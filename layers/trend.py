"""Daily incident counts by category over the window, by Beijing calendar day (zeros included),
so the weekly rhythm shows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.tally import Counter, Sums, tally

_CST = dt.timezone(dt.timedelta(hours=8))
_DAY_S, _CST_S = 86400, 8 * 3600  # China keeps UTC+8 all year


def daily_counter(f: IncidentFilter) -> Counter:
    """Reports per day (from ``f.since``'s) and category of the incidents ``f`` selects, up to the
    clock; within the clock's day (the days shown end with it)."""
    assert f.since is not None and f.until is not None
    first = f.since.astimezone(_CST).date()
    offset = (first - dt.date(1970, 1, 1)).days

    def count(facts: Facts, idx: NDArray[np.intp] | None, clock: float) -> Sums:
        idx = f.at_clock(clock).select(facts, idx)
        day = ((facts.reported[idx] + _CST_S) // _DAY_S).astype(np.int64) - offset
        category = facts.category[idx]
        ok = (day >= 0) & (category >= 0)
        ncat = max(len(facts.categories), 1)
        return {"n": np.bincount(day[ok] * ncat + category[ok]).astype(np.float64)}

    return Counter(count, epoch=("daily", f.unclocked(), _day_of(f.until)))


def _day_of(moment: dt.datetime) -> dt.date:
    return (moment - dt.timedelta(microseconds=1)).astimezone(_CST).date()


def daily_frame(facts: Facts, sums: Sums, f: IncidentFilter) -> pd.DataFrame:
    """One column per category with incidents, one row per day from ``f.since`` to ``f.until``,
    from :func:`daily_counter`'s sums."""
    assert f.since is not None and f.until is not None
    first = f.since.astimezone(_CST).date()
    days, ncat = (_day_of(f.until) - first).days + 1, max(len(facts.categories), 1)
    flat = np.rint(sums["n"][: days * ncat]).astype(np.int64)
    counts = np.pad(flat, (0, days * ncat - len(flat))).reshape(days, ncat)[:, : len(facts.categories)]
    present = counts.sum(axis=0) > 0
    index = pd.Index([first + dt.timedelta(days=k) for k in range(days)], name="day")
    names = [c for c, keep in zip(facts.categories, present, strict=True) if keep]
    return pd.DataFrame(counts[:, present], index=index, columns=pd.Index(names, name="category"))


def daily_counts(facts: Facts, f: IncidentFilter) -> pd.DataFrame:
    """One column per category with incidents, one row per day from ``f.since`` to ``f.until``."""
    assert f.until is not None
    return daily_frame(facts, tally(daily_counter(f), facts, f.until.timestamp()).sums, f)
