"""The Plotly map figure: MapLibre traces on a blank style, so nothing loads from the internet.

Plotly's built-in ``"white-bg"`` style names a public glyph server (fonts.openmaptiles.org), which
MapLibre asks for as soon as a trace writes text on the map. :data:`OFFLINE_STYLE` is the same
white background with no ``glyphs`` URL, and MapLibre then draws every label glyph itself from
the browser's local fonts. An optional raster tile layer (``GRIDGOV_TILE_URL``) goes under the
traces when configured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from layers.extent import Extent

# With nothing to fit (no district loaded yet): all of China, WGS-84. Pages fit the loaded
# district's or street's boundaries otherwise (layers/extent.py, layers/identity.py).
DEFAULT_CENTER = (104.2, 35.9)
DEFAULT_ZOOM = 3.0
_MAP_PX = (1600, 1000)  # the map's typical size on a 1920×1080 screen, for fitting a scope
_TILE_PX = 512  # MapLibre's world is 512 px wide at zoom 0

OFFLINE_STYLE: dict[str, Any] = {
    "version": 8,
    "id": "white-bg",
    "name": "white-bg (offline glyphs)",
    # Plotly prunes empty objects from the layout when it updates a figure, and MapLibre then
    # rejects a style without "sources": so the style names one (unused) source.
    "sources": {"gridgov-none": {"type": "geojson", "data": {"type": "Point", "coordinates": [0.0, 0.0]}}},
    "layers": [{"id": "white-bg", "type": "background", "paint": {"background-color": "#FFFFFF"}}],
}


@dataclass(frozen=True)
class MapView:
    """Where a map opens: centre and zoom for an assumed size, and the box it shows (``box``),
    which the browser fits at the map's real size (``assets/mapfit.js``)."""

    lon: float
    lat: float
    zoom: float
    box: Extent | None = None

    def meta(self, *, basemap: str = "light") -> dict[str, Any]:
        """The figure layout's ``meta``: the box for the browser to fit (none: nothing to fit),
        and the look of the district's own base map under the traces (assets/basemap.js)."""
        b = self.box
        fit = {} if b is None else {"fit": [b.west, b.south, b.east, b.north]}
        return {**fit, "basemap": basemap}


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def view_for(box: Extent | None, *, size_px: tuple[int, int] = _MAP_PX) -> MapView:
    """Centre and zoom that fit ``box`` in a map of ``size_px`` (a default view without one)."""
    if box is None:
        return MapView(*DEFAULT_CENTER, DEFAULT_ZOOM)
    width = max(box.east - box.west, 1e-6) / 360.0
    height = max(_mercator_y(box.north) - _mercator_y(box.south), 1e-8) / (2 * math.pi)
    zoom = min(math.log2(size_px[0] / _TILE_PX / width), math.log2(size_px[1] / _TILE_PX / height))
    return MapView(*box.center, zoom=round(min(zoom, 17.0) - 0.05, 2), box=box)


def tile_layers(tile_url: str | None) -> list[dict[str, Any]]:
    """The configured raster base map under the traces, or nothing."""
    if not tile_url:
        return []
    return [{"sourcetype": "raster", "source": [tile_url], "below": "traces", "opacity": 0.8}]


def detached(traces: Sequence[BaseTraceType]) -> list[dict[str, Any]]:
    """Copies of ``traces`` to build a figure from. Handing plotly the trace objects themselves
    is not safe when they are shared (kept in a cache for every request): ``go.Figure`` takes
    each one's ``type`` out of its properties while it builds, then adopts it as its own, so a
    request building another figure at the same moment met a trace without a type (400s under
    load, from /map)."""
    return [trace.to_plotly_json() for trace in traces]


def map_figure(
    traces: Sequence[BaseTraceType], *, view: MapView, tile_url: str | None, revision: str
) -> go.Figure:
    """The map: ``traces`` on a white MapLibre style; ``revision`` keeps the user's pan/zoom
    while layers are toggled and resets it when it changes (a new scope)."""
    fig = go.Figure(data=detached(traces))
    fig.update_layout(
        template="none",
        map={
            "style": OFFLINE_STYLE,
            "center": {"lon": view.lon, "lat": view.lat},
            "zoom": view.zoom,
            "layers": tile_layers(tile_url),
        },
        meta=view.meta(),
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        uirevision=revision,
        hoverlabel={"font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"}},
        font={"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"},
    )
    return fig
