"""The map layers the dashboard can show. Each layer module registers its layers here; the UI
(checklist, figure) is built by iterating the registry, never by naming layers one by one."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from plotly.basedatatypes import BaseTraceType
from sqlalchemy.engine import Connection

from layers.scope import Scope
from layers.window import TimeWindow

BUILTIN_MODULES = ("layers.boundary_layers", "layers.buildings", "layers.density")


class LayerBuilder(Protocol):
    """Queries the layer for ``scope`` (and ``window``, if it is time-dependent) → traces."""

    def __call__(self, conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]: ...


@dataclass(frozen=True)
class MapLayer:
    key: str
    label_zh: str
    label_en: str
    default_on: bool
    z: int  # drawing order: higher is drawn on top and listed first
    build: LayerBuilder
    timeless: bool = False  # built the same for every time window, from boundaries only


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
