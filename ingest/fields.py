"""Typed fields of an ingest kind and their vectorised parsers.

Each parser takes a column of text cells and returns the parsed values plus a boolean mask of
cells that were present but could not be parsed; empty cells are missing, not wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ingest._timeread import TZ as TZ  # where callers have always found it
from ingest.timelayout import YEAR_FIRST, Layout

TIME_TYPES = ("datetime", "date")
_TRUE = {"1", "true", "yes", "y", "是", "合格", "通过", "正常", "无问题", "pass", "passed", "ok"}
_FALSE = {"0", "false", "no", "n", "否", "不合格", "未通过", "异常", "有问题", "存在问题", "fail", "failed"}
_LIST_SPLIT = re.compile(r"[;；、,，|/]+")

Parsed = tuple[pd.Series, pd.Series]  # values, bad-cell mask


@dataclass(frozen=True)
class Field:
    """A field a kind can read; ``label`` names it for clerks in quarantine reasons."""

    name: str
    type: str = "text"  # text | int | float | datetime | date | bool | list
    required: bool = False
    label: str = ""
    headers: tuple[str, ...] = ()  # headers that mean this field for this kind, before common synonyms

    @property
    def title(self) -> str:
        return self.label or self.name


def clean_text(column: pd.Series) -> pd.Series:
    """NFKC-normalised (full-width → half-width), stripped text; empty cells become None.

    Arrow's C++ kernels do the work (pandas would call Python per cell)."""
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(pa.array(column.astype("string")), form="NFKC"))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pd.Series(pd.arrays.ArrowStringArray(text), index=column.index)


_DECIMAL = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def to_float(text: pd.Series) -> pd.Series:
    """Cleaned text cells as float64: NaN where empty, not a decimal number or beyond float64
    (Arrow kernels: a regular-expression check, then a cast of what passed)."""
    cells = pa.array(text.astype("string"))
    values = _cast_plain(cells)
    if values is None:
        number = pc.if_else(pc.match_substring_regex(cells, _DECIMAL), cells, pa.scalar(None, pa.string()))
        values = pc.cast(number, pa.float64()).to_numpy(zero_copy_only=False)
    values = np.where(np.isinf(values), np.nan, values)  # "1e400" is no number a clerk meant
    return pd.Series(values, index=text.index, dtype=np.float64)


def _cast_plain(cells: pa.Array | pa.ChunkedArray) -> NDArray[np.float64] | None:
    """The usual column, every cell a decimal number, cast in one pass; None if any cell is
    not (the cast refuses it, or reads "nan" as NaN), for the pattern check to sort out."""
    try:
        values = pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None
    return None if int(np.isnan(values).sum()) != cells.null_count else values


def _text(column: pd.Series) -> Parsed:
    text = clean_text(column)
    return text, pd.Series(False, index=column.index)


_INT_MAX = 2**31 - 1


def _number(column: pd.Series, *, integer: bool) -> Parsed:
    text = clean_text(column).str.replace(",", "", regex=False)
    value = to_float(text)
    bad = (text.notna() & value.isna()).astype(bool)
    if integer:  # whole, and within a PostgreSQL integer (counts: households, floors, reworks)
        bad |= value.notna() & ((value % 1 != 0) | (value.abs() > _INT_MAX))
        value = value.where(~bad).astype("Int64")
    return value, bad.fillna(False).astype(bool)


def _times(column: pd.Series, layout: Layout, *, date_only: bool) -> Parsed:
    """Cells in the column's layout (see ``ingest.timelayout``); naive times are Beijing time."""
    text = clean_text(column)
    value = layout.read(text)
    bad = (text.notna() & value.isna()).astype(bool)
    if date_only:
        return value.dt.date.where(value.notna(), None), bad
    return value, bad


def _bool(column: pd.Series) -> Parsed:
    text = clean_text(column).str.lower()
    value = pd.Series(pd.NA, index=column.index, dtype="boolean")
    value[text.isin(_TRUE)] = True
    value[text.isin(_FALSE)] = False
    return value, text.notna() & value.isna()


def _list(column: pd.Series) -> Parsed:
    text = clean_text(column)
    items = [
        [p.strip() for p in _LIST_SPLIT.split(t) if p.strip()] if isinstance(t, str) else [] for t in text
    ]
    return pd.Series(items, index=column.index, dtype=object), pd.Series(False, index=column.index)


PARSERS: dict[str, Callable[[pd.Series], Parsed]] = {
    "text": _text,
    "int": lambda c: _number(c, integer=True),
    "float": lambda c: _number(c, integer=False),
    "bool": _bool,
    "list": _list,
}
WHAT = {
    "int": "整数 whole number",
    "float": "数值 number",
    "bool": "是/否 yes/no",
}


def parse(column: pd.Series, field: Field, *, layout: Layout | None = None) -> Parsed:
    """The field's values and bad-cell mask; a date/time column is read in ``layout``
    (default: year first, 2024-05-01 08:30:00 and the like)."""
    if field.type in TIME_TYPES:
        return _times(column, layout or YEAR_FIRST, date_only=field.type == "date")
    return PARSERS[field.type](column)


def empty_mask(values: pd.Series) -> pd.Series:
    if values.dtype == object:
        return values.map(lambda v: v is None or v == [] or (isinstance(v, float) and np.isnan(v)))
    return values.isna()
