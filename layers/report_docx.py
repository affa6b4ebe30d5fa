"""A report (``layers/report.py``) as a Word file on A4, as government offices edit them in WPS or
Word: a title page, headings in 黑体 and body text in 仿宋 (the viewer substitutes a CJK font where
they are missing), tables whose header row repeats on every page."""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from layers.compare import kpi_line, value_text
from layers.report import DUE_SOON_HEADERS, INSPECTION_HEADERS, Numbering, Report
from layers.report_coverage import COVERAGE_HEADERS
from layers.report_hotspots import HOTSPOT_HEADERS
from layers.report_period import BEIJING

_HEADING, _BODY = "黑体", "仿宋"
_TITLES = {"week": "周报", "month": "月报", "range": "专题报告"}


def _font(style: object, name: str, size: float) -> None:
    style.font.name = name  # type: ignore[attr-defined]
    style.font.size = Pt(size)  # type: ignore[attr-defined]
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()  # type: ignore[attr-defined]
    fonts.set(qn("w:eastAsia"), name)


def _page(doc: DocumentType) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(37)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _font(doc.styles["Normal"], _BODY, 12)
    for level, size in ((1, 16), (2, 14)):
        _font(doc.styles[f"Heading {level}"], _HEADING, size)


def _table(doc: DocumentType, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))  # repeats at the top of every page
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = "—" if value is None else str(value)


def kpi_lines(report: Report) -> list[list[str]]:
    return [kpi_line(r) for r in report.kpis]


KPI_HEADERS = ("指标", "本期", "上期", "环比", "去年同期", "同比")


def _title_page(doc: DocumentType, report: Report) -> None:
    for text, size in ((report.title, 22), (_TITLES[report.period.kind], 22), (report.period.label(), 16)):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.font.size, run.font.name = Pt(size), _HEADING
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _HEADING)
    prepared = doc.add_paragraph(f"编制时间：{report.prepared_at.astimezone(BEIJING):%Y年%m月%d日 %H:%M}")
    prepared.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_page_break()


def _figure(doc: DocumentType, png: bytes | None, caption: str) -> None:
    if png is None:
        return
    doc.add_picture(io.BytesIO(png), width=Mm(150))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(caption).alignment = WD_ALIGN_PARAGRAPH.CENTER


def report_docx(report: Report) -> bytes:
    doc, n = Document(), Numbering()
    _page(doc)
    _title_page(doc, report)
    doc.add_heading(n.heading("总体情况"), level=1)
    for line in report.narrative:
        doc.add_paragraph(line)
    doc.add_heading(n.heading("主要指标"), level=1)
    _table(doc, KPI_HEADERS, kpi_lines(report))
    _figure(doc, report.images.get("trend"), n.caption("每日受理量（本期与上期）"))
    doc.add_heading(n.heading("诉求类别"), level=1)
    _table(
        doc,
        ("类别", "本期", "上期"),
        [[r.category, r.reported, r.previous] for r in report.categories.itertuples()],
    )
    if len(report.units):
        doc.add_heading(n.heading(f"各{report.unit_word}情况"), level=1)
        rows = [[r.unit, r.reported, value_text(r.on_time_closure, "%"), r.overdue]
                for r in report.units.itertuples()]  # fmt: skip
        _table(doc, (report.unit_word, "受理量", "按期办结率", "期末超期"), rows)
        if "streets" in report.images:
            _figure(doc, report.images["streets"], n.caption("各街道受理量"))
    doc.add_heading(n.heading("热点分布"), level=1)
    _figure(doc, report.images.get("heat"), n.caption("受理密度"))
    _figure(doc, report.images.get("hotspots"), n.caption("热点网格（每千人受理量 Gi*）"))
    _table(doc, HOTSPOT_HEADERS, report.hotspots)
    doc.add_heading(n.heading("超期与临期工单"), level=1)
    doc.add_heading("期末超期未办结", level=2)
    rows = [[r.source_id, r.category, r.street or "—", f"{r.deadline_at.astimezone(BEIJING):%Y-%m-%d %H:%M}", r.days_over]
            for r in report.overdue.itertuples()]  # fmt: skip
    _table(doc, ("工单编号", "类别", "街道", "办理时限", "超期天数"), rows)
    doc.add_heading(report.due_soon_title, level=2)
    _table(doc, DUE_SOON_HEADERS, report.due_soon_rows())
    doc.add_heading(n.heading("排查整治"), level=1)
    _table(doc, INSPECTION_HEADERS, report.inspection_rows())
    doc.add_heading(f"各{report.unit_word}排查情况", level=2)
    _table(doc, (report.unit_word, *INSPECTION_HEADERS), report.inspection_rows(by_unit=True))
    doc.add_heading(n.heading("服务覆盖"), level=1)
    doc.add_paragraph(report.coverage_note)
    _table(doc, COVERAGE_HEADERS, report.coverage)
    if report.of_district:
        doc.add_heading(n.heading("数据质量"), level=1)
        _table(doc, ("数据", "原因", "隔离行数"), report.quality_rows())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
