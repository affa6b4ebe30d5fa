"""Coverage-page callbacks: thin wrappers that check the browser's inputs and ask views/layers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Engine

from dashboard.auth import trail
from dashboard.auth.current import current_user
from dashboard.bilingual import tr
from dashboard.coverage import layout as L
from dashboard.coverage.figures import ADDED, BUILDINGS, POINTS, UNCOVERED, coverage_figure
from dashboard.coverage.views import (
    Compared,
    CoverageCache,
    CoverageView,
    Serving,
    WhatIf,
    base_share,
    beijing_today,
    compare,
    comparison_rows,
    coverage_view,
    streets_side_by_side,
    suggestions,
    threshold_m,
)
from dashboard.identity import IdentityCache
from geo.errors import InputError
from geo.populations import POPULATIONS
from geo.service_types import ServiceType
from layers import scenarios
from layers.basemap import roads_in
from layers.coverage import LIFE_CIRCLES, WALK_M_PER_MIN, walk_words
from layers.coverage_export import coverage_html, coverage_workbook, gaps_geojson, scenarios_workbook
from layers.export_heading import BEIJING, heading_of
from layers.service_points import Unowned, kinds, units_without, unowned_outlines

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
    return WhatIf(tuple(added), frozenset(removed)).to_store()


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
            return set(kinds(conn))

    def view(kind: Any, value: Any, unit: Any, what_if: Any, on: Any) -> Any:
        kind_ = _kind(kind, types, known_kinds())
        with engine.connect() as conn:
            return coverage_view(conn, cache, kind=kind_, metres=threshold_m(value, unit), what_if=WhatIf.parse(what_if),
                                 on=as_of(on), serving=Serving.of(types.get(kind_)))  # fmt: skip

    @app.callback(
        Output(L.KPIS, "children"), Output(L.MAP, "figure"), Output(L.WORST, "children"), Output(L.STREETS, "children"),
        Output(L.MESSAGE, "children"),
        Input(L.TYPE, "value"), Input(L.VALUE, "value"), Input(L.UNIT, "value"), Input(L.WHATIF, "data"),
        Input(L.SUGGESTED, "data"), Input(L.ON, "date"),
    )  # fmt: skip
    def update(kind: Any, value: Any, unit: Any, what_if: Any, suggested: Any, on: Any) -> tuple[Any, ...]:
        try:
            v = view(kind, value, unit, what_if, on)
        except InputError as exc:
            return (*(no_update,) * 4, f"⚠ {exc}")
        base = None
        if WhatIf.parse(what_if) != WhatIf():
            with engine.connect() as conn:
                base = base_share(conn, cache, kind=str(kind), metres=v.result.threshold_m, on=as_of(on),
                                  serves=Serving.of(types.get(str(kind))).serves)  # fmt: skip
        rows, day, kind = _suggested(suggested), as_of(on), str(kind)
        marks = np.array([(r[0], r[1]) for r in rows], float).reshape(-1, 2) if rows else None
        levels = types[kind].levels if kind in types else ()

        def units() -> tuple[pd.DataFrame, list[Unowned]]:
            with engine.connect() as conn:
                missing = units_without(conn, kind, levels=levels, on=day)
                return missing, unowned_outlines(conn, missing)

        missing, without = v.drawing(("units", kind, day), units)

        def tables() -> tuple[Any, Any]:
            return (
                html.Div([L.without_table(missing, levels=levels), L.load_table(v.load, counted=v.counted),
                          L.units_table(v.communities, title=tr("最缺服务的社区/村", "Worst-served communities and villages"))]),
                L.units_table(v.streets, title=tr("街道", "Streets"), top=20),
            )  # fmt: skip

        figure = v.drawing(("map", kind, day, tuple(rows)), lambda: coverage_figure(v, suggested=marks, revision=kind, district=identity.get().extent, without=without))  # fmt: skip
        serves = Serving.of(types.get(kind)).serves
        return (
            L.kpis(v.result.share, base, v.villages, along_network=v.result.walks.along_network, metres=v.result.threshold_m,
                   unit=str(unit), counted=v.counted, serves=serves),
            figure, *v.drawing(("tables", kind, day), tables), "",
        )  # fmt: skip

    @app.callback(
        Output(L.WHATIF, "data"),
        Input(L.MAP, "clickData"), Input(L.RESET, "n_clicks"),
        State(L.WHATIF, "data"), State(L.TYPE, "value"), State(L.VALUE, "value"), State(L.UNIT, "value"),
        State(L.ON, "date"), prevent_initial_call=True,
    )  # fmt: skip
    def click(
        click: Any, _reset: int, what_if: Any, kind: Any, value: Any, unit: Any, on: Any
    ) -> dict[str, Any]:
        if ctx.triggered_id == L.RESET:
            return {"added": [], "removed": []}
        try:
            v = view(kind, value, unit, what_if, on)
        except InputError:
            raise PreventUpdate from None
        return _clicked(click, WhatIf.parse(what_if), v.points, v.result.demand.lonlat, v.result.covered)

    @app.callback(
        Output(L.VALUE, "value"), Input(L.UNIT, "value"), State(L.VALUE, "value"), prevent_initial_call=True
    )
    def convert(unit: Any, value: Any) -> Any:
        """The number in the box follows the unit: 1,000 m becomes 12.5 min, 15 min 1,200 m."""
        return converted(value, unit=unit)

    @app.callback(
        Output(L.VALUE, "value", allow_duplicate=True),
        Input({"type": L.CIRCLE, "m": ALL}, "n_clicks"), State(L.UNIT, "value"),
        prevent_initial_call=True,
    )  # fmt: skip
    def circle(_clicks: Any, unit: Any) -> Any:
        """A life circle's walking distance as the threshold, in the unit shown."""
        return circle_value(
            ctx.triggered_id, ctx.triggered[0].get("value") if ctx.triggered else None, unit=unit
        )

    @app.callback(
        Output(L.WHATIF, "data", allow_duplicate=True),
        Input({"type": L.APPLY, "n": ALL}, "n_clicks"), Input(L.APPLY_ALL, "n_clicks"),
        State(L.WHATIF, "data"), State(L.SUGGESTED, "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    def apply(_one: Any, _all: Any, what_if: Any, suggested: Any) -> dict[str, Any]:
        """A suggested site (or all of them) added to the what-if, as a click on the map adds one."""
        rows, trigger = _suggested(suggested), ctx.triggered_id
        clicked = ctx.triggered[0].get("value") if ctx.triggered else None
        if not isinstance(clicked, int) or clicked < 1:
            raise PreventUpdate  # a button drawn, not pressed
        picked = rows if trigger == L.APPLY_ALL else [rows[trigger["n"]]] if isinstance(trigger, dict) and trigger.get("n") in range(len(rows)) else []  # fmt: skip
        if not picked:
            raise PreventUpdate
        return with_sites(WhatIf.parse(what_if), [(x, y) for x, y, *_ in picked], limit=MAX_ADDED)

    @app.callback(
        Output(L.SUGGESTIONS, "children"), Output(L.SUGGESTED, "data"),
        Input(L.SUGGEST, "n_clicks"),
        State(L.TYPE, "value"), State(L.VALUE, "value"), State(L.UNIT, "value"), State(L.WHATIF, "data"),
        State(L.K, "value"), State(L.SITES, "value"), State(L.ON, "date"),
        prevent_initial_call=True,
    )  # fmt: skip
    def suggest(
        _n: int, kind: Any, value: Any, unit: Any, what_if: Any, k: Any, sites: Any, on: Any
    ) -> tuple[Any, Any]:
        try:
            count = int(k)
            if not 1 <= count <= 20 or sites not in ("offices", "buildings"):
                raise InputError("k must be 1–20")
            v = view(kind, value, unit, what_if, on)
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
        State(L.SUGGESTED, "data"), State(L.ON, "date"),
        prevent_initial_call=True,
    )  # fmt: skip
    def export(
        _g: int, _x: int, _h: int, kind: Any, value: Any, unit: Any, what_if: Any, suggested: Any, on: Any
    ) -> dict[str, Any]:
        try:
            v = view(kind, value, unit, what_if, on)
        except InputError:
            raise PreventUpdate from None
        rows = _suggested(suggested)
        trail.record(engine, "export", what="coverage", button=ctx.triggered_id, service=kind, threshold_m=v.result.threshold_m)  # fmt: skip
        if ctx.triggered_id == L.EXPORT_GEOJSON:
            return dcc.send_string(
                gaps_geojson(v.result, rows), f"coverage-{kind}-{v.result.threshold_m:.0f}m.geojson"
            )
        subject = types[kind].zh if kind in types else str(kind)
        summary = export_summary(v, unit=str(unit), what_if=WhatIf.parse(what_if))
        who, at = current_user(), dt.datetime.now(BEIJING)
        with engine.connect() as conn:
            heading = heading_of(conn, street=None, period=f"截至 {as_of(on).isoformat()}", by=who.username if who else "—", at=at)  # fmt: skip
            lonlat = v.result.demand.lonlat
            box = (*lonlat.min(axis=0), *lonlat.max(axis=0)) if len(lonlat) else None
            roads = (
                roads_in(conn, box, kinds=("arterial", "street"), detail_m=10.0) if box else {}
            )  # the district's main roads
            levels = types[kind].levels if kind in types else ()
            missing = units_without(conn, str(kind), levels=levels, on=as_of(on)) if levels else None
            without = unowned_outlines(conn, missing) if missing is not None else []
        if ctx.triggered_id == L.EXPORT_XLSX:
            book = coverage_workbook(heading=heading, subject=subject, summary=summary, streets=v.streets, communities=v.communities,
                                     suggested=rows, missing=missing, load=v.load)  # fmt: skip
            return dcc.send_bytes(book, heading.file_name(f"服务覆盖-{subject}", "xlsx"))
        page = coverage_html(v.result, v.points, v.added, rows, heading=heading, subject=subject, summary=summary, boundaries=v.boundaries, hulls=v.hulls, roads=roads, without=without)  # fmt: skip
        return dcc.send_string(page, heading.file_name(f"服务覆盖地图-{subject}", "html"))


def register_scenario_callbacks(app: Dash, *, engine: Engine, cache: CoverageCache, types: Mapping[str, ServiceType]) -> None:  # fmt: skip
    """Saved scenarios (方案): save the page's what-if, list, load, delete, compare two, export."""

    @app.callback(
        Output(L.SC_MESSAGE, "children"), Output(L.SC_VERSION, "data"),
        Input(L.SC_SAVE, "n_clicks"), State(L.SC_NAME, "value"), State(L.TYPE, "value"), State(L.VALUE, "value"),
        State(L.UNIT, "value"), State(L.WHATIF, "data"), State(L.SC_VERSION, "data"), prevent_initial_call=True,
    )  # fmt: skip
    def save(
        _n: Any, name: Any, kind: Any, value: Any, unit: Any, what_if: Any, version: Any
    ) -> tuple[Any, Any]:
        try:
            if not isinstance(kind, str) or not kind:
                raise InputError("choose a service type first")
            w, metres, user = WhatIf.parse(what_if), threshold_m(value, unit), current_user()
            with engine.begin() as conn:
                sid = scenarios.save(conn, name=name, kind=kind, threshold_m=metres, added=w.added, removed=w.removed,
                                     by=user.username if user else None)  # fmt: skip
                trail.record_in(
                    conn, "scenario.save", name=scenarios.checked_name(name), service=kind, id=sid
                )
        except InputError as exc:
            return f"⚠ {exc}", no_update
        return tr(
            f"已保存方案「{scenarios.checked_name(name)}」", f"Saved “{scenarios.checked_name(name)}”"
        ), _next(version)

    @app.callback(
        Output(L.SC_LIST, "options"), Output(L.SC_A, "options"), Output(L.SC_B, "options"),
        Input(L.TYPE, "value"), Input(L.SC_VERSION, "data"),
    )  # fmt: skip
    def listed(kind: Any, _version: Any) -> tuple[Any, Any, Any]:
        with engine.connect() as conn:
            options = L.scenario_options(scenarios.scenarios(conn, kind)) if isinstance(kind, str) else []
        return options, options, options

    @app.callback(
        Output(L.WHATIF, "data", allow_duplicate=True), Output(L.VALUE, "value", allow_duplicate=True),
        Input(L.SC_LOAD, "n_clicks"), State(L.SC_LIST, "value"), State(L.UNIT, "value"), prevent_initial_call=True,
    )  # fmt: skip
    def load(_n: Any, chosen: Any, unit: Any) -> tuple[Any, Any]:
        with engine.connect() as conn:
            found = scenarios.scenario(conn, chosen)
        if found is None:
            raise PreventUpdate
        value = round(found.threshold_m / WALK_M_PER_MIN, 2) if unit == "min" else round(found.threshold_m)
        return WhatIf(found.added, found.removed).to_store(), value

    @app.callback(
        Output(L.SC_MESSAGE, "children", allow_duplicate=True), Output(L.SC_VERSION, "data", allow_duplicate=True),
        Input(L.SC_DELETE, "n_clicks"), State(L.SC_LIST, "value"), State(L.SC_VERSION, "data"), prevent_initial_call=True,
    )  # fmt: skip
    def delete(_n: Any, chosen: Any, version: Any) -> tuple[Any, Any]:
        with engine.begin() as conn:
            found = scenarios.scenario(conn, chosen)
            if found is None or not scenarios.delete(conn, found.id):
                raise PreventUpdate
            trail.record_in(conn, "scenario.delete", name=found.name, service=found.kind, id=found.id)
        return tr(f"已删除方案「{found.name}」", f"Deleted “{found.name}”"), _next(version)

    def chosen(a: Any, b: Any, on: Any) -> list[Compared]:
        with engine.connect() as conn:
            picked = [s for s in (scenarios.scenario(conn, a), scenarios.scenario(conn, b)) if s is not None]
            if len(picked) < 2 or picked[0].kind != picked[1].kind:
                raise InputError("choose two saved scenarios of the same type (A and B)")
            return compare(conn, cache, picked, on=as_of(on), serving=Serving.of(types.get(picked[0].kind)))

    @app.callback(
        Output(L.SC_RESULT, "children"), Output(L.SC_MESSAGE, "children", allow_duplicate=True),
        Input(L.SC_COMPARE, "n_clicks"), State(L.SC_A, "value"), State(L.SC_B, "value"), State(L.ON, "date"),
        prevent_initial_call=True,
    )  # fmt: skip
    def side_by_side(_n: Any, a: Any, b: Any, on: Any) -> tuple[Any, Any]:
        try:
            found = chosen(a, b, on)
        except InputError as exc:
            return no_update, f"⚠ {exc}"
        return L.comparison(found, streets_side_by_side(found), counted=found[0].view.counted), ""

    @app.callback(
        Output(L.DOWNLOAD, "data", allow_duplicate=True), Output(L.SC_MESSAGE, "children", allow_duplicate=True),
        Input(L.SC_EXPORT, "n_clicks"), State(L.SC_A, "value"), State(L.SC_B, "value"), State(L.ON, "date"),
        prevent_initial_call=True,
    )  # fmt: skip
    def export_comparison(_n: Any, a: Any, b: Any, on: Any) -> tuple[Any, Any]:
        try:
            found = chosen(a, b, on)
        except InputError as exc:
            return no_update, f"⚠ {exc}"
        kind = found[0].scenario.kind
        subject, who, at = types[kind].zh if kind in types else kind, current_user(), dt.datetime.now(BEIJING)
        with engine.connect() as conn:
            heading = heading_of(conn, street=None, period=f"截至 {as_of(on).isoformat()}", by=who.username if who else "—", at=at)  # fmt: skip
        trail.record(
            engine,
            "export",
            what="coverage scenarios",
            service=kind,
            name=" / ".join(c.scenario.name for c in found),
        )
        names = [c.scenario.name for c in found]
        book = scenarios_workbook(
            names, comparison_rows(found), streets_side_by_side(found), heading=heading, subject=subject
        )
        return dcc.send_bytes(book, heading.file_name(f"方案对比-{subject}", "xlsx")), ""


def _next(version: Any) -> int:
    return (version if isinstance(version, int) and not isinstance(version, bool) else 0) + 1


def as_of(value: Any) -> dt.date:
    """The page's 截至 date (today when it sends none; a date the picker cannot make is refused)."""
    if value in (None, ""):
        return beijing_today()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError("截至日期应为 2026-12-05 这样的日期 (a date like 2026-12-05)") from None


def converted(value: Any, *, unit: Any) -> Any:
    """``value`` of the other unit in the new ``unit`` (rounded as a person would type it)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or unit not in ("m", "min"):
        raise PreventUpdate
    return round(value * WALK_M_PER_MIN) if unit == "m" else round(value / WALK_M_PER_MIN, 1)


def circle_value(trigger: Any, clicks: Any, *, unit: Any) -> Any:
    """The threshold a pressed life-circle button sets: its metres, or minutes when the page
    shows minutes (PreventUpdate when no button was pressed: Dash calls this as buttons appear)."""
    metres = trigger.get("m") if isinstance(trigger, dict) else None
    # anything but a number (a list would not even hash) or not a circle's distance: no button
    if not isinstance(metres, int | float) or metres not in {c.high_m for c in LIFE_CIRCLES}:
        raise PreventUpdate
    if not isinstance(clicks, int) or clicks < 1:
        raise PreventUpdate
    return round(metres / WALK_M_PER_MIN, 2) if unit == "min" else round(metres)


def with_sites(what_if: WhatIf, sites: list[tuple[float, float]], *, limit: int) -> dict[str, Any]:
    """The what-if with ``sites`` added (none twice, at most ``limit`` added in all)."""
    added = list(what_if.added)
    for site in sites:
        if site not in added and len(added) < limit:
            added.append(site)
    return WhatIf(tuple(added), what_if.removed).to_store()


def export_summary(v: CoverageView, *, unit: str, what_if: WhatIf) -> str:
    """The threshold in the page's unit, how walks are measured, the share covered, the what-if."""
    basis = "沿步行路网" if v.result.walks.along_network else "直线距离（未加载路网）"
    text = f"{walk_words(v.result.threshold_m, unit=unit)} · {basis} · 按{POPULATIONS[v.counted].zh}计 · 全区覆盖率 {v.result.share:.1%}"
    if what_if != WhatIf():
        text += f" · 含假设：新增 {len(what_if.added)} 处、移除 {len(what_if.removed)} 处"
    return text
