"""``/audit``: the audit log for admins, newest first (read-only; the log is append-only),
all of it or one kind of entry (``/audit?kind=login.failed``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa
from dash import dcc, html
from sqlalchemy.engine import Connection

LIMIT = 500
_ENTRIES = """
SELECT at, username, action, detail FROM audit_log
WHERE CAST(:kind AS text) IS NULL OR action = CAST(:kind AS text) ORDER BY id DESC LIMIT :limit"""
_KINDS = "SELECT DISTINCT action FROM audit_log ORDER BY action"
_BEIJING = dt.timezone(dt.timedelta(hours=8))
_HEAD = ("时间 When", "账号 Account", "操作 Action", "内容 Detail")


def kind_from(search: str | None) -> str | None:
    """The ``kind`` asked for in the URL's query string, if any."""
    values = parse_qs((search or "").lstrip("?")).get("kind")
    return values[0][:64] if values else None


def kinds(conn: Connection) -> list[str]:
    return list(conn.execute(sa.text(_KINDS)).scalars())


def entries(
    conn: Connection, *, kind: str | None = None, limit: int = LIMIT
) -> list[tuple[str, str, str, str]]:
    """The newest ``limit`` entries (of one ``kind``, if given) as text (Beijing time)."""
    rows = conn.execute(sa.text(_ENTRIES), {"kind": kind, "limit": limit}).all()
    return [
        (
            f"{at.astimezone(_BEIJING):%Y-%m-%d %H:%M:%S}",
            user or "—",
            action,
            json.dumps(detail, ensure_ascii=False),
        )
        for at, user, action, detail in rows
    ]


def _filters(known: Sequence[str], kind: str | None) -> html.Nav:
    links = [("全部 All", "/audit", kind is None)]
    links += [(k, "/audit?" + urlencode({"kind": k}), k == kind) for k in known]
    return html.Nav(
        [dcc.Link(label, href=href, className="current" if on else "") for label, href, on in links],
        id="audit-kinds",
        className="audit-kinds",
    )


def page(
    rows: list[tuple[str, str, str, str]], *, known: Sequence[str] = (), kind: str | None = None
) -> html.Div:
    """The log as a plain table: every cell is text (React escapes it), with a link per kind."""
    return html.Div(
        [
            html.H1("审计日志 Audit log"),
            html.P(f"最近 {LIMIT} 条 the newest {LIMIT} entries; 只能追加 append-only"),
            _filters(known, kind),
            html.Table(
                [
                    html.Thead(html.Tr([html.Th(h) for h in _HEAD])),
                    html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
                ],
                id="audit-table",
                className="audit-table",
            ),
        ],
        className="audit-page",
    )
