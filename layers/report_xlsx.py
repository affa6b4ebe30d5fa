"""A report (``layers/report.py``) as an Excel workbook: one sheet per section, each under the
report's title block (what, which period, when it was prepared)."""

from __future__ import annotations

from openpyxl import Workbook

from layers.report import DUE_SOON_HEADERS, INSPECTION_HEADERS, Report
from layers.report_coverage import COVERAGE_HEADERS
from layers.report_docx import KPI_HEADERS, kpi_lines
from layers.report_hotspots import HOTSPOT_HEADERS
from layers.report_period import BEIJING
from layers.workbook import saved, table_sheet


def _rounded(rate: float | None) -> float | None:
    return None if rate is None or rate != rate else round(rate, 4)  # NaN: unknown too


def report_xlsx(report: Report) -> bytes:
    book = Workbook()
    about = [f"期间 period: {report.period.label()}",
             f"编制时间 prepared at: {report.prepared_at.astimezone(BEIJING):%Y-%m-%d %H:%M}", *report.narrative]  # fmt: skip
    first = book.active
    first.title = "主要指标"
    table_sheet(first, title=f"{report.title} · 主要指标", about=about, headers=KPI_HEADERS, rows=kpi_lines(report),
                widths=(26, 14, 14, 16, 14, 16), landscape=False)  # fmt: skip
    sheets = (
        ("诉求类别", ("类别", "本期", "上期"), [[r.category, r.reported, r.previous] for r in report.categories.itertuples()]),
        (f"各{report.unit_word}", (report.unit_word, "受理量", "按期办结率", "期末超期"),
         [[r.unit, r.reported, _rounded(r.on_time_closure), r.overdue]
          for r in report.units.itertuples()]),
        ("热点网格", HOTSPOT_HEADERS, report.hotspots),
        ("超期未办结", ("工单编号", "类别", "街道", "办理时限", "超期天数"),
         [[r.source_id, r.category, r.street, f"{r.deadline_at.astimezone(BEIJING):%Y-%m-%d %H:%M}", r.days_over]
          for r in report.overdue.itertuples()]),
        ("临期", DUE_SOON_HEADERS, report.due_soon_rows()),
        ("排查整治", INSPECTION_HEADERS, report.inspection_rows()),
        (f"各{report.unit_word}排查", (report.unit_word, *INSPECTION_HEADERS), report.inspection_rows(by_unit=True)),
        ("服务覆盖", COVERAGE_HEADERS, report.coverage),
        ("数据质量", ("数据", "原因", "隔离行数"), report.quality_rows()),
    )  # fmt: skip
    district_only = ("数据质量",)
    for name, headers, rows in sheets:
        if name in district_only and not report.of_district:
            continue
        table_sheet(book.create_sheet(name), title=f"{report.title} · {name}", about=about, headers=headers, rows=rows,
                    widths=(24, *(14,) * (len(headers) - 1)), landscape=False)  # fmt: skip
    return saved(book)
