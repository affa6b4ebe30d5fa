"""The formats a report is written in, by file suffix: one registry for the command line
(``gridgov report --out``, ``schedule``) and the pages' 报告 menu. A writer's module is imported
when a report is first written in its format (WeasyPrint and python-docx are large, and a web
worker that never writes a PDF need not hold them)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from layers.report_period import ReportPeriod

if TYPE_CHECKING:
    from layers.report import Report


@dataclass(frozen=True)
class Format:
    suffix: str
    label: str  # what the menu calls it
    writer: str  # "module:function", the function taking a Report and giving the file's bytes
    pictures: bool = True  # holds the maps and the trend (drawn only for a format that does)

    def write(self, report: Report) -> bytes:
        module, function = self.writer.split(":")
        written: bytes = getattr(importlib.import_module(module), function)(report)
        return written


FORMATS = {
    f.suffix: f
    for f in (
        Format(".docx", "Word", "layers.report_docx:report_docx"),
        Format(".pdf", "PDF", "layers.report_pdf:report_pdf"),
        Format(".xlsx", "Excel", "layers.report_xlsx:report_xlsx", pictures=False),
    )
}


def file_name(period: ReportPeriod, suffix: str, *, place: str | None = None) -> str:
    """周报-2026-W48.docx, 月报-2026-11.xlsx (the district's; a street's name is appended), one per
    period and format; any other period 报告-2026-11-01至2026-11-15."""
    if period.kind == "week":
        year, week, _ = period.start.isocalendar()
        stem = f"周报-{year}-W{week:02d}"
    elif period.kind == "month":
        stem = f"月报-{period.start:%Y-%m}"
    else:
        stem = f"报告-{period.start}至{period.end}"
    return f"{stem}-{place}{suffix}" if place else f"{stem}{suffix}"
