"""Daily incident counts by category over the window, by Beijing calendar day (zeros included),
so the weekly rhythm shows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from layers.facts import Facts
from layers.incident_filter import IncidentFilter

_CST = dt.timezone(dt.timedelta(hours=8))
_DAY_S, _CST_S = 86400, 8 * 3600  # China keeps UTC+8 all year


def daily_counts(facts: Facts, f: IncidentFilter) -> pd.DataFrame:
    """One column per category with incidents, one row per day from ``f.since`` to ``f.until``."""
    assert f.since is not None and f.until is not None
    idx = f.rows(facts)
    first = f.since.astimezone(_CST).date()
    last = (f.until - dt.timedelta(microseconds=1)).astimezone(_CST).date()
    days = (last - first).days + 1
    day = ((facts.reported[idx] + _CST_S) // _DAY_S).astype(np.int64) - (first - dt.date(1970, 1, 1)).days
    category = facts.category[idx]
    ok = (day >= 0) & (day < days) & (category >= 0)
    ncat = len(facts.categories)
    counts = np.bincount(day[ok] * ncat + category[ok], minlength=days * ncat).reshape(days, ncat)
    present = counts.sum(axis=0) > 0
    index = pd.Index([first + dt.timedelta(days=k) for k in range(days)], name="day")
    names = [c for c, keep in zip(facts.categories, present, strict=True) if keep]
    return pd.DataFrame(counts[:, present], index=index, columns=pd.Index(names, name="category"))
