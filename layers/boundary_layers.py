"""Map layers for the hierarchy: streets, communities/villages and grids.

Each is an outline trace (no hover) and a label-point trace whose hover gives the area's code,
name and facts. Street names are also written on the map; that needs the offline map style in
``dashboard.figure`` (MapLibre draws the glyphs from local fonts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from sqlalchemy.engine import Connection

from geo.row_scope import contact_streets
from layers.boundaries import Area, Boundaries, communities, grids, streets
from layers.feeds import mask_phone
from layers.geometry import Lines
from layers.hover import hover_row, hover_template
from layers.registry import REGISTRY
from layers.scope import Scope
from layers.window import TimeWindow

_KIND = {"community": "社区", "village": "村"}
_STREET_HOVER = hover_template("街道代码 {}", "社区/村 {} 个")
_COMMUNITY_HOVER = hover_template("{} · {}", "代码 {}", "网格 {} 个")
_GRID_HOVER = hover_template("网格编码 {}", "所属 {}", "网格员 {} {}", "住户 {} 户 · {} 人")


@dataclass(frozen=True)
class _Style:
    name: str
    color: str
    width: float
    marker: float
    text: bool = False  # write the names on the map


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
        text=[a.name for a in areas] if style.text else None,  # MapLibre draws text, never HTML
        textposition="top center",
        textfont={"size": 15, "color": style.color, "weight": 600},
        marker={"size": style.marker, "color": style.color, "opacity": 0.85},
        customdata=rows,
        hovertemplate=template,
        name=style.name,
        showlegend=False,
    )


def _traces(data: Boundaries, style: _Style, hover: str, rows: list[list[object]]) -> list[BaseTraceType]:
    """A boundary level as two traces: its outlines, and a point per area that names it on hover."""
    return [_outline_trace(data.outlines, style), _label_trace(data.areas, style, hover, rows)]


@REGISTRY.layer(key="streets", label_zh="街道", label_en="Streets", z=50, timeless=True)
def street_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    data = streets(conn, scope)
    rows = [hover_row([a.name, a.code, a.attrs["units"]]) for a in data.areas]
    style = _Style("街道", "#1d3557", 2.6, 9, text=True)
    return _traces(data, style, _STREET_HOVER, rows)


def _community_row(a: Area) -> list[object]:
    kind = _KIND.get(a.attrs["kind"], a.attrs["kind"])
    return hover_row([a.name, kind, a.attrs["street"], a.code, a.attrs["grids"]])


@REGISTRY.layer(key="communities", label_zh="社区/村", label_en="Communities / villages", z=40, timeless=True)
def community_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    data = communities(conn, scope)
    style = _Style("社区/村", "#457b9d", 1.4, 6)
    rows = [_community_row(a) for a in data.areas]
    return _traces(data, style, _COMMUNITY_HOVER, rows)


def _grid_row(a: Area, contacts: frozenset[int] | None) -> list[object]:
    """A grid's hover: its worker's number in full only for an account that manages the grid's
    street (``contacts``, from ``geo/row_scope.contact_streets``), else masked (138****1234)."""
    at = a.attrs
    phone = at["worker_phone"]
    if contacts is not None and at["street_id"] not in contacts:
        phone = mask_phone(phone)
    people = (at["worker_name"], phone, at["households"], at["residents"])
    return hover_row([a.name, a.code, at["community"], *people])


@REGISTRY.layer(key="grids", label_zh="网格", label_en="Grids", z=30, timeless=True)
def grid_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    data = grids(conn, scope)
    style = _Style("网格", "#8fb3d0", 0.7, 4)
    contacts = contact_streets(conn)
    rows = [_grid_row(a, contacts) for a in data.areas]
    return _traces(data, style, _GRID_HOVER, rows)
