"""A report (``layers/report.py``) as an A4 PDF: the same sections as the Word file, laid out from
HTML and CSS by WeasyPrint (Pango: Chinese set with the system's fonts, 黑体 / 仿宋 where they
exist, Noto CJK otherwise; table headers repeated on every page). Every text is escaped; the
pictures are inline, and nothing is fetched from anywhere (a page cannot reach the network)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from layers.compare import value_text
from layers.report import DUE_SOON_HEADERS, INSPECTION_HEADERS, Numbering, Report
from layers.report_coverage import COVERAGE_HEADERS
from layers.report_docx import KPI_HEADERS, kpi_lines
from layers.report_hotspots import HOTSPOT_HEADERS
from layers.report_period import BEIJING

_TITLES = {"week": "周报", "month": "月报", "range": "专题报告"}
_CSS = """
@page { size: A4; margin: 30mm 24mm 28mm 26mm; @bottom-center { content: counter(page); font-size: 9pt; } }
body { font-family: "FangSong", "STFangsong", "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 11pt; line-height: 1.6; }
h1, h2, h3, .cover { font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; }
h2 { font-size: 14pt; margin: 14pt 0 6pt; }
h3 { font-size: 12pt; margin: 10pt 0 4pt; }
.cover { text-align: center; page-break-after: always; padding-top: 60mm; }
.cover h1 { font-size: 24pt; margin: 0 0 10pt; }
.cover p { font-size: 14pt; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 4pt 0 8pt; }
th, td { border: 0.6pt solid #555; padding: 2pt 4pt; text-align: left; }
thead { display: table-header-group; }
th { background: #e8edf3; }
figure { margin: 6pt 0; text-align: center; page-break-inside: avoid; }
figure img { width: 150mm; }
figcaption { font-size: 9.5pt; }
"""


def _cell(value: object) -> str:
    return "—" if value is None or value != value else escape(str(value))  # NaN: unknown


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(png: bytes | None, caption: str) -> str:
    if png is None:
        return ""
    data = base64.b64encode(png).decode()
    return (
        f'<figure><img src="data:image/png;base64,{data}"><figcaption>{escape(caption)}</figcaption></figure>'
    )


def report_html(report: Report) -> str:
    when, n = f"{report.prepared_at.astimezone(BEIJING):%Y年%m月%d日 %H:%M}", Numbering()

    def h2(title: str) -> str:
        return f"<h2>{escape(n.heading(title))}</h2>"

    parts = [
        f'<div class="cover"><h1>{escape(report.title)}</h1><h1>{_TITLES[report.period.kind]}</h1>'
        f"<p>{escape(report.period.label())}</p><p>编制时间：{when}</p></div>",
        h2("总体情况"), *(f"<p>{escape(line)}</p>" for line in report.narrative),
        h2("主要指标"), _table(KPI_HEADERS, kpi_lines(report)),
        _figure(report.images.get("trend"), n.caption("每日受理量（本期与上期）")),
        h2("诉求类别"), _table(("类别", "本期", "上期"), [[r.category, r.reported, r.previous] for r in report.categories.itertuples()]),
    ]  # fmt: skip
    if len(report.units):
        rows = [
            [r.unit, r.reported, value_text(r.on_time_closure, "%"), r.overdue]
            for r in report.units.itertuples()
        ]
        word = report.unit_word
        parts += [h2(f"各{word}情况"), _table((word, "受理量", "按期办结率", "期末超期"), rows)]
        if "streets" in report.images:
            parts.append(_figure(report.images["streets"], n.caption("各街道受理量")))
    late = [[r.source_id, r.category, r.street or "—", f"{r.deadline_at.astimezone(BEIJING):%Y-%m-%d %H:%M}", r.days_over]
            for r in report.overdue.itertuples()]  # fmt: skip
    parts += [
        h2("热点分布"), _figure(report.images.get("heat"), n.caption("受理密度")),
        _figure(report.images.get("hotspots"), n.caption("热点网格（每千人受理量 Gi*）")), _table(HOTSPOT_HEADERS, report.hotspots),
        h2("超期与临期工单"), "<h3>期末超期未办结</h3>", _table(("工单编号", "类别", "街道", "办理时限", "超期天数"), late),
        f"<h3>{escape(report.due_soon_title)}</h3>", _table(DUE_SOON_HEADERS, report.due_soon_rows()),
        h2("排查整治"), _table(INSPECTION_HEADERS, report.inspection_rows()),
        f"<h3>各{report.unit_word}排查情况</h3>", _table((report.unit_word, *INSPECTION_HEADERS), report.inspection_rows(by_unit=True)),
        h2("服务覆盖"), f"<p>{escape(report.coverage_note)}</p>", _table(COVERAGE_HEADERS, report.coverage),
    ]  # fmt: skip
    if report.of_district:
        parts += [h2("数据质量"), _table(("数据", "原因", "隔离行数"), report.quality_rows())]
    title = escape(f"{report.title}{_TITLES[report.period.kind]} {report.period.label()}")
    return f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title><style>{_CSS}</style></head><body>{"".join(parts)}</body></html>'  # fmt: skip


def report_pdf(report: Report) -> bytes:
    offline = URLFetcher(allowed_protocols={"data"})  # the inline pictures; no file, no network
    return bytes(HTML(string=report_html(report), url_fetcher=offline).write_pdf())
