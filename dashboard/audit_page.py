"""``/audit``: the audit log for admins, newest first (read-only; the log is append-only)."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from dash import html
from sqlalchemy.engine import Connection

LIMIT = 500
_ENTRIES = "SELECT at, username, action, detail FROM audit_log ORDER BY id DESC LIMIT :limit"
_BEIJING = dt.timezone(dt.timedelta(hours=8))
_HEAD = ("时间 When", "账号 Account", "操作 Action", "内容 Detail")


def entries(conn: Connection, *, limit: int = LIMIT) -> list[tuple[str, str, str, str]]:
    """The newest ``limit`` entries as text (Beijing time)."""
    rows = conn.execute(sa.text(_ENTRIES), {"limit": limit}).all()
    return [
        (
            f"{at.astimezone(_BEIJING):%Y-%m-%d %H:%M:%S}",
            user or "—",
            action,
            json.dumps(detail, ensure_ascii=False),
        )
        for at, user, action, detail in rows
    ]


def page(rows: list[tuple[str, str, str, str]]) -> html.Div:
    """The log as a plain table: every cell is text (React escapes it)."""
    return html.Div(
        [
            html.H1("审计日志 Audit log"),
            html.P(f"最近 {LIMIT} 条 the newest {LIMIT} entries; 只能追加 append-only"),
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
