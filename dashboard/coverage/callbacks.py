"""Coverage-page callbacks: thin wrappers that check the browser's inputs and ask views/layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Engine

from dashboard.auth import trail
from dashboard.coverage import layout as L
from dashboard.coverage.figures import ADDED, BUILDINGS, POINTS, UNCOVERED, coverage_figure
from dashboard.coverage.views import (
    CoverageCache,
    WhatIf,
    base_share,
    coverage_view,
    suggestions,
    threshold_m,
)
from dashboard.identity import IdentityCache
from geo.errors import InputError
from geo.service_types import ServiceType
from layers.coverage_export import coverage_html, gaps_geojson, gaps_workbook

MAX_ADDED = 50


def _kind(kind: Any, types: Mapping[str, ServiceType], known: set[str]) -> str:
    if not isinstance(kind, str) or (kind not in types and kind not in known):
        raise InputError("unknown service type")
    return kind


def _suggested(data: Any) -> list[tuple[float, float, str, float]]:
    rows = data if isinstance(data, list) else []
    return [
        (float(r[0]), float(r[1]), str(r[2]), float(r[3]))
        for r in rows
        if isinstance(r, list) and len(r) == 4
    ]


def _clicked(
    click: Any, what_if: WhatIf, view_points: pd.DataFrame, lonlat: np.ndarray, covered: np.ndarray
) -> dict[str, Any]:
    """The what-if after a click: a building adds a point there, a point toggles, an added one goes."""
    point = (click or {}).get("points", [{}])[0]
    curve, index = point.get("curveNumber"), point.get("pointIndex")
    added, removed = list(what_if.added), set(what_if.removed)
    if not isinstance(index, int):
        raise PreventUpdate
    if curve == UNCOVERED:  # the uncovered buildings are drawn again on top: find which building
        gaps = np.flatnonzero(~covered)
        curve, index = (BUILDINGS, int(gaps[index])) if 0 <= index < len(gaps) else (None, -1)
    if curve == BUILDINGS and 0 <= index < len(lonlat) and len(added) < MAX_ADDED:
        added.append((float(lonlat[index, 0]), float(lonlat[index, 1])))
    elif curve == POINTS and 0 <= index < len(view_points):
        removed ^= {int(view_points["id"].iloc[index])}
    elif curve == ADDED and 0 <= index < len(added):
        added.pop(index)
    else:
        raise PreventUpdate
    return {"added": [list(p) for p in added], "removed": sorted(removed)}


def register_coverage_callbacks(
    app: Dash,
    *,
    engine: Engine,
    cache: CoverageCache,
    types: Mapping[str, ServiceType],
    identity: IdentityCache,
) -> None:
    def known_kinds() -> set[str]:
        with engine.connect() as conn:
            return set(conn.exec_driver_sql("SELECT DISTINCT kind FROM service_point").scalars())

    def view(kind: Any, value: Any, unit: Any, what_if: Any) -> Any:
        kind_ = _kind(kind, types, known_kinds())
        with engine.connect() as conn:
            return coverage_view(
                conn, cache, kind=kind_, metres=threshold_m(value, unit), what_if=WhatIf.parse(what_if)
            )

    @app.callback(
        Output(L.KPIS, "children"), Output(L.MAP, "figure"), Output(L.WORST, "children"), Output(L.STREETS, "children"),
        Output(L.MESSAGE, "children"),
        Input(L.TYPE, "value"), Input(L.VALUE, "value"), Input(L.UNIT, "value"), Input(L.WHATIF, "data"),
        Input(L.SUGGESTED, "data"),
    )  # fmt: skip
    def update(kind: Any, value: Any, unit: Any, what_if: Any, suggested: Any) -> tuple[Any, ...]:
        try:
            v = view(kind, value, unit, what_if)
        except InputError as exc:
            return (*(no_update,) * 4, f"⚠ {exc}")
        base = None
        if WhatIf.parse(what_if) != WhatIf():
            with engine.connect() as conn:
                base = base_share(conn, cache, kind=str(kind), metres=v.result.threshold_m)
        rows = _suggested(suggested)
        marks = np.array([(r[0], r[1]) for r in rows], float).reshape(-1, 2) if rows else None
        return (
            L.kpis(v.result.share, base, v.villages, along_network=v.result.walks.along_network, metres=v.result.threshold_m),
            coverage_figure(v, suggested=marks, revision=str(kind), district=identity.get().extent),
            L.units_table(v.communities, title="最缺服务的社区/村 Worst-served communities and villages"),
            L.units_table(v.streets, title="街道 Streets", top=20), "",
        )  # fmt: skip

    @app.callback(
        Output(L.WHATIF, "data"),
        Input(L.MAP, "clickData"), Input(L.RESET, "n_clicks"),
        State(L.WHATIF, "data"), State(L.TYPE, "value"), State(L.VALUE, "value"), State(L.UNIT, "value"),
        prevent_initial_call=True,
    )  # fmt: skip
    def click(click: Any, _reset: int, what_if: Any, kind: Any, value: Any, unit: Any) -> dict[str, Any]:
        if ctx.triggered_id == L.RESET:
            return {"added": [], "removed": []}
        try:
            v = view(kind, value, unit, what_if)
        except InputError:
            raise PreventUpdate from None
        return _clicked(click, WhatIf.parse(what_if), v.points, v.result.demand.lonlat, v.result.covered)

    @app.callback(
        Output(L.SUGGESTIONS, "children"), Output(L.SUGGESTED, "data"),
        Input(L.SUGGEST, "n_clicks"),
        State(L.TYPE, "value"), State(L.VALUE, "value"), State(L.UNIT, "value"), State(L.WHATIF, "data"),
        State(L.K, "value"), State(L.SITES, "value"),
        prevent_initial_call=True,
    )  # fmt: skip
    def suggest(
        _n: int, kind: Any, value: Any, unit: Any, what_if: Any, k: Any, sites: Any
    ) -> tuple[Any, Any]:
        try:
            count = int(k)
            if not 1 <= count <= 20 or sites not in ("offices", "buildings"):
                raise InputError("k must be 1–20")
            v = view(kind, value, unit, what_if)
        except (InputError, TypeError, ValueError) as exc:
            return f"⚠ {exc}", no_update
        with engine.connect() as conn:
            found = suggestions(conn, cache, v, which=sites, k=count)
        return L.suggestion_table(found.result, found.labels, left_out=found.left_out), L.suggested_rows(
            found.sites, found.labels, found.result
        )

    @app.callback(
        Output(L.DOWNLOAD, "data"),
        Input(L.EXPORT_GEOJSON, "n_clicks"), Input(L.EXPORT_XLSX, "n_clicks"), Input(L.EXPORT_HTML, "n_clicks"),
        State(L.TYPE, "value"), State(L.VALUE, "value"), State(L.UNIT, "value"), State(L.WHATIF, "data"),
        State(L.SUGGESTED, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def export(
        _g: int, _x: int, _h: int, kind: Any, value: Any, unit: Any, what_if: Any, suggested: Any
    ) -> dict[str, Any]:
        try:
            v = view(kind, value, unit, what_if)
        except InputError:
            raise PreventUpdate from None
        rows = _suggested(suggested)
        stem = f"coverage-{kind}-{v.result.threshold_m:.0f}m"
        trail.record(
            engine,
            "export",
            what="coverage",
            button=ctx.triggered_id,
            service=kind,
            threshold_m=v.result.threshold_m,
        )
        if ctx.triggered_id == L.EXPORT_GEOJSON:
            return dcc.send_string(gaps_geojson(v.result, rows), f"{stem}.geojson")
        if ctx.triggered_id == L.EXPORT_XLSX:
            sheets = {"communities": v.communities, "streets": v.streets,
                      "suggestions": pd.DataFrame(rows, columns=["lon", "lat", "site", "gain_residents"])}  # fmt: skip
            return dcc.send_bytes(gaps_workbook(sheets), f"{stem}.xlsx")
        return dcc.send_string(coverage_html(v.result, v.points, v.added, rows), f"{stem}.html")
