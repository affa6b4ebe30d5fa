"""The upload page (``/data``, admins): pure functions of what they show (no database here).
Every text from the file (names, columns, values) is a Dash child, so React escapes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from dashboard.bilingual import tr

P = "data-"
UPLOAD, FILE_NOTE, STAGED, KIND, SOURCE, CRS, LAYER = (
    P + k for k in ("upload", "file-note", "staged", "kind", "source", "crs", "layer")
)
DRY_RUN, REVIEW, REPORT, CONFIRM, RESULT, LOADED, EXPORT, DOWNLOAD = (
    P + k for k in ("dry-run", "review", "report", "confirm", "result", "loaded", "export", "download")
)
CRS_OPTIONS = [
    {"label": tr("文件自带 / 未指定", "the file's own"), "value": ""},
    {"label": "WGS-84 (GPS)", "value": "wgs84"},
    {"label": "CGCS2000", "value": "cgcs2000"},
    {"label": tr("GCJ-02（高德、腾讯、微信）", "GCJ-02 (AMap, Tencent, WeChat)"), "value": "gcj02"},
    {"label": tr("BD-09（百度）", "BD-09 (Baidu)"), "value": "bd09"},
]
COUNTS = (
    ("read", ("读取", "read")),
    ("inserted", ("新增", "inserted")),
    ("updated", ("更新", "updated")),
    ("unchanged", ("未变", "unchanged")),
    ("quarantined", ("隔离", "quarantined")),
)


def page(kinds: Sequence[tuple[str, str]], *, max_mb: float) -> html.Div:
    """The page: upload, choices, dry run, confirm, export. ``kinds``: (key, label) of each kind."""
    return html.Div(
        [
            html.H1(tr("数据上传", "Upload data")),
            html.P(
                tr(
                    "先试运行，核对后再确认导入；试运行不写入任何数据。",
                    "Dry-run first, check, then confirm: the dry run writes nothing.",
                ),
                className="muted",
            ),
            dcc.Upload(
                html.Div(
                    [
                        tr("拖入或点击选择文件", "Drop or choose a file"),
                        " ",
                        html.Small(f"CSV / XLSX / GeoPackage ≤ {max_mb:g} MB"),
                    ]
                ),
                id=UPLOAD,
                max_size=int(max_mb * 1_000_000),
                className="data-upload",
            ),
            html.Div(id=FILE_NOTE, className="data-file"),
            _choices(kinds),
            html.Button(tr("试运行", "Dry run"), id=DRY_RUN, className="data-button"),
            html.Div(id=REPORT, className="data-report"),
            html.Button(
                tr("确认导入", "Confirm and load"), id=CONFIRM, disabled=True, className="data-button"
            ),
            html.Div(id=RESULT, className="data-result"),
            html.Button(
                tr("下载隔离行（Excel）", "Download quarantined rows (Excel)"),
                id=EXPORT,
                disabled=True,
                className="data-button",
            ),
            dcc.Download(id=DOWNLOAD),
            dcc.Store(id=STAGED),
            dcc.Store(id=REVIEW),
            dcc.Store(id=LOADED),
        ],
        className="data-page",
    )


def _choices(kinds: Sequence[tuple[str, str]]) -> html.Div:
    field = "data-field"
    return html.Div(
        [
            html.Label([tr("数据类型", "Kind"), dcc.Dropdown([{"label": label, "value": key} for key, label in kinds],
                                                      value="incidents", id=KIND, clearable=False)], className=field),
            html.Label([tr("数据来源", "Source"), dcc.Input(id=SOURCE, type="text", placeholder="12345", maxLength=64)],
                       className=field),
            html.Div([tr("坐标系", "CRS"), dcc.RadioItems(CRS_OPTIONS, value="", id=CRS)], className=field),
            html.Label([tr("图层/工作表", "Layer or sheet"), dcc.Dropdown([], id=LAYER)], className=field),
        ],
        className="data-choices",
    )  # fmt: skip


def file_note(name: str, size: int, sha256: str, layers: Sequence[str]) -> html.Div:
    n = len(layers)
    which = [tr(f"{n} 个图层：请选择", f"{n} layers: choose one")] if n > 1 else []
    return html.Div([html.B(name), html.Span(f" {size:,} bytes · SHA-256 {sha256[:16]}… "), *which])


def error(text: str) -> html.Div:
    return html.Div(text, className="data-error")


def report(found: dict[str, Any], *, title: html.Span) -> html.Div:
    """A job's summary (``layers/uploads.summary``): counts, columns, notes, dates, reasons."""
    return html.Div(
        [
            html.H2(title),
            _counts(found["counts"]),
            _listing(tr("列映射", "Columns chosen"), found["columns"]),
            _listing(tr("说明", "Notes"), found["notes"]),
            _listing(tr("日期格式", "Date layouts"), found["dates"]),
            _reasons(found["reasons"]),
            _categories(found["categories"]),
        ]
    )


def _counts(counts: dict[str, int]) -> html.Table:
    return html.Table(
        [
            html.Tr([html.Th(tr(*label)) for _, label in COUNTS]),
            html.Tr([html.Td(f"{counts[k]:,}") for k, _ in COUNTS]),
        ],
        className="data-counts",
    )


def _listing(title: html.Span, lines: Sequence[str]) -> html.Div | None:
    if not lines:
        return None
    return html.Div([html.H3(title), html.Ul([html.Li(line) for line in lines])])


def _reasons(reasons: Sequence[dict[str, Any]]) -> html.Div | None:
    if not reasons:
        return None
    rows = [
        html.Tr([html.Td(f"{r['count']:,}"), html.Td(r["kind"]), html.Td(_samples(r["samples"]))])
        for r in reasons
    ]
    head = html.Tr([html.Th(tr(*h)) for h in (("行数", "Rows"), ("原因", "Reason"), ("示例", "First rows"))])
    return html.Div(
        [
            html.H3(tr("隔离原因（前十）", "Quarantined: top reasons")),
            html.Table([head, *rows], className="data-reasons"),
        ]
    )


def _categories(lines: Sequence[str]) -> html.Div | None:
    if not lines:
        return None
    return html.Div(
        [
            html.H3(tr("未知类别（按其他导入）", "Unknown categories, loaded as other")),
            html.Pre("\n".join(lines)),
        ]
    )


def _samples(samples: Sequence[Sequence[Any]]) -> str:
    return "; ".join(
        f"第 {row} 行 row {row}" + (f"「{value}」" if value is not None else "") for row, value in samples
    )
