"""Callbacks: thin wrappers that read the controls, query ``layers`` and update the map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Connection, Engine

from dashboard.auth.current import may_see_street
from dashboard.case_panel import MAP_MARKER, parse_point, with_marker
from dashboard.figure import tile_layers
from dashboard.layout import (
    AS_OF,
    CASE,
    COMPARE,
    DEFAULT_WINDOW,
    LAYERS,
    MAP,
    PRESENT,
    STREET,
    WINDOW,
    WINDOWS,
)
from dashboard.patching import Present, parse_present, patch_layers
from dashboard.views import MapCaches, key_range, range_key, scope_from, shared_map_state, window_from
from layers.registry import HeldIncidents, LayerRegistry
from layers.scope import Scope


def _record(present: object) -> Present | None:
    """The page's record of the figure's layers; None if unreadable (then the map is redrawn)."""
    try:
        return parse_present(present)
    except ValueError:
        return None


def _toggle(
    conn: Connection,
    registry: LayerRegistry,
    layers: list[str],
    scope: Scope,
    window_key: object,
    present: Present,
    held: HeldIncidents | None,
) -> tuple[Any, ...]:
    window, _ = window_from(conn, window_key)
    order = registry.drawing_order(layers)
    patch, now = patch_layers(
        present, order, lambda key: registry[key].traces(conn, scope, window=window, held=held)
    )
    return patch, [list(item) for item in now], no_update


def register_callbacks(
    app: Dash, *, engine: Engine, registry: LayerRegistry, tile_url: str | None, maps: MapCaches
) -> None:
    """Wire the controls to the map; ``engine``, ``registry`` and the shared maps are closed over."""

    @app.callback(
        Output(WINDOW, "value"),
        Output(COMPARE.dates, "start_date"),
        Output(COMPARE.dates, "end_date"),
        Input(WINDOW, "value"),
        Input(COMPARE.dates, "start_date"),
        Input(COMPARE.dates, "end_date"),
        prevent_initial_call=True,
    )
    def one_window(key: Any, start: Any, end: Any) -> tuple[Any, Any, Any]:
        """Days picked become the window (no preset chosen); a preset picked clears the days,
        and so do both days cleared (back to the default)."""
        if ctx.triggered_id == WINDOW:
            if key in WINDOWS and (start or end):
                return no_update, None, None
            raise PreventUpdate
        if not start and not end:
            return (DEFAULT_WINDOW if key_range(key) else no_update), no_update, no_update
        picked = key_range(f"{str(start)[:10]}/{str(end)[:10]}")
        if picked is None:
            raise PreventUpdate  # one end so far
        return range_key(picked.start, picked.end), no_update, no_update

    @app.callback(
        Output(MAP, "figure"),
        Output(PRESENT, "data"),
        Output(AS_OF, "children"),
        Input(LAYERS, "value"),
        Input(STREET, "value"),
        Input(WINDOW, "value"),
        State(PRESENT, "data"),
        State(CASE.point, "data"),
        prevent_initial_call=True,
    )
    def update_map(layers: Sequence[str], street: str, window_key: str, present: Any, case_point: Any) -> tuple[Any, ...]:  # fmt: skip
        try:
            scope = scope_from(street)
        except ValueError:
            raise PreventUpdate from None
        if not scope.is_district and not may_see_street(scope.street_code):
            raise PreventUpdate  # another street's code, sent by hand: a leader's picker lists only theirs
        keys = [str(key) for key in layers or []]
        record = _record(present) if ctx.triggered_id == LAYERS else None
        if record is not None:  # only layers changed: patch them
            with engine.connect() as conn:
                held = maps.held_for(conn, [registry[k] for k in registry.drawing_order(keys)])
                return _toggle(conn, registry, keys, scope, window_key, record, held)
        state = shared_map_state(
            maps, engine, registry, keys=keys, scope=scope, window_key=window_key, tile_url=tile_url
        )
        figure = (
            state.figure
            if parse_point(case_point) is None
            else with_marker(
                state.figure.to_plotly_json(), case_point, colours=MAP_MARKER, base=tile_layers(tile_url)
            )
        )  # the open case's marker drawn again over the new map (a copy: the state is shared)
        return figure, [list(item) for item in state.present], state.as_of
