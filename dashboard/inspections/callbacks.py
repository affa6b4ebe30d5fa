"""Planning-page callbacks: thin wrappers that check the browser's inputs and ask views/layers.

Every input is re-checked here (the browser is not trusted): numbers and dates by
``views.request_from``, target ids against the database by ``layers.visits``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import shapely.geometry
from dash import ALL, Dash, Input, Output, Patch, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Engine

from dashboard.auth import trail
from dashboard.auth.current import current_row_scope, current_user
from dashboard.inspections import layout as L
from dashboard.inspections.choice import CLEAR, DROP, PIN, Choice, rechecks, selected_ids
from dashboard.inspections.figures import FOCUS, plan_figure
from dashboard.inspections.focus import focus_of
from dashboard.inspections.solver import Solver
from dashboard.inspections.views import Planning, planning, request_from, street_outline
from geo.errors import InputError
from geo.inspection_kinds import InspectionKind
from geo.inspection_settings import InspectionSettings
from layers.basemap import roads_in
from layers.export_heading import heading_of
from layers.network import NetworkCache
from layers.plan import plan_from_dict, plan_to_dict
from layers.plan_export import plan_heading, plan_html, plan_print, plan_workbook
from layers.visits import VisitRecord, history, record_visit, target_kind

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
        Input(L.PLAN_BUTTON, "n_clicks"), Input(L.CHOICE, "data"), Input(L.SAVED, "data"), Input(L.STREET, "value"),
        State(L.START, "date"), State(L.DAYS, "value"), State(L.TEAMS, "value"),
        State(L.VISITS, "value"), State(L.KINDS, "value"), State(L.PLAN, "data"),
    )  # fmt: skip
    def plan(
        _n: int, choice: Any, _saved: Any, street: Any, start: Any, days: Any, teams: Any, visits: Any, wanted: Any, planned: Any
    ) -> tuple[Any, ...]:  # fmt: skip
        """The street's register (and its targets on the map) on page load and when the street
        changes; its plan when asked, and again after a pin, drop or visit once there is one."""
        trigger = ctx.triggered_id
        solve = trigger == L.PLAN_BUTTON or (trigger in (L.CHOICE, L.SAVED) and isinstance(planned, dict))
        if street is None and not solve:
            raise PreventUpdate  # no street to show (none loaded, or none this account may plan)
        try:
            request = request_from(street=street, start=start, days=days, teams=teams, visits=visits,
                                   kinds=wanted, choice=choice, known_kinds=kinds)  # fmt: skip
            if not current_row_scope().allows(request.street):
                raise InputError("this account plans only its own streets; pick one from the list")
            with engine.connect() as conn:
                data = planning(conn, networks.get(conn), request, today=today(), settings=settings, kinds=kinds,
                                solve=solver.solve if solve else None)  # fmt: skip
            trail.record(
                engine, "view", what="inspection register", street=request.street, targets=len(data.register)
            )
        except InputError as exc:
            return (*(no_update,) * 6, f"⚠ {exc}")
        return _shown(data, kinds)

    @app.callback(
        Output(L.CHOICE, "data"), Output(L.GRID, "selectedRows"), Output(L.CONFIRM, "displayed"), Output(L.CONFIRM, "message"),
        Input(L.PIN, "n_clicks"), Input(L.DROP, "n_clicks"), Input(L.CLEAR, "n_clicks"), Input(L.CONFIRM, "submit_n_clicks"),
        State(L.GRID, "selectedRows"), State(L.CHOICE, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def choose(_p: int, _d: int, _c: int, _yes: int, selected: Any, stored: Any) -> tuple[Any, ...]:
        """Pin or drop the selected targets and clear the selection; dropping a recheck due in
        the period asks first (the dialog's OK drops them)."""
        action = _ACTIONS.get(str(ctx.triggered_id))
        if action is None:
            raise PreventUpdate
        if ctx.triggered_id == L.DROP and (names := rechecks(selected)):
            return no_update, no_update, True, L.drop_question(names)
        choice = Choice.parse(stored).apply(action, selected_ids(selected))
        return choice.to_store(), [], False, no_update

    @app.callback(
        Output(L.GRID, "selectedRows", allow_duplicate=True), Output(L.GRID, "scrollTo"),
        Output(L.MAP, "figure", allow_duplicate=True),
        Input(L.MAP, "clickData"), Input({"type": L.STOP, "target": ALL}, "n_clicks"), State(L.PLAN, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def focus(click: Any, _stops: Any, planned: Any) -> tuple[Any, ...]:
        """A stop opened from its team-day's list or a target clicked on the map: its row selected
        and scrolled to in the register, a ring under it on the map."""
        found = focus_of(ctx.triggered_id, ctx.triggered, click=click, plan=planned)
        if found is None:
            raise PreventUpdate
        ring = Patch()
        ring["data"][FOCUS]["lon"], ring["data"][FOCUS]["lat"] = [found.lon], [found.lat]
        return {"ids": [str(found.target)]}, {"rowId": str(found.target), "rowPosition": "middle"}, ring

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
        stops = sum(len(r.stops) for r in plan_.routes)
        trail.record(engine, "export", what="inspection plan", button=ctx.triggered_id, street=plan_.request.street, stops=stops)  # fmt: skip
        who = current_user()
        with engine.connect() as conn:
            outline = street_outline(conn, plan_.request.street)
            roads = roads_in(conn, shapely.geometry.shape(outline).bounds) if outline else {}
            heading = heading_of(conn, street=plan_.request.street, period="", by=who.username if who else "—", at=dt.datetime.now(dt.UTC))  # fmt: skip
        heading = plan_heading(heading, plan_)
        if ctx.triggered_id == L.EXPORT_XLSX:
            book = plan_workbook(plan_, heading=heading, kinds={k: v.zh for k, v in kinds.items()})
            return dcc.send_bytes(book, heading.file_name("巡查计划", "xlsx", day=plan_.request.start))
        if ctx.triggered_id == L.EXPORT_PRINT:
            return dcc.send_string(plan_print(plan_, heading=heading, outline=outline), heading.file_name("巡查路线-打印", "html", day=plan_.request.start))  # fmt: skip
        return dcc.send_string(
            plan_html(plan_, heading=heading, outline=outline, roads=roads),
            heading.file_name("巡查地图", "html", day=plan_.request.start),
        )

    @app.callback(
        Output(L.R_MESSAGE, "children"), Output(L.SAVED, "data"),
        Input(L.R_SAVE, "n_clicks"),
        State(L.R_TARGET, "value"), State(L.R_OUTCOME, "value"), State(L.R_DATE, "date"), State(L.R_DUE, "date"),
        State(L.R_CHECKS, "value"),
        State(L.R_INSPECTOR, "value"), State(L.R_NOTES, "value"), State(L.SAVED, "data"), State(L.R_TARGET, "options"),
        prevent_initial_call=True,
    )  # fmt: skip
    def save(
        _n: int,
        target: Any,
        outcome: Any,
        day: Any,
        due: Any,
        failed: Any,
        inspector: Any,
        notes: Any,
        saved: Any,
        targets: Any,
    ) -> tuple[Any, Any]:
        try:
            record = replace(_record(target, outcome, day, due, inspector, notes), failed=_items(failed))
            with engine.begin() as conn:
                kind = target_kind(conn, record.target)
                checks = kinds[kind].checks if kind is not None and kind in kinds else ()
                visit = record_visit(conn, record, recheck_days=settings.recheck_days, checks=checks)
                trail.record_in(conn, "change", what="inspection visit", visit=visit, target=record.target)
        except InputError as exc:
            return L.refused(str(exc)), no_update
        return L.saved(_label(targets, record.target), record.at.date().isoformat()), (saved or 0) + 1

    @app.callback(
        Output(L.R_CHECKS, "options"), Output(L.R_CHECKS, "value"), Output(L.R_HISTORY, "children"),
        Input(L.R_TARGET, "value"), Input(L.SAVED, "data"),
    )  # fmt: skip
    def checklist(target: Any, _saved: Any) -> tuple[Any, Any, Any]:
        """The chosen target's checklist (its kind's), none ticked, and its latest visits; the
        row scope decides which targets an account sees."""
        if not isinstance(target, int):
            return [], [], []
        with engine.connect() as conn:
            kind = target_kind(conn, target)
            visits = history(conn, target) if kind is not None else []
        checks = kinds[kind].checks if kind is not None and kind in kinds else ()
        return [{"label": c, "value": c} for c in checks], [], L.visit_history(visits)


def _items(value: Any) -> tuple[str, ...]:
    """The ticked checklist items, as sent (checked against the kind's list on saving)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > 100:
        raise InputError("the checklist sent is not a list of items")
    return tuple(value)


_ACTIONS = {L.PIN: PIN, L.DROP: DROP, L.CLEAR: CLEAR, L.CONFIRM: DROP}


def _shown(data: Planning, kinds: Mapping[str, InspectionKind]) -> tuple[Any, ...]:
    """The plan callback's outputs for ``data`` (the plan's store None without a plan)."""
    targets = [{"label": str(r.name), "value": int(r.id)} for r in data.register.itertuples()]
    figure = plan_figure(data.plan, data.outline, communities=data.communities, register=data.register)
    return (
        L.register_rows(data.register, data.plan, kinds, request=data.request), figure, L.summary(data.plan),
        L.coverage(data.rounds, kinds), None if data.plan is None else plan_to_dict(data.plan), targets, "",
    )  # fmt: skip


def _label(options: Any, value: int) -> str:
    """The dropdown's label for ``value`` (the browser's copy: shown back to the same user only)."""
    found = [o.get("label") for o in options if isinstance(o, dict) and o.get("value") == value] if isinstance(options, list) else []  # fmt: skip
    return str(found[0]) if found else f"#{value}"


def _record(target: Any, outcome: Any, day: Any, due: Any, inspector: Any, notes: Any) -> VisitRecord:
    if not isinstance(target, int):
        raise InputError("choose a target first (先选择对象)")
    if not str(inspector or "").strip():
        raise InputError("请填写检查人 enter who inspected")
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
