"""Planning-page callbacks: thin wrappers that check the browser's inputs and ask views/layers.

Every input is re-checked here (the browser is not trusted): numbers and dates by
``views.request_from``, target ids against the database by ``layers.visits``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Engine

from dashboard.auth import trail
from dashboard.auth.current import current_row_scope
from dashboard.inspections import layout as L
from dashboard.inspections.figures import plan_figure
from dashboard.inspections.solver import Solver
from dashboard.inspections.views import planning, request_from, street_outline
from geo.errors import InputError
from geo.inspection_kinds import InspectionKind
from geo.inspection_settings import InspectionSettings
from layers.network import NetworkCache
from layers.plan import plan_from_dict, plan_to_dict
from layers.plan_export import plan_html, plan_print, plan_workbook
from layers.visits import VisitRecord, record_visit

BEIJING = dt.timezone(dt.timedelta(hours=8))
PLAN_OUTPUTS = (
    Output(L.GRID, "rowData"), Output(L.MAP, "figure"), Output(L.SUMMARY, "children"), Output(L.COVERAGE, "children"),
    Output(L.PLAN, "data"), Output(L.R_TARGET, "options"), Output(L.MESSAGE, "children"),
)  # fmt: skip


def today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def register_inspection_callbacks(
    app: Dash,
    *,
    engine: Engine,
    networks: NetworkCache,
    settings: InspectionSettings,
    solver: Solver,
    kinds: Mapping[str, InspectionKind],
) -> None:
    @app.callback(
        *PLAN_OUTPUTS,
        Input(L.PLAN_BUTTON, "n_clicks"), Input(L.CHOICE, "data"), Input(L.SAVED, "data"),
        State(L.STREET, "value"), State(L.START, "date"), State(L.DAYS, "value"), State(L.TEAMS, "value"),
        State(L.VISITS, "value"), State(L.KINDS, "value"),
        prevent_initial_call=True,
    )  # fmt: skip
    def plan(
        _n: int,
        choice: Any,
        _saved: Any,
        street: Any,
        start: Any,
        days: Any,
        teams: Any,
        visits: Any,
        wanted: Any,
    ) -> tuple[Any, ...]:
        try:
            request = request_from(
                street=street,
                start=start,
                days=days,
                teams=teams,
                visits=visits,
                kinds=wanted,
                choice=choice,
                known_kinds=kinds,
            )
            if not current_row_scope().allows(request.street):
                raise InputError("this account plans only its own streets; pick one from the list")
            with engine.connect() as conn:
                network = networks.get(conn)
                data = planning(
                    conn, network, request, today=today(), settings=settings, kinds=kinds, solve=solver.solve
                )
            trail.record(
                engine, "view", what="inspection register", street=request.street, targets=len(data.register)
            )
        except InputError as exc:
            return (*(no_update,) * 6, f"⚠ {exc}")
        targets = [{"label": str(r.name), "value": int(r.id)} for r in data.register.itertuples()]
        return (
            L.register_rows(data.register, data.plan, kinds), plan_figure(data.plan, data.outline), L.summary(data.plan),
            L.coverage(data.rounds, kinds), plan_to_dict(data.plan), targets, "",
        )  # fmt: skip

    @app.callback(
        Output(L.CHOICE, "data"),
        Input(L.PIN, "n_clicks"), Input(L.DROP, "n_clicks"), Input(L.CLEAR, "n_clicks"),
        State(L.GRID, "selectedRows"), State(L.CHOICE, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def choose(_p: int, _d: int, _c: int, selected: Any, choice: Any) -> dict[str, list[int]]:
        """Pin or drop the selected targets (pinning undoes a drop and the other way round)."""
        current = choice if isinstance(choice, dict) else {}
        pinned = {i for i in current.get("pinned", []) if isinstance(i, int)}
        dropped = {i for i in current.get("dropped", []) if isinstance(i, int)}
        ids = {
            row["id"] for row in selected or [] if isinstance(row, dict) and isinstance(row.get("id"), int)
        }
        if ctx.triggered_id == L.CLEAR:
            pinned, dropped = set(), set()
        elif ctx.triggered_id == L.PIN:
            pinned, dropped = pinned | ids, dropped - ids
        elif ctx.triggered_id == L.DROP:
            pinned, dropped = pinned - ids, dropped | ids
        return {"pinned": sorted(pinned), "dropped": sorted(dropped)}

    @app.callback(
        Output(L.DOWNLOAD, "data"),
        Input(L.EXPORT_HTML, "n_clicks"), Input(L.EXPORT_XLSX, "n_clicks"), Input(L.EXPORT_PRINT, "n_clicks"),
        State(L.PLAN, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def export(_h: int, _x: int, _p: int, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise PreventUpdate
        try:
            plan_ = plan_from_dict(data)
        except (KeyError, TypeError, ValueError):
            raise PreventUpdate from None
        if not current_row_scope().allows(plan_.request.street):
            raise PreventUpdate  # a plan for another street, made up in the browser
        stem = f"inspection-plan-{plan_.request.start.isoformat()}"
        stops = sum(len(r.stops) for r in plan_.routes)
        trail.record(
            engine,
            "export",
            what="inspection plan",
            button=ctx.triggered_id,
            street=plan_.request.street,
            stops=stops,
        )
        if ctx.triggered_id == L.EXPORT_XLSX:
            return dcc.send_bytes(plan_workbook(plan_), f"{stem}.xlsx")
        if ctx.triggered_id == L.EXPORT_PRINT:
            return dcc.send_string(plan_print(plan_), f"{stem}-print.html")
        with engine.connect() as conn:
            outline = street_outline(conn, plan_.request.street)
        return dcc.send_string(plan_html(plan_, outline=outline), f"{stem}-map.html")

    @app.callback(
        Output(L.R_MESSAGE, "children"), Output(L.SAVED, "data"),
        Input(L.R_SAVE, "n_clicks"),
        State(L.R_TARGET, "value"), State(L.R_OUTCOME, "value"), State(L.R_DATE, "date"), State(L.R_DUE, "date"),
        State(L.R_INSPECTOR, "value"), State(L.R_NOTES, "value"), State(L.SAVED, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def save(
        _n: int, target: Any, outcome: Any, day: Any, due: Any, inspector: Any, notes: Any, saved: Any
    ) -> tuple[str, Any]:
        try:
            record = _record(target, outcome, day, due, inspector, notes)
            with engine.begin() as conn:
                visit = record_visit(conn, record, recheck_days=settings.recheck_days)
                trail.record_in(conn, "change", what="inspection visit", visit=visit, target=record.target)
        except InputError as exc:
            return f"⚠ {exc}", no_update
        return "已保存 saved", (saved or 0) + 1


def _record(target: Any, outcome: Any, day: Any, due: Any, inspector: Any, notes: Any) -> VisitRecord:
    if not isinstance(target, int):
        raise InputError("choose a target first (先选择对象)")
    try:
        when = dt.datetime.combine(
            dt.date.fromisoformat(str(day)[:10]), dt.datetime.now(BEIJING).time(), tzinfo=BEIJING
        )
        deadline = dt.date.fromisoformat(str(due)[:10]) if due else None
    except ValueError:
        raise InputError("dates must look like 2026-11-24") from None
    return VisitRecord(
        target, when, str(outcome), inspector=str(inspector or ""), notes=str(notes or ""), due=deadline
    )
