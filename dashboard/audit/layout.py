"""The audit page's layout: pure functions of what they show (no database here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from dash import dcc, html

from dashboard.audit.paging import Cursor
from dashboard.bilingual import tr
from dashboard.dates import CHINESE_DATES
from layers.audit import BEIJING, Entry, Streets, action_label, describe

P = "audit-"
KIND, USER, DATES, TABLE, OLDER, NEWER, CURSOR, STATUS, EXPORT, DOWNLOAD = (
    P + k
    for k in ("kind", "user", "dates", "table", "older", "newer", "cursor", "status", "export", "download")
)
PAGE_SIZE = 100
_HEAD = (("时间", "When"), ("账号", "Account"), ("操作", "Action"), ("内容", "Detail"))


def kind_from(search: str | None) -> str | None:
    """The ``kind`` asked for in the URL's query string (``/audit?kind=login.failed``), if any."""
    values = parse_qs((search or "").lstrip("?")).get("kind")
    return values[0][:64] if values else None


def rows(entries: Sequence[Entry], streets: Streets) -> list[html.Tr]:
    """One table row per entry: every cell text (React escapes it), streets by name."""
    return [
        html.Tr([html.Td(f"{e.at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}"), html.Td(e.username or "—"),
                 html.Td(action_label(e.action)), html.Td(describe(e.detail, streets))])
        for e in entries
    ]  # fmt: skip


def status(page: int, shown: int) -> html.Span:
    first, last = (page - 1) * PAGE_SIZE + 1, (page - 1) * PAGE_SIZE + shown
    if not shown:
        return tr("没有符合条件的记录", "No entries match")
    return tr(f"第 {page} 页 · 第 {first}–{last} 条", f"Page {page} · entries {first}–{last}")


def _filters(kinds: Sequence[str], users: Sequence[str], kind: str | None) -> html.Div:
    kind_options: list[Any] = [{"label": action_label(k), "value": k} for k in kinds]
    return html.Div(
        [
            html.Label([tr("操作", "Action"), dcc.Dropdown(id=KIND, options=kind_options, value=kind, placeholder="全部 all")]),
            html.Label([tr("账号", "Account"), dcc.Dropdown(id=USER, options=list(users), placeholder="全部 all")]),
            html.Label([tr("日期", "Dates"), dcc.DatePickerRange(id=DATES, **CHINESE_DATES, clearable=True,
                                                          start_date_placeholder_text="开始", end_date_placeholder_text="结束")]),
            html.Button(tr("导出 Excel", "Export Excel"), id=EXPORT, n_clicks=0, className="audit-export"),
        ],
        className="audit-filters",
    )  # fmt: skip


def page(
    first: list[html.Tr],
    *,
    cursor: Cursor,
    kinds: Sequence[str] = (),
    users: Sequence[str] = (),
    kind: str | None = None,
) -> html.Div:
    """The log's first page (``first``, at ``cursor``) under its filters, with the pager."""
    return html.Div(
        [
            html.H1(tr("审计日志", "Audit log")),
            html.P(tr(f"只能追加 · 每页 {PAGE_SIZE} 条，最新在前", f"Append-only · {PAGE_SIZE} entries a page, newest first"), className="muted"),
            _filters(kinds, users, kind),
            html.Table([html.Thead(html.Tr([html.Th(tr(*h)) for h in _HEAD])), html.Tbody(first, id=TABLE)],
                       className="audit-table"),
            html.Div([html.Button(["‹ ", tr("较新", "Newer")], id=NEWER, n_clicks=0, disabled=True),
                      html.Span(status(1, len(first)), id=STATUS),
                      html.Button([tr("更早", "Older"), " ›"], id=OLDER, n_clicks=0, disabled=not cursor.more)], className="audit-pager"),
            dcc.Store(id=CURSOR, data=cursor.to_store()),
            dcc.Download(id=DOWNLOAD),
        ],
        className="audit-page",
    )  # fmt: skip
