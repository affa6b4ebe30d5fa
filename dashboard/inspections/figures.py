"""The plan on a map: street outline, route lines per team-day, numbered stops, the office.

Plain Plotly dicts on the offline white style (dashboard/figure.py). Names are escaped before
they reach hover text (Plotly renders a subset of HTML there).
"""

from __future__ import annotations

import html
from typing import Any

from dashboard.figure import OFFLINE_STYLE, view_for
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


def plan_figure(plan: Plan | None, outline: dict[str, Any] | None) -> dict[str, Any]:
    lon, lat = _rings(outline)
    traces: list[dict[str, Any]] = [{"type": "scattermap", "mode": "lines", "lon": lon, "lat": lat,
                                     "line": {"color": "#666", "width": 2}, "hoverinfo": "skip", "name": "outline", "showlegend": False}]  # fmt: skip
    if plan is not None:
        traces += _route_traces(plan)
        name, x, y = plan.office
        traces.append({"type": "scattermap", "mode": "markers", "lon": [x], "lat": [y], "marker": {"size": 14, "color": "#000"},
                       "hovertext": [html.escape(f"出发点 office: {name}")], "hoverinfo": "text", "name": "office", "showlegend": False})  # fmt: skip
    view = view_for(_box(lon, lat), size_px=(900, 560))
    layout = {
        "map": {"style": OFFLINE_STYLE, "center": {"lon": view.lon, "lat": view.lat}, "zoom": view.zoom},
        "meta": view.meta(),
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": plan is not None and bool(plan.routes),
        "legend": {"x": 0, "y": 1, "bgcolor": "rgba(255,255,255,0.8)"},
    }
    return {"data": traces, "layout": layout}
