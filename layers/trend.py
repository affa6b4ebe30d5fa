"""Daily incident counts by category over the window, by Beijing calendar day (zeros included),
so the weekly rhythm shows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Connection

from layers._sql import compose
from layers.incident_filter import IncidentFilter

# Beijing days as whole numbers since 1970-01-01 (UTC+8 all year): arithmetic, not a time zone lookup per row
_DAILY = """
SELECT floor((extract(epoch FROM i.reported_at) + 28800) / 86400)::int AS day, i.category, count(*) AS n
FROM incident i WHERE {where} GROUP BY 1, 2"""


def daily_counts(conn: Connection, f: IncidentFilter) -> pd.DataFrame:
    """Columns: one per category present, indexed by every day of the window (``f.since``–``f.until``)."""
    where, params = f.where()
    rows = pd.DataFrame(
        conn.execute(compose(_DAILY, where=where), params).all(), columns=["day", "category", "n"]
    )
    rows["day"] = (pd.Timestamp("1970-01-01") + pd.to_timedelta(rows["day"], unit="D")).dt.date
    table = rows.pivot_table(index="day", columns="category", values="n", aggfunc="sum", fill_value=0)
    if f.since is not None and f.until is not None:
        first = f.since.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        last = (f.until - dt.timedelta(microseconds=1)).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        table = table.reindex(pd.date_range(first, last, freq="D").date, fill_value=0)
    return table.astype("int64")
