"""Excel sheets as an office expects to print them: a title block (what, where, when, by whom),
a bold header row that stays in view and repeats on every printed page, column widths, A4
fitted to the page's width, a filter on the header; cells guarded against formulas."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from geo.spreadsheet import guard_cell

_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def table_sheet(
    sheet: Worksheet,
    *,
    title: str,
    about: Sequence[str],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float],
    landscape: bool = True,
) -> None:
    """Fill ``sheet``: ``title`` and the ``about`` lines, a blank line, then the table."""
    sheet.append([guard_cell(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in about:
        sheet.append([guard_cell(line)])
    sheet.append([])
    sheet.append(list(headers))
    head = sheet.max_row  # the header's row (the blank line above it has no cells)
    for cell in sheet[head]:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    for row in rows:
        sheet.append([guard_cell(v) for v in row])
    _layout(sheet, head=head, columns=len(headers), widths=widths, landscape=landscape)


def _layout(sheet: Worksheet, *, head: int, columns: int, widths: Sequence[float], landscape: bool) -> None:
    last = get_column_letter(columns)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = f"A{head + 1}"
    sheet.auto_filter.ref = f"A{head}:{last}{max(sheet.max_row, head)}"
    sheet.print_title_rows = f"{head}:{head}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
