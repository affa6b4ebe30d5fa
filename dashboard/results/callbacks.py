"""Results-page callbacks: thin wrappers that check the browser's inputs and ask ``views``.
Which streets' rows they see is the database's row scope (a street leader's own street)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from dash import Dash, Input, Output, State, dcc, no_update
from sqlalchemy.engine import Engine

from dashboard.auth import trail
from dashboard.auth.current import current_user
from dashboard.results import layout as L
from dashboard.results.views import ResultsView, period_from, results_view, street_from
from geo.campaigns import Campaign
from geo.errors import InputError
from geo.inspection_kinds import InspectionKind
from layers.results_workbook import workbook
from layers.units import unit_names

INPUTS = (Input(L.DATES, "start_date"), Input(L.DATES, "end_date"), Input(L.STREET, "value"))


def register_results_callbacks(
    app: Dash,
    *,
    engine: Engine,
    campaigns: tuple[Campaign, ...],
    kinds: Mapping[str, InspectionKind],
    today: Callable[[], dt.date],
) -> None:
    def view(start: Any, end: Any, street: Any) -> ResultsView:
        day = today()
        with engine.connect() as conn:
            return results_view(conn, period=period_from(start, end, today=day), street=street_from(street),
                                campaigns=campaigns, kinds=kinds, today=day)  # fmt: skip

    @app.callback(
        Output(L.CAMPAIGNS, "children"), Output(L.WEEKLY, "children"), Output(L.ABOUT, "children"),
        Output(L.TABLE, "rowData"), Output(L.MESSAGE, "children"), *INPUTS,
    )  # fmt: skip
    def show(start: Any, end: Any, street: Any) -> tuple[Any, ...]:
        try:
            shown = view(start, end, street)
        except InputError as exc:
            return no_update, no_update, no_update, no_update, L.refused(str(exc))
        return (L.campaigns(shown.campaigns, kinds), L.weekly(shown.weekly), L.summary(shown.period, shown.table),
                L.grid_rows(shown.table, kinds), None)  # fmt: skip

    @app.callback(Output(L.DOWNLOAD, "data"), Output(L.MESSAGE, "children", allow_duplicate=True),
                  Input(L.EXPORT, "n_clicks"), *(State(i.component_id, i.component_property) for i in INPUTS),
                  prevent_initial_call=True)  # fmt: skip
    def export(_n: Any, start: Any, end: Any, street: Any) -> tuple[Any, Any]:
        try:
            shown = view(start, end, street)
        except InputError as exc:
            return no_update, L.refused(str(exc))
        with engine.connect() as conn:
            place = unit_names(conn, "street").get(street_from(street) or -1, "全部街道 all streets")
        who, at = current_user(), dt.datetime.now(dt.UTC)
        trail.record(engine, "export", what="inspection results", rows=len(shown.table), street=street_from(street),
                     period=f"{shown.period.start} – {shown.period.end}")  # fmt: skip
        data = workbook(shown.table, shown.campaigns, shown.weekly, period=shown.period, place=place, kinds=kinds,
                        by=who.username if who else "—", at=at)  # fmt: skip
        return dcc.send_bytes(
            data, f"inspection-results-{shown.period.start:%Y%m%d}-{shown.period.end:%Y%m%d}.xlsx"
        ), None
