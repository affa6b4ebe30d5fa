"""Readers of one date/time layout each: cleaned text cells in, Beijing times out (NaT where a
cell does not fit the layout or names no real time within the nanosecond range).

The usual ``YYYY-MM-DD HH:MM:SS`` goes through ``_isotime``'s fixed-width fast path first;
day-first and month-first cells are taken apart by one regular expression (Arrow's RE2) and
put together with numpy; Excel serial numbers are days since 1899-12-30.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ingest import _isotime

TZ = "Asia/Shanghai"
_YEAR_FIRST_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日%H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分%S秒",
    "%Y年%m月%d日%H时%M分",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日",
)
_LITERALS = {fmt: set(re.sub("%.", "", fmt)) for fmt in _YEAR_FIRST_FORMATS}
_OFFSET = r"(?:[+-]\d{2}:?\d{2}|Z)$"
# what the column's nanosecond times can hold (pandas parses 2263-01-01 at a coarser unit)
_EARLIEST, _LATEST = pd.Timestamp("1678-01-01", tz=TZ), pd.Timestamp("2262-01-01", tz=TZ)


def _fill(value: pd.Series, todo: pd.Series, parsed: pd.Series) -> pd.Series:
    """Write the parsed cells into ``value``; return what is still to do (a time beyond the
    column's range stays to do, and so ends unread)."""
    ok = parsed.notna() & parsed.between(_EARLIEST, _LATEST)
    value.loc[ok[ok].index] = parsed[ok]
    return todo & value.isna()


def year_first(text: pd.Series) -> pd.Series:
    """The usual 2024-05-01 08:30:00 first (fixed-width bytes), then ISO 8601 (one vectorised
    pass, with or without an offset), then the year-first layouts clerks type (2024/5/1 8:30,
    2024年5月1日 8时30分 …) on what is left."""
    fixed, read = _isotime.parse(pa.array(text))
    value = pd.Series(fixed, index=text.index).dt.tz_localize(TZ)
    todo = text.notna() & ~read
    if not todo.any():
        return value
    offset = todo & text.str.contains(_OFFSET, regex=True).fillna(False).astype(bool)
    if offset.any():
        parsed = pd.to_datetime(text[offset], format="ISO8601", errors="coerce", utc=True)
        todo = _fill(value, todo, parsed.dt.tz_convert(TZ))
    naive = todo & ~offset
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        todo = _fill(value, todo, parsed.dt.tz_localize(TZ))
    present = set("".join(text[todo].unique()))
    for fmt in _YEAR_FIRST_FORMATS:
        if not todo.any():
            break
        if _LITERALS[fmt] <= present:  # a format whose 年 or / no cell holds reads none
            parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
            todo = _fill(value, todo, parsed.dt.tz_localize(TZ))
    return value


_TIME = r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2}))?(?: ?(?P<p>[AaPp]\.?[Mm]\.?))?)?"
_DAY_MONTH = {
    "month_first": r"^(?P<m>\d{1,2})[/.-](?P<d>\d{1,2})[/.-](?P<y>\d{4})" + _TIME + "$",
    "day_first": r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})" + _TIME + "$",
}


def numeric_day(text: pd.Series, *, order: str) -> pd.Series:
    """Cells such as 03/01/2011 02:27:57 PM (``order`` month_first) or 25/12/2024 08:30
    (day_first): a 1–2 digit day and month, a 4-digit year, an optional 24-hour time or a
    12-hour one with AM/PM."""
    parts = pc.extract_regex(pa.array(text, type=pa.string()), _DAY_MONTH[order])
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    number = {name: _digits(parts.field(name)) for name in ("y", "m", "d", "H", "M", "S")}
    pm = _flags(pc.starts_with(pc.utf8_lower(parts.field("p")), "p"))
    twelve = _flags(pc.not_equal(parts.field("p"), ""))
    hour = number["H"]
    valid = ~twelve | ((hour >= 1) & (hour <= 12))
    hour = np.where(twelve, hour % 12 + np.where(pm, 12, 0), hour)
    times, real = _isotime.compose(number["y"], number["m"], number["d"], hour, number["M"], number["S"])
    ok = matched & valid & real
    return _beijing(np.where(ok, times, np.datetime64("NaT", "ns")), text.index)


def _flags(cells: pa.Array) -> NDArray[np.bool_]:
    return np.asarray(pc.fill_null(cells, False).to_numpy(zero_copy_only=False), dtype=bool)


def _digits(cells: pa.Array) -> NDArray[np.int64]:
    """A group's digits as integers; 0 where the group is empty (an optional part left out)."""
    filled = pc.fill_null(pc.if_else(pc.equal(cells, ""), "0", cells), "0")
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


# serial 61 is 1900-03-01: Excel counts a 29 February 1900 that never was, so earlier serials are off by a day
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
_EXCEL_FIRST, _EXCEL_END = 61, (dt.date(2262, 1, 1) - dt.date(1899, 12, 30)).days
_DECIMAL = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"


def excel_serial(text: pd.Series) -> pd.Series:
    """Excel's day numbers (45231.5 is 2023-11-01 12:00), rounded to the second."""
    cells = pa.array(text, type=pa.string())
    number = pc.if_else(pc.match_substring_regex(cells, _DECIMAL), cells, pa.scalar(None, pa.string()))
    days = np.asarray(pc.cast(number, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ok = (days >= _EXCEL_FIRST) & (days < _EXCEL_END)
    seconds = np.round(np.where(ok, days, 0.0) * 86400).astype(np.int64)
    times = _EXCEL_EPOCH + seconds.astype("timedelta64[s]").astype("timedelta64[ns]")
    return _beijing(np.where(ok, times, np.datetime64("NaT", "ns")), text.index)


def numeric(text: pd.Series) -> pd.Series:
    """Whether each cell is a plain decimal number (what an Excel serial looks like)."""
    cells = pa.array(text, type=pa.string())
    return pd.Series(
        pc.fill_null(pc.match_substring_regex(cells, _DECIMAL), False).to_numpy(zero_copy_only=False),
        index=text.index,
    )


def strptime(text: pd.Series, fmt: str) -> pd.Series:
    """Cells in exactly the ``strptime`` format ``fmt`` (one with %z may carry an offset)."""
    offsets = "%z" in fmt or "%Z" in fmt  # cells of several offsets: in UTC first
    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=offsets)
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(TZ)
    parsed = parsed.dt.tz_convert(TZ)
    return parsed.where(parsed.between(_EARLIEST, _LATEST))


def _beijing(times: NDArray[np.datetime64], index: pd.Index) -> pd.Series:
    return pd.Series(times, index=index, dtype="datetime64[ns]").dt.tz_localize(TZ)
