"""How a column writes its dates and times: detected once per column, or named with ``--date-format``.

Each date/time column of a job is read with one layout, chosen from the column's first
non-empty cells (the first batch that has any) or given by the user; a cell that does not fit
it is a bad cell and quarantines its row. The layouts detected:

- 年-月-日 year first: 2024-05-01 08:30:00, ISO 8601 (T, offsets), 2024/5/1 8:30, 2024.05.01,
  20240501, 2024年5月1日 8时30分 … — a year first is never ambiguous, so a column may mix these;
- 月/日/年 month first: 03/01/2011 02:27:57 PM, 3/1/2011 14:27, 03/01/2011;
- 日/月/年 day first: 25/12/2024 08:30;
- Excel serial day numbers (45231.5 is 2023-11-01 12:00), only for a column of plain numbers.

A column whose cells read as well day first as month first (every day and month is 12 or
less) is refused: guessing would shift dates by months without a trace. Naive times are
Beijing time; a time with an offset is converted to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import pandas as pd

from geo.errors import InputError
from ingest import _timeread

ALL = ""  # the key of a --date-format for every date/time column


@dataclass(frozen=True)
class Layout:
    """One way of writing times; ``read`` takes cleaned text cells and gives Beijing times,
    NaT where a cell does not fit."""

    key: str
    name: str  # short, for messages: 月/日/年 MM/DD/YYYY
    read: Callable[[pd.Series], pd.Series]


YEAR_FIRST = Layout("year_first", "年-月-日 YYYY-MM-DD", _timeread.year_first)
MONTH_FIRST = Layout(
    "month_first", "月/日/年 MM/DD/YYYY", partial(_timeread.numeric_day, order="month_first")
)
DAY_FIRST = Layout("day_first", "日/月/年 DD/MM/YYYY", partial(_timeread.numeric_day, order="day_first"))
EXCEL = Layout("excel", "Excel 序列号 serial number", _timeread.excel_serial)
DETECTED = (YEAR_FIRST, MONTH_FIRST, DAY_FIRST, EXCEL)


def given(fmt: str) -> Layout:
    """The layout of a ``--date-format`` (``strptime`` directives, e.g. %m/%d/%Y %I:%M:%S %p)."""
    if "%" not in fmt:
        raise InputError(f"--date-format {fmt!r} has no %-directive; write it like '%m/%d/%Y %I:%M:%S %p'")
    try:
        _timeread.strptime(pd.Series(["1"], dtype="string"), fmt)
    except ValueError as exc:
        raise InputError(f"--date-format {fmt!r} is not a strptime format: {exc}") from None
    return Layout("format", fmt, partial(_timeread.strptime, fmt=fmt))


def parse_date_formats(values: Sequence[str]) -> dict[str, str]:
    """``--date-format`` values: FORMAT for every date/time column, FIELD=FORMAT for one
    (FIELD a field name such as reported_at, or the file's header such as 受理时间)."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, fmt = value.partition("=")
        key, fmt = (name.strip(), fmt) if sep and "%" not in name else (ALL, value)
        if key in out:
            raise InputError(f"--date-format given twice for {key or 'every column'}")
        out[key] = fmt
    return out


def given_layouts(
    formats: Mapping[str, str], *, fields: Mapping[str, str], headers: Mapping[str, str]
) -> dict[str, Layout]:
    """Field name → layout from ``--date-format`` values; ``fields`` are the kind's date/time
    fields (name → title), ``headers`` the file's header → field."""
    out: dict[str, Layout] = {}
    for key, fmt in formats.items():
        if key == ALL:
            continue
        name = key if key in fields else headers.get(key, "")
        if name not in fields:
            known = ", ".join(f"{n} ({t})" for n, t in fields.items()) or "none"
            raise InputError(
                f"--date-format {key}=…: {key!r} is no date/time column here; those are: {known}"
            )
        out[name] = given(fmt)
    if ALL in formats:
        every = given(formats[ALL])
        out = {name: out.get(name, every) for name in fields}
    return out


def detect(text: pd.Series, *, what: str, field: str) -> Layout | None:
    """The layout of a column from its cleaned, non-empty cells (None if it has none): the
    one that reads most of them, year first if none reads any. A column that reads as well
    day first as month first is refused; ``what`` and ``field`` name it in the message."""
    found = _detect(text)
    if isinstance(found, str):
        raise InputError(_ambiguous(found, what=what, field=field))
    return found


def _detect(text: pd.Series) -> Layout | str | None:
    """The layout, or an example cell if the column is ambiguous (None: no cells)."""
    cells = pd.Series(text.dropna().unique(), dtype="string")
    if cells.empty:
        return None
    if cells.str.match(_YEAR_LEADS).all():  # no cell can then read day or month first: what
        return YEAR_FIRST  # reading would say, without the reads (an API's ISO times, per job)
    return _read_layout(cells)


def _read_layout(cells: pd.Series) -> Layout | str:
    """:func:`_detect` by reading the unique cells every way."""
    reads = {layout: layout.read(cells).notna().to_numpy() for layout in (MONTH_FIRST, DAY_FIRST)}
    rest = ~(reads[MONTH_FIRST] | reads[DAY_FIRST])  # a year first is neither: only the rest can be
    reads[YEAR_FIRST] = YEAR_FIRST.read(cells[rest]).notna().to_numpy()
    if _timeread.numeric(cells).all():
        reads[EXCEL] = EXCEL.read(cells).notna().to_numpy()
    counts = {layout: int(read.sum()) for layout, read in reads.items()}
    best = max(counts.values())
    if best == 0:
        return YEAR_FIRST
    if counts[MONTH_FIRST] == counts[DAY_FIRST] == best:
        return str(cells[reads[DAY_FIRST]].iloc[0])
    return next(layout for layout in DETECTED if counts.get(layout) == best)


# a cell led by a year and a date's separator: read neither day nor month first (those need 1–2
# digits, then / . or -) nor as an Excel serial number (a number)
_YEAR_LEADS = r"\d{4}[-/年]"

_SHAPE = re.compile(
    r"\d{1,2}(?P<sep>[/.-])\d{1,2}[/.-]\d{4}"
    r"(?:(?P<gap>[ T]+)\d{1,2}:\d{1,2}(?P<sec>:\d{1,2})?(?P<p> ?[AaPp]\.?[Mm]\.?)?)?"
)


def _ambiguous(example: str, *, what: str, field: str) -> str:
    day, month = _formats(example)
    return (
        f"{what} ({field}): dates such as 「{example}」 read both as day/month and as month/day "
        f"(every day and month in the column is 12 or less); say which with --date-format '{month}' "
        f"(month first) or '{day}' (day first), or for this column only --date-format '{field}={month}'"
    )


def _formats(example: str) -> tuple[str, str]:
    """(day-first, month-first) strptime formats written like ``example``."""
    shape = _SHAPE.fullmatch(example)
    assert shape is not None  # the example was read day first
    sep = shape["sep"]
    time = ""
    if shape["gap"]:
        twelve = shape["p"] or ""
        time = shape["gap"] + ("%I:%M" if twelve else "%H:%M") + (":%S" if shape["sec"] else "")
        time += (" %p" if twelve.startswith(" ") else "%p") if twelve else ""
    return f"%d{sep}%m{sep}%Y{time}", f"%m{sep}%d{sep}%Y{time}"


class TimeColumns:
    """The layout of each date/time field of one job: given, or detected from the first batch
    that has values in the column and then kept for every later batch.

    A column that reads as well day first as month first follows the file's other date
    columns when those settled one of the two (an export writes all its dates one way);
    otherwise the job is refused."""

    def __init__(self, layouts: Mapping[str, Layout] | None = None) -> None:
        self._layouts = dict(layouts or {})

    def settle(self, columns: Mapping[str, tuple[str, Callable[[], pd.Series]]]) -> None:
        """Detect the undecided ``columns`` (field → its title and a batch's cleaned cells)."""
        ambiguous: dict[str, tuple[str, str]] = {}
        for field, (what, text) in columns.items():
            if field not in self._layouts:
                found = _detect(text())
                if isinstance(found, str):
                    ambiguous[field] = (what, found)
                elif found is not None:
                    self._layouts[field] = found
        day_month = {layout for layout in self._layouts.values() if layout in (MONTH_FIRST, DAY_FIRST)}
        for field, (what, example) in ambiguous.items():
            if len(day_month) != 1:
                raise InputError(_ambiguous(example, what=what, field=field))
            self._layouts[field] = next(iter(day_month))

    def layout(self, field: str) -> Layout:
        """``field``'s layout; year first while it has had no values (nothing to read wrongly)."""
        return self._layouts.get(field, YEAR_FIRST)

    def chosen(self) -> dict[str, str]:
        """Field → the name of its layout, for the job's report."""
        return {field: layout.name for field, layout in self._layouts.items()}
