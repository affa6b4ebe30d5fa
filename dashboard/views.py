"""From what the user picked (scope, time window, layers) to what the page shows."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from dash import html
from dash.exceptions import PreventUpdate
from plotly.basedatatypes import BaseTraceType
from sqlalchemy.engine import Connection, Engine

from dashboard.auth.current import current_row_scope, may_see_street
from dashboard.bilingual import tr
from dashboard.compare_menu import comparable, last_days
from dashboard.figure import map_figure, view_for
from dashboard.layout import DEFAULT_WINDOW, DISTRICT, WINDOWS
from dashboard.patching import Present
from dashboard.shared import SharedResults
from geo.boundary_version import boundary_version
from geo.errors import InputError
from layers.density import latest_report
from layers.extent import extent
from layers.incident_filter import IncidentFilter
from layers.registry import HeldIncidents, LayerRegistry, MapLayer, drill_of
from layers.report_period import BEIJING, ReportPeriod
from layers.scope import Scope
from layers.window import ALL_TIME, TimeWindow


@dataclass(frozen=True)
class MapState:
    figure: go.Figure
    present: Present
    as_of: html.Span


def scope_from(value: object) -> Scope:
    """The street picker's value as a scope (raises ValueError for anything but a code)."""
    if value in (None, DISTRICT):
        return Scope.district()
    return Scope.street(str(value))


def range_key(first: dt.date, last: dt.date) -> str:
    """The window key of any days (both included): ``2026-11-01/2026-11-30``."""
    return f"{first.isoformat()}/{last.isoformat()}"


def key_range(key: object) -> ReportPeriod | None:
    """The days of a :func:`range_key` (None for a preset window or anything else)."""
    first, _, last = str(key).partition("/")
    try:
        days = ReportPeriod(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    except (ValueError, InputError):  # not two dates, or out of order
        return None
    return days if comparable(days.start, days.end) else None


def compared_period(conn: Connection, key: object, today: dt.date) -> ReportPeriod | None:
    """What the map's 对比 menu compares: the days picked, or a preset's days to the day of the
    newest incident, where the map's window ends (today without any; 全部: nothing)."""
    picked = key_range(key)
    days = str(key) if str(key) in WINDOWS else DEFAULT_WINDOW
    if picked is not None or days == "all":
        return picked
    latest = latest_report(conn, Scope.district())
    end = today if latest is None else latest.astimezone(BEIJING).date()
    return last_days(int(days), today=end)


def compared_filter(conn: Connection, street: object) -> IncidentFilter:
    """What the map's 对比 menu compares: the street picked (one the account may see), or the
    district."""
    try:
        scope = scope_from(street)
    except ValueError:
        raise PreventUpdate from None
    if not scope.is_district and not may_see_street(scope.street_code):
        raise PreventUpdate
    return IncidentFilter(drill=drill_of(conn, scope))


def window_from(conn: Connection, key: object) -> tuple[TimeWindow, dt.datetime | None]:
    """The picked window: any days picked (Beijing), else the preset's days ending at the newest
    incident in the district: the data's clock, the same for every scope, so 近7天 covers the
    same days in every street."""
    latest = latest_report(conn, Scope.district())
    days_picked = key_range(key)
    if days_picked is not None:
        return TimeWindow(days_picked.since, days_picked.until), latest
    days = str(key) if str(key) in WINDOWS else DEFAULT_WINDOW
    if latest is None or days == "all":
        return ALL_TIME, latest
    return TimeWindow.last_days(int(days), end=latest), latest


def as_of_text(latest: dt.datetime | None) -> html.Span:
    if latest is None:
        return tr("暂无事件数据", "No incidents yet")
    at = f"{latest.astimezone(BEIJING):%Y-%m-%d %H:%M}"
    return tr(f"数据截至 {at}（北京时间）", f"Data as of {at} (Beijing time)")


class LayerCache:
    """Per app: traces of the layers built the same for every time window (the boundaries), per
    scope, kept while the boundaries stay the same and ``SECONDS`` at most (grid workers and
    households, in their hover text, are updated in place). A district's grid outlines are
    ~0.2 s of SQL, asked for by every map that shows them."""

    SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: tuple[tuple[Any, ...], SharedResults] | None = None

    def build(
        self,
        conn: Connection,
        layer: MapLayer,
        scope: Scope,
        window: TimeWindow,
        *,
        held: HeldIncidents | None = None,
    ) -> list[BaseTraceType]:
        if not layer.timeless:
            return layer.traces(conn, scope, window=window, held=held)
        version = boundary_version(conn)
        with self._lock:
            if self._held is None or self._held[0] != version:
                self._held = (version, SharedResults(max_entries=256))
            kept = self._held[1]
        key = (layer.key, scope, current_row_scope().contacts_setting)  # grid workers' numbers
        return kept.get(key, lambda: layer.build(conn, scope, window=window), max_age=self.SECONDS)


def build_layers(
    conn: Connection,
    registry: LayerRegistry,
    keys: list[str],
    scope: Scope,
    window: TimeWindow,
    *,
    kept: LayerCache | None = None,
    held: HeldIncidents | None = None,
) -> tuple[list[BaseTraceType], Present]:
    """Traces of the known layers among ``keys``, bottom first, and how many each has (the
    timeless ones from ``kept``, when given; those that can, from ``held`` incidents)."""
    traces: list[BaseTraceType] = []
    present: Present = []
    for key in registry.drawing_order(keys):
        layer = registry[key]
        built = (
            layer.traces(conn, scope, window=window, held=held)
            if kept is None
            else kept.build(conn, layer, scope, window, held=held)
        )
        traces += built
        present.append((key, len(built)))
    return traces, present


MAP_SECONDS = 10.0  # how long one computed map serves everyone asking for the same one


@dataclass(frozen=True)
class MapCaches:
    """Per app: whole maps, shared for ``MAP_SECONDS``, the timeless layers' traces, and where
    the incidents the server holds come from (None: layers query them)."""

    states: SharedResults = field(default_factory=SharedResults)
    layers: LayerCache = field(default_factory=LayerCache)
    held: Callable[[Connection], HeldIncidents] | None = None

    def held_for(self, conn: Connection, layers: list[MapLayer]) -> HeldIncidents | None:
        """The held incidents, only when one of ``layers`` draws from them (bringing them up to
        date costs a query)."""
        if self.held is None or not any(layer.from_held for layer in layers):
            return None
        return self.held(conn)


def shared_map_state(
    maps: MapCaches,
    engine: Engine,
    registry: LayerRegistry,
    *,
    keys: list[str],
    scope: Scope,
    window_key: object,
    tile_url: str | None,
) -> MapState:
    """:func:`map_state`, computed at most once per ``MAP_SECONDS`` for every user asking for the
    same layers, scope and window in the same row scope (the map reads incidents)."""
    rows = current_row_scope()  # what it may see, and whose grid workers' numbers in full
    key = ("map", rows.setting, rows.contacts_setting, tuple(keys), scope, str(window_key), tile_url)

    def compute() -> MapState:
        with engine.connect() as conn:
            return map_state(
                conn,
                registry,
                keys=keys,
                scope=scope,
                window_key=window_key,
                tile_url=tile_url,
                kept=maps.layers,
                held=maps.held_for(conn, [registry[k] for k in registry.drawing_order(keys)]),
            )

    return maps.states.get(key, compute, max_age=MAP_SECONDS)


def map_state(
    conn: Connection,
    registry: LayerRegistry,
    *,
    keys: list[str],
    scope: Scope,
    window_key: object,
    tile_url: str | None,
    kept: LayerCache | None = None,
    held: HeldIncidents | None = None,
) -> MapState:
    """The full map for a scope and window (used on page load and when either changes)."""
    window, latest = window_from(conn, window_key)
    traces, present = build_layers(conn, registry, keys, scope, window, kept=kept, held=held)
    revision = scope.street_code or DISTRICT
    figure = map_figure(traces, view=view_for(extent(conn, scope)), tile_url=tile_url, revision=revision)
    return MapState(figure=figure, present=present, as_of=as_of_text(latest))
