"""The plan on a map: street outline, route lines per team-day, numbered stops, the office.

Plain Plotly dicts on the offline white style (dashboard/figure.py). Names are escaped before
they reach hover text (Plotly renders a subset of HTML there).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from dashboard.figure import OFFLINE_STYLE, view_for
from layers.drill import Outline
from layers.extent import Extent
from layers.plan import Plan
from layers.plan_export import COLOURS, WHY, title


def _rings(outline: dict[str, Any] | None) -> tuple[list[float | None], list[float | None]]:
    lon: list[float | None] = []
    lat: list[float | None] = []
    if not outline:
        return lon, lat
    polygons = outline["coordinates"] if outline["type"] == "MultiPolygon" else [outline["coordinates"]]
    for polygon in polygons:
        for ring in polygon:
            lon += [p[0] for p in ring] + [None]
            lat += [p[1] for p in ring] + [None]
    return lon, lat


def _box(lon: list[float | None], lat: list[float | None]) -> Extent | None:
    xs, ys = [x for x in lon if x is not None], [y for y in lat if y is not None]
    return Extent(min(xs), min(ys), max(xs), max(ys)) if xs else None


def _route_traces(plan: Plan) -> list[dict[str, Any]]:
    traces = []
    for i, route in enumerate(plan.routes):
        colour = COLOURS[i % len(COLOURS)]
        name = title(route)
        traces.append({"type": "scattermap", "mode": "lines", "lon": [p[0] for p in route.line], "lat": [p[1] for p in route.line],
                       "line": {"color": colour, "width": 3}, "name": name, "hoverinfo": "name", "legendgroup": name})  # fmt: skip
        hover = [
            f"{html.escape(name)} · {n}. {html.escape(s.name)}<br>{html.escape(WHY.get(s.why, s.why))} · 风险分 {s.score:.0f}"
            for n, s in enumerate(route.stops, start=1)
        ]
        stops: dict[str, Any] = {
            "type": "scattermap", "mode": "markers+text", "lon": [s.lon for s in route.stops], "lat": [s.lat for s in route.stops],
            "marker": {"size": 20, "color": colour}, "text": [str(n) for n in range(1, len(route.stops) + 1)],
            "textfont": {"color": "#ffffff", "size": 11}, "hovertext": hover, "hoverinfo": "text", "name": name,
            "customdata": [s.target for s in route.stops], "showlegend": False, "legendgroup": name,
        }  # fmt: skip
        traces.append(stops)
    return traces


FOCUS = 0  # the index of the halo trace: a stop opened from the list or the map (patched)


def focus_trace(lon: float | None = None, lat: float | None = None) -> dict[str, Any]:
    """A ring under one stop, drawn first so the numbered marker stays on top."""
    return {"type": "scattermap", "mode": "markers", "lon": [] if lon is None else [lon], "lat": [] if lat is None else [lat],
            "marker": {"size": 34, "color": "#ffd400", "opacity": 0.9}, "hoverinfo": "skip", "name": "focus", "showlegend": False}  # fmt: skip


def _community_traces(communities: Sequence[Outline]) -> list[dict[str, Any]]:
    lon: list[float | None] = []
    lat: list[float | None] = []
    for c in communities:
        x, y = _rings(c.geometry)
        lon, lat = lon + x, lat + y
    lines = {"type": "scattermap", "mode": "lines", "lon": lon, "lat": lat, "line": {"color": "#9aa7b8", "width": 1},
             "hoverinfo": "skip", "name": "communities", "showlegend": False}  # fmt: skip
    labels = {"type": "scattermap", "mode": "text", "lon": [c.lon for c in communities], "lat": [c.lat for c in communities],
              "text": [html.escape(c.name) for c in communities], "textfont": {"color": "#5c677d", "size": 11},
              "hoverinfo": "skip", "name": "community names", "showlegend": False}  # fmt: skip
    return [lines, labels]


def _targets_trace(register: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Every target of the register, small and grey: the plan's stops are drawn over them."""
    if register is None or register.empty:
        return []
    hover = [
        f"{html.escape(str(n))} · 风险分 {s:.0f}"
        for n, s in zip(register["name"], register["score"], strict=True)
    ]
    return [{"type": "scattermap", "mode": "markers", "lon": register["lon"].tolist(), "lat": register["lat"].tolist(),
             "marker": {"size": 7, "color": "#8a94a6"}, "hovertext": hover, "hoverinfo": "text",
             "customdata": register["id"].astype(int).tolist(), "name": "targets 对象", "showlegend": False}]  # fmt: skip


def _office_trace(office: tuple[str, float, float]) -> dict[str, Any]:
    name, x, y = office
    label = html.escape(f"出发点 {name}")
    return {"type": "scattermap", "mode": "markers+text", "lon": [x], "lat": [y], "marker": {"size": 16, "color": "#1b263b"},
            "text": [label], "textposition": "top center", "textfont": {"color": "#1b263b", "size": 13},
            "hovertext": [html.escape(f"出发点 office: {name}")], "hoverinfo": "text", "name": "office", "showlegend": False}  # fmt: skip


def plan_figure(
    plan: Plan | None,
    outline: dict[str, Any] | None,
    *,
    communities: Sequence[Outline] = (),
    register: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The street's outline and communities, its targets, and the plan's routes, numbered stops
    and office over them (the halo trace first, empty)."""
    lon, lat = _rings(outline)
    traces: list[dict[str, Any]] = [
        focus_trace(),
        *_community_traces(communities),
        {"type": "scattermap", "mode": "lines", "lon": lon, "lat": lat, "line": {"color": "#666", "width": 2},
         "hoverinfo": "skip", "name": "outline", "showlegend": False},
        *_targets_trace(register),
    ]  # fmt: skip
    if plan is not None:
        traces += [*_route_traces(plan), _office_trace(plan.office)]
    view = view_for(_box(lon, lat), size_px=(900, 560))
    layout = {
        "map": {"style": OFFLINE_STYLE, "center": {"lon": view.lon, "lat": view.lat}, "zoom": view.zoom},
        "meta": view.meta(),
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": plan is not None and bool(plan.routes),
        "legend": {"x": 0, "y": 1, "bgcolor": "rgba(255,255,255,0.8)"},
        "uirevision": "plan",
    }
    return {"data": traces, "layout": layout}
