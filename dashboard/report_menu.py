"""The 报告 menu of the wall screen and the planning page: last week's 周报 or last month's 月报
(``layers/report.py``) as Word, PDF or Excel, made on the server for the account asking. A
district role gets the district's report, or the street the page shows; a street leader gets
their street's, whatever the browser sends; a wall screen (kiosk) gets none. Audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Connection, Engine

from dashboard.auth import trail
from dashboard.auth.current import current_row_scope, current_user
from dashboard.bilingual import tr
from geo.errors import InputError
from geo.service_types import ServiceType
from geo.vocabulary import Vocabulary
from layers import report_period
from layers.drill import Drill, path
from layers.report_formats import FORMATS, file_name
from layers.report_period import BEIJING, ReportPeriod

if TYPE_CHECKING:
    from dashboard.monitor.views import MonitorCache
    from layers.report_coverage import Walking

# the periods offered, each made from today's date (Beijing)
PERIODS: dict[str, tuple[str, str, Callable[[dt.date], ReportPeriod]]] = {
    "last_week": ("上周周报", "Last week", report_period.last_week),
    "last_month": ("上月月报", "Last month", report_period.last_month),
}


@dataclass(frozen=True)
class MenuIds:
    period: str
    format: str
    button: str
    download: str
    message: str

    @classmethod
    def of(cls, prefix: str) -> MenuIds:
        parts = ("period", "format", "button", "download", "message")
        return cls(*(f"{prefix}-report-{part}" for part in parts))


def in_lang(zh: str, en: str, lang: str | None) -> Any:
    """One language on a page drawn in it (the wall screen), both on the work pages (``tr``)."""
    return tr(zh, en) if lang is None else (en if lang == "en" else zh)


def report_menu(ids: MenuIds, *, lang: str | None = None) -> html.Details:
    """A closed 报告 menu: the period, the format and a download button."""
    periods = [{"label": in_lang(zh, en, lang), "value": k} for k, (zh, en, _) in PERIODS.items()]
    formats = [{"label": f.label, "value": f.suffix} for f in FORMATS.values()]
    return html.Details(
        [
            html.Summary(in_lang("报告", "Report", lang)),
            html.Div(
                [
                    dcc.RadioItems(id=ids.period, options=periods, value="last_week", className="seg"),
                    dcc.RadioItems(id=ids.format, options=formats, value=".docx", className="seg"),
                    html.Button(in_lang("下载", "Download", lang), id=ids.button, n_clicks=0),
                    dcc.Download(id=ids.download),
                    html.Div(id=ids.message, className="report-message"),
                ],
                className="report-choices",
            ),
        ],
        className="report-menu",
    )


def report_street(asked: int | None, *, allowed: Collection[int] | None) -> int | None:
    """The street a report is made for: the one asked for (None: the district) if the account
    may see it; a street leader's own street otherwise (the first by id)."""
    if allowed is None or asked in allowed:
        return asked
    if not allowed:
        raise PreventUpdate  # an account with no street: no report to make
    return min(allowed)


def street_of_drill(conn: Connection, stored: Any) -> int | None:
    """The street of the wall screen's drill (the district's report above a street)."""
    try:
        units = path(conn, Drill.parse(stored))
    except ValueError:  # not a drill, or a unit gone since
        return None
    return next((u.unit_id for u in units if u.level == "street"), None)


def street_of_value(_conn: Connection, value: Any) -> int | None:
    """A street dropdown's value (a street id)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def register_report_menu(
    app: Dash,
    ids: MenuIds,
    *,
    place: tuple[str, str],
    street_of: Callable[[Connection, Any], int | None],
    engine: Engine,
    cache: MonitorCache,
    vocabulary: Vocabulary,
    types: Mapping[str, ServiceType],
    walking: Callable[[Connection], Walking],
) -> None:
    """The menu's download (``types``' coverage counted on what ``walking`` gives, the coverage
    page's network and buildings): ``place`` is the component property saying where the page is,
    ``street_of`` reads the street id from its value (None: the district; anything it does not
    understand is the district too, and a street leader's is theirs regardless)."""

    @app.callback(
        Output(ids.download, "data"),
        Output(ids.message, "children"),
        Input(ids.button, "n_clicks"),
        State(ids.period, "value"),
        State(ids.format, "value"),
        State(*place),
        prevent_initial_call=True,
    )
    def download(n: Any, period: Any, suffix: Any, where: Any) -> tuple[Any, str]:
        user = current_user()
        made = PERIODS.get(period) if isinstance(period, str) else None
        found = FORMATS.get(suffix) if isinstance(suffix, str) else None
        if not n or user is None or user.role == "wall_screen" or made is None or found is None:
            raise PreventUpdate
        now = dt.datetime.now(BEIJING)
        chosen = made[2](now.date())
        from layers.report import build_for, title_of  # matplotlib: loaded with the first report

        try:
            with engine.connect() as conn:
                street = report_street(street_of(conn, where), allowed=current_row_scope().street_ids)
                title = title_of(conn, street)  # nothing loaded: InputError, before the grids' weights
                report = build_for(conn, cache.facts(conn), chosen, street=street, vocabulary=vocabulary, now=now, sla=cache.sla, pictures=found.pictures, weights=cache.weights(conn),
                                   types=types, walking=partial(walking, conn))  # fmt: skip
            place_name = None if street is None else title
        except InputError as exc:  # nothing loaded yet: say what to do
            return no_update, f"⚠ {exc}"
        trail.record(
            engine, "export", what="report", period=chosen.label(), street=street, format=found.label
        )
        return dcc.send_bytes(found.write(report), file_name(chosen, found.suffix, place=place_name)), ""
