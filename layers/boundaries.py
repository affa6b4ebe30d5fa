"""Current street, community/village and grid boundaries, simplified for display.

Simplification runs in metres (EPSG:4547) so one tolerance means the same everywhere, then the
result goes back to lon/lat. Each level returns its outlines as NaN-separated line arrays and
one label point per area (``ST_PointOnSurface``: always inside, unlike a centroid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import sqlalchemy as sa
from plotly.basedatatypes import BaseTraceType
from sqlalchemy.engine import Connection

from layers.geometry import Lines, lines_from_geojson
from layers.hover import hover_row, hover_template
from layers.registry import REGISTRY
from layers.scope import Scope
from layers.window import TimeWindow

# Each query: the simplified outline as boundary lines, a label point inside the area, and
# the caller's scope (all streets when :street_code is NULL).
_STREETS = sa.text("""
SELECT s.code, s.name,
       ST_AsGeoJSON(ST_Transform(ST_Boundary(ST_SimplifyPreserveTopology(
           ST_Transform(s.geom, 4547), :tolerance)), 4326), 6) AS outline,
       ST_X(ST_PointOnSurface(s.geom)) AS lon, ST_Y(ST_PointOnSurface(s.geom)) AS lat,
       (SELECT count(*) FROM community c WHERE c.street_id = s.id AND c.valid_to IS NULL) AS units
FROM street s
WHERE s.valid_to IS NULL
  AND (CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))
ORDER BY s.code""")

_COMMUNITIES = sa.text("""
SELECT c.code, c.name, c.kind, s.name AS street,
       ST_AsGeoJSON(ST_Transform(ST_Boundary(ST_SimplifyPreserveTopology(
           ST_Transform(c.geom, 4547), :tolerance)), 4326), 6) AS outline,
       ST_X(ST_PointOnSurface(c.geom)) AS lon, ST_Y(ST_PointOnSurface(c.geom)) AS lat,
       (SELECT count(*) FROM grid g WHERE g.community_id = c.id AND g.valid_to IS NULL) AS grids
FROM community c JOIN street s ON s.id = c.street_id
WHERE c.valid_to IS NULL
  AND (CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))
ORDER BY c.code""")

_GRIDS = sa.text("""
SELECT g.code, g.name, c.name AS community, g.worker_name, g.worker_phone,
       g.households, g.residents,
       ST_AsGeoJSON(ST_Transform(ST_Boundary(ST_SimplifyPreserveTopology(
           ST_Transform(g.geom, 4547), :tolerance)), 4326), 6) AS outline,
       ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
FROM grid g JOIN community c ON c.id = g.community_id JOIN street s ON s.id = c.street_id
WHERE g.valid_to IS NULL
  AND (CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))
ORDER BY g.code""")

_LABEL_COLUMNS = ("code", "name", "outline", "lon", "lat")


@dataclass(frozen=True)
class Area:
    """One area's label point, code, name and the level-specific columns in ``attrs``."""

    code: str
    name: str
    lon: float
    lat: float
    attrs: Mapping[str, Any]


@dataclass(frozen=True)
class Boundaries:
    outlines: Lines
    areas: tuple[Area, ...]


def _area(row: sa.RowMapping) -> Area:
    attrs = {k: v for k, v in row.items() if k not in _LABEL_COLUMNS}
    return Area(code=row["code"], name=row["name"], lon=row["lon"], lat=row["lat"], attrs=attrs)


def _fetch(conn: Connection, query: sa.TextClause, scope: Scope, tolerance_m: float) -> Boundaries:
    if tolerance_m < 0:
        raise ValueError("the simplification tolerance cannot be negative")
    rows = conn.execute(query, {**scope.params(), "tolerance": tolerance_m}).mappings().all()
    outlines = lines_from_geojson(row["outline"] for row in rows)
    return Boundaries(outlines=outlines, areas=tuple(_area(row) for row in rows))


def streets(conn: Connection, scope: Scope, *, tolerance_m: float = 15.0) -> Boundaries:
    """Current streets (街道) in scope; ``attrs``: units (communities + villages)."""
    return _fetch(conn, _STREETS, scope, tolerance_m)


def communities(conn: Connection, scope: Scope, *, tolerance_m: float = 10.0) -> Boundaries:
    """Current communities and villages in scope; ``attrs``: kind, street, grids."""
    return _fetch(conn, _COMMUNITIES, scope, tolerance_m)


def grids(conn: Connection, scope: Scope, *, tolerance_m: float = 5.0) -> Boundaries:
    """Current grids in scope; ``attrs``: community, worker_name/phone, households, residents."""
    return _fetch(conn, _GRIDS, scope, tolerance_m)


_STREET_LIST = sa.text("""
SELECT s.code, s.name FROM street s
WHERE s.valid_to IS NULL
  AND (CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))
ORDER BY s.code""")


def street_list(conn: Connection, scope: Scope) -> list[tuple[str, str]]:
    """(code, name) of the current streets in scope, by code: for pickers, no geometry."""
    return [(code, name) for code, name in conn.execute(_STREET_LIST, scope.params())]


# --- traces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    name: str
    color: str
    width: float
    marker: float
    text: bool = False  # names written on the map (needs a style that draws glyphs locally)


def _outline_trace(lines: Lines, style: _Style) -> BaseTraceType:
    return go.Scattermap(
        lon=lines.lon.astype(np.float32),
        lat=lines.lat.astype(np.float32),
        mode="lines",
        line={"color": style.color, "width": style.width},
        hoverinfo="skip",
        name=style.name,
        showlegend=False,
    )


def _label_trace(
    areas: Sequence[Area], style: _Style, template: str, rows: list[list[object]]
) -> BaseTraceType:
    return go.Scattermap(
        lon=np.array([a.lon for a in areas], dtype=np.float32),
        lat=np.array([a.lat for a in areas], dtype=np.float32),
        mode="markers+text" if style.text else "markers",
        text=[a.name for a in areas] if style.text else None,  # plain text: MapLibre renders no HTML
        textposition="top center",
        textfont={"size": 15, "color": style.color, "weight": 600},
        marker={"size": style.marker, "color": style.color, "opacity": 0.85},
        customdata=rows,
        hovertemplate=template,
        name=style.name,
        showlegend=False,
    )


_KIND = {"community": "社区", "village": "村"}
_STREET_HOVER = hover_template("街道代码 {}", "社区/村 {} 个")
_COMMUNITY_HOVER = hover_template("{} · {}", "代码 {}", "网格 {} 个")
_GRID_HOVER = hover_template("网格编码 {}", "所属 {}", "网格员 {} {}", "住户 {} 户 · {} 人")


@REGISTRY.layer(key="streets", label_zh="街道", label_en="Streets", z=50)
def street_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    data = streets(conn, scope)
    rows = [hover_row([a.name, a.code, a.attrs["units"]]) for a in data.areas]
    style = _Style("街道", "#1d3557", 2.6, 9, text=True)
    return [_outline_trace(data.outlines, style), _label_trace(data.areas, style, _STREET_HOVER, rows)]


def _community_row(a: Area) -> list[object]:
    kind = _KIND.get(a.attrs["kind"], a.attrs["kind"])
    return hover_row([a.name, kind, a.attrs["street"], a.code, a.attrs["grids"]])


@REGISTRY.layer(key="communities", label_zh="社区/村", label_en="Communities / villages", z=40)
def community_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    data = communities(conn, scope)
    rows = [_community_row(a) for a in data.areas]
    style = _Style("社区/村", "#457b9d", 1.4, 6)
    return [_outline_trace(data.outlines, style), _label_trace(data.areas, style, _COMMUNITY_HOVER, rows)]


def _grid_row(a: Area) -> list[object]:
    at = a.attrs
    people = (at["worker_name"], at["worker_phone"], at["households"], at["residents"])
    return hover_row([a.name, a.code, at["community"], *people])


@REGISTRY.layer(key="grids", label_zh="网格", label_en="Grids", z=30)
def grid_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    data = grids(conn, scope)
    rows = [_grid_row(a) for a in data.areas]
    style = _Style("网格", "#8fb3d0", 0.7, 4)
    return [_outline_trace(data.outlines, style), _label_trace(data.areas, style, _GRID_HOVER, rows)]
