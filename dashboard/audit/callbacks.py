"""Audit-page callbacks: a page of the log for the filters and the pager, and the export.
The filters come from the browser and are checked here (``filter_from``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc
from sqlalchemy.engine import Connection, Engine

from dashboard.audit import layout as L
from dashboard.audit.paging import Cursor
from dashboard.auth import trail
from dashboard.auth.current import current_user
from layers.audit import EXPORT_MAX, AuditFilter, Streets, entries, workbook

FILTERS = (
    Input(L.KIND, "value"),
    Input(L.USER, "value"),
    Input(L.DATES, "start_date"),
    Input(L.DATES, "end_date"),
)


def filter_from(kind: Any, user: Any, start: Any, end: Any) -> AuditFilter:
    """The page's filters as sent by the browser: text of a sane length, ISO dates; else none."""
    return AuditFilter(_text(kind, 64), _text(user, 200), _day(start), _day(end))


def _text(value: Any, most: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= most else None


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None


def shown(conn: Connection, f: AuditFilter, cursor: Cursor) -> tuple[list[Any], Cursor]:
    """The table rows of the page at ``cursor`` and the cursor as shown (one more entry read to
    know whether older ones exist)."""
    found = entries(conn, f, before=cursor.before, limit=L.PAGE_SIZE + 1)
    page = found[: L.PAGE_SIZE]
    return L.rows(page, Streets.read(conn)), cursor.shown([e.id for e in page], more=len(found) > len(page))


def register_audit_callbacks(app: Dash, *, engine: Engine) -> None:
    @app.callback(
        Output(L.TABLE, "children"), Output(L.CURSOR, "data"), Output(L.STATUS, "children"),
        Output(L.OLDER, "disabled"), Output(L.NEWER, "disabled"),
        *FILTERS, Input(L.OLDER, "n_clicks"), Input(L.NEWER, "n_clicks"), State(L.CURSOR, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def show(
        kind: Any, user: Any, start: Any, end: Any, _older: Any, _newer: Any, stored: Any
    ) -> tuple[Any, ...]:
        """A new filter starts at the newest entries; the pager moves one page."""
        cursor = Cursor.parse(stored)
        moved = {L.OLDER: cursor.older, L.NEWER: cursor.newer}.get(str(ctx.triggered_id), Cursor)()
        with engine.connect() as conn:
            rows, now = shown(conn, filter_from(kind, user, start, end), moved)
        return rows, now.to_store(), L.status(now.page, len(rows)), not now.more, now.page == 1

    @app.callback(Output(L.DOWNLOAD, "data"), Input(L.EXPORT, "n_clicks"),
                  *(State(i.component_id, i.component_property) for i in FILTERS), prevent_initial_call=True)  # fmt: skip
    def export(_n: Any, kind: Any, user: Any, start: Any, end: Any) -> dict[str, Any]:
        """The filtered entries (newest first, at most ``EXPORT_MAX``) as Excel; audited."""
        f = filter_from(kind, user, start, end)
        with engine.connect() as conn:
            found, streets = entries(conn, f, limit=EXPORT_MAX), Streets.read(conn)
        who, at = current_user(), dt.datetime.now(dt.UTC)
        trail.record(engine, "export", what="audit log", rows=len(found), kind=f.kind, account=f.user)
        data = workbook(found, streets, f, by=who.username if who else "—", at=at)
        return dcc.send_bytes(data, f"audit-log-{at:%Y%m%d-%H%M}.xlsx")
