"""The map layers the dashboard can show. Each layer module registers its layers here; the UI
(checklist, figure) is built by iterating the registry, never by naming layers one by one."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

import sqlalchemy as sa
from plotly.basedatatypes import BaseTraceType
from sqlalchemy.engine import Connection

from layers.drill import Drill
from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.scope import Scope
from layers.window import TimeWindow

BUILTIN_MODULES = ("layers.boundary_layers", "layers.buildings", "layers.density")


class LayerBuilder(Protocol):
    """Queries the layer for ``scope`` (and ``window``, if it is time-dependent) → traces."""

    def __call__(self, conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]: ...


@dataclass(frozen=True)
class HeldIncidents:
    """The incidents the caller may see as the server already holds them in memory (the wall
    screen's facts, in the caller's row scope) and the district's central latitude: a layer
    that can draw from them needs no query over the incident table."""

    facts: Facts
    latitude: float

    def select(self, conn: Connection, scope: Scope, window: TimeWindow) -> IncidentFilter:
        """The filter for ``scope`` (a street by its code: its current id) and ``window``."""
        return IncidentFilter(drill=drill_of(conn, scope), since=window.since, until=window.until)


def drill_of(conn: Connection, scope: Scope) -> Drill:
    """The drill of ``scope``: the district, or a street by its code (its current id)."""
    if scope.street_code is None:
        return Drill()
    found = conn.execute(_STREET_ID, {"code": scope.street_code}).scalar()
    return Drill("street", -1 if found is None else int(found))  # -1: no such street, no rows


_STREET_ID = sa.text("SELECT id FROM street WHERE code = :code AND valid_to IS NULL")


class HeldBuilder(Protocol):
    """Draws the layer from the held incidents ``f`` selects → traces."""

    def __call__(self, held: HeldIncidents, f: IncidentFilter) -> list[BaseTraceType]: ...


@dataclass(frozen=True)
class MapLayer:
    key: str
    label_zh: str
    label_en: str
    default_on: bool
    z: int  # drawing order: higher is drawn on top and listed first
    build: LayerBuilder
    timeless: bool = False  # built the same for every time window, from boundaries only
    from_held: HeldBuilder | None = None  # the same traces from held incidents, without a query

    def traces(
        self, conn: Connection, scope: Scope, *, window: TimeWindow, held: HeldIncidents | None = None
    ) -> list[BaseTraceType]:
        """The layer's traces: from ``held`` incidents when given and the layer can, else queried."""
        if held is not None and self.from_held is not None:
            return self.from_held(held, held.select(conn, scope, window))
        return self.build(conn, scope, window=window)


class LayerRegistry:
    """Layers by key. Filled at import time by the layer modules, read-only afterwards."""

    def __init__(self) -> None:
        self._layers: dict[str, MapLayer] = {}

    def add(self, layer: MapLayer) -> MapLayer:
        if layer.key in self._layers:
            raise ValueError(f"map layer {layer.key!r} is registered twice")
        self._layers[layer.key] = layer
        return layer

    def layer(
        self,
        *,
        key: str,
        label_zh: str,
        label_en: str,
        z: int,
        default_on: bool = True,
        timeless: bool = False,
    ) -> Callable[[LayerBuilder], LayerBuilder]:
        """Decorator: register the decorated function as the builder of a new layer."""

        def register(build: LayerBuilder) -> LayerBuilder:
            self.add(MapLayer(key, label_zh, label_en, default_on, z, build, timeless))
            return build

        return register

    def held(self, key: str) -> Callable[[HeldBuilder], HeldBuilder]:
        """Decorator: the decorated function draws the registered layer ``key`` from held incidents."""

        def register(build: HeldBuilder) -> HeldBuilder:
            self._layers[key] = replace(self._layers[key], from_held=build)
            return build

        return register

    def __iter__(self) -> Iterator[MapLayer]:
        """Top layer first (the order of a GIS layer list)."""
        return iter(sorted(self._layers.values(), key=lambda layer: -layer.z))

    def __getitem__(self, key: str) -> MapLayer:
        return self._layers[key]

    def keys(self) -> list[str]:
        return [layer.key for layer in self]

    def defaults(self) -> list[str]:
        """Keys of the layers shown when the page opens."""
        return [layer.key for layer in self if layer.default_on]

    def drawing_order(self, keys: list[str]) -> list[str]:
        """``keys`` bottom layer first, unknown keys dropped: the order traces must have."""
        return [layer.key for layer in reversed(list(self)) if layer.key in keys]


REGISTRY = LayerRegistry()


def default_registry() -> LayerRegistry:
    """The registry with every built-in layer module imported (and so registered)."""
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    return REGISTRY
