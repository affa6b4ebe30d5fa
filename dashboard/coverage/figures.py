"""The coverage map: every building (faint, clickable to add a point there), the uncovered ones,
each point's catchment, the service points (click one to leave it out), what-if points, suggested
sites and the units without a point of their own. Plain Plotly dicts on the offline white style;
names escaped for hover text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from _plotly_utils.utils import to_typed_array_spec
from numpy.typing import NDArray

from dashboard.coverage.layout import LEVEL_NAMES
from dashboard.coverage.views import CoverageView
from dashboard.figure import OFFLINE_STYLE, view_for
from layers.boundaries import Boundaries
from layers.extent import Extent
from layers.hover import esc
from layers.service_points import Unowned

BUILDINGS, UNCOVERED, HULLS, POINTS, ADDED, SUGGESTED = range(6)
WITHOUT_COLOUR = "#d95f02"  # units without a point of their own: a dashed outline, lightly tinted
WITHOUT = "units without"  # the name of their trace (a dot inside each, for hover), drawn last


def _typed(values: Any) -> Any:
    return to_typed_array_spec(np.asarray(values, np.float32))


def _hull_lines(hulls: list[Any]) -> tuple[list[float | None], list[float | None]]:
    lon: list[float | None] = []
    lat: list[float | None] = []
    for hull in hulls:
        ring = shapely.get_coordinates(shapely.get_exterior_ring(hull)) if hull.geom_type == "Polygon" else []
        lon += [float(x) for x, _ in ring] + [None]
        lat += [float(y) for _, y in ring] + [None]
    return lon, lat


def _street_traces(boundaries: Boundaries | None) -> list[dict[str, Any]]:
    """The streets' outlines and names, after the clickable traces (their indexes stay put)."""
    if boundaries is None:
        return []
    areas = boundaries.areas
    return [
        {"type": "scattermap", "mode": "lines", "lon": _typed(boundaries.outlines.lon), "lat": _typed(boundaries.outlines.lat),
         "line": {"color": "#555555", "width": 1.2}, "hoverinfo": "skip", "name": "streets"},
        {"type": "scattermap", "mode": "text", "lon": [a.lon for a in areas], "lat": [a.lat for a in areas],
         "text": [esc(a.name) for a in areas], "textfont": {"color": "#333333", "size": 12},
         "hoverinfo": "skip", "name": "street names"},
    ]  # fmt: skip


def _without_note(unit: Unowned) -> str:
    zh, en = LEVEL_NAMES.get(unit.level, (unit.level, unit.level))
    level = f"{zh} {en} · 无本级服务点 no point of its own"
    return f"{esc(unit.outline.name)}<br>{esc(level)}"


def _without_trace(without: Sequence[Unowned]) -> dict[str, Any]:
    """A dot inside each unit without a point of its own; its hover names the unit and level."""
    return {
        "type": "scattermap", "mode": "markers", "lon": [u.outline.lon for u in without],
        "lat": [u.outline.lat for u in without], "marker": {"size": 8, "color": WITHOUT_COLOUR, "opacity": 0.85},
        "hovertext": [_without_note(u) for u in without], "hoverinfo": "text",
        "customdata": [[u.level, u.outline.unit_id] for u in without], "name": WITHOUT,
    }  # fmt: skip


def _without_layers(without: Sequence[Unowned]) -> list[dict[str, Any]]:
    """The outlines of the units without a point of their own as two map layers, a light tint
    under the traces and a dashed line over them (a trace's line cannot be dashed); always both,
    empty and hidden when there are none (as the case marker's, dashboard/case_panel.py)."""
    source = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": u.outline.geometry, "properties": {"level": u.level, "id": u.outline.unit_id}}
        for u in without
    ]}  # fmt: skip
    shown = bool(without)
    return [
        {"sourcetype": "geojson", "source": source, "type": "fill", "color": WITHOUT_COLOUR, "opacity": 0.12,
         "fill": {"outlinecolor": "rgba(0,0,0,0)"}, "below": "traces", "visible": shown, "name": "units-without-fill"},
        {"sourcetype": "geojson", "source": source, "type": "line", "color": WITHOUT_COLOUR,
         "line": {"width": 2.5, "dash": [3, 2]}, "visible": shown, "name": "units-without-outline"},
    ]  # fmt: skip


def _over(points: Any) -> list[bool]:
    return [bool(v) for v in points["overloaded"]] if "overloaded" in points else [False] * len(points)


def _point_colour(removed: bool, overloaded: bool) -> str:
    return "#aaaaaa" if removed else "#8e24aa" if overloaded else "#1f4e99"


def _point_note(removed: bool, overloaded: bool) -> str:
    return " (已移除 removed)" if removed else " (超负荷 overloaded)" if overloaded else ""


def coverage_figure(
    view: CoverageView,
    *,
    suggested: NDArray[np.float64] | None = None,
    revision: str,
    district: Extent | None = None,
    without: Sequence[Unowned] = (),
) -> dict[str, Any]:
    """The map of ``view``, fitted to its buildings (to ``district`` when there are none), with
    the units ``without`` a point of their own (:func:`layers.service_points.unowned_outlines`)."""
    demand, covered = view.result.demand, view.result.covered
    lon, lat = _hull_lines(view.hulls)
    points = view.points
    traces: list[dict[str, Any]] = [
        {"type": "scattermap", "mode": "markers", "lon": _typed(demand.lonlat[:, 0]), "lat": _typed(demand.lonlat[:, 1]),
         "marker": {"size": 4, "color": "#9fb3c8", "opacity": 0.35}, "hoverinfo": "none", "name": "buildings"},
        {"type": "scattermap", "mode": "markers", "lon": _typed(demand.lonlat[~covered, 0]),
         "lat": _typed(demand.lonlat[~covered, 1]), "marker": {"size": 5, "color": "#d62728"}, "hoverinfo": "none",
         "name": "uncovered"},
        {"type": "scattermap", "mode": "lines", "lon": lon, "lat": lat, "line": {"color": "#1f77b4", "width": 1},
         "hoverinfo": "skip", "name": "catchments"},
        {"type": "scattermap", "mode": "markers", "lon": list(points["lon"]), "lat": list(points["lat"]),
         "marker": {"size": 11, "color": [_point_colour(r, o) for r, o in zip(points["removed"], _over(points), strict=True)]},
         "hovertext": [esc(f"{n}{_point_note(r, o)}") for n, r, o in zip(points["name"], points["removed"], _over(points), strict=True)],
         "hoverinfo": "text", "customdata": [int(i) for i in points["id"]], "name": "points"},
        {"type": "scattermap", "mode": "markers", "lon": list(view.added[:, 0]), "lat": list(view.added[:, 1]),
         "marker": {"size": 13, "color": "#2ca02c"}, "hovertext": ["新增(假设) what-if"] * len(view.added), "hoverinfo": "text",
         "name": "added"},
        {"type": "scattermap", "mode": "markers+text", "lon": [] if suggested is None else list(suggested[:, 0]),
         "lat": [] if suggested is None else list(suggested[:, 1]), "marker": {"size": 15, "color": "#ff7f0e"},
         "text": [] if suggested is None else [str(i + 1) for i in range(len(suggested))], "hoverinfo": "text",
         "hovertext": [] if suggested is None else [f"建议 suggestion {i + 1}" for i in range(len(suggested))],
         "name": "suggested"},
        *_street_traces(view.boundaries),
        _without_trace(without),
    ]  # fmt: skip
    box = Extent(*demand.lonlat.min(axis=0), *demand.lonlat.max(axis=0)) if len(demand.ids) else district
    view_ = view_for(box, size_px=(1000, 700))
    layout = {
        "map": {"style": OFFLINE_STYLE, "center": {"lon": view_.lon, "lat": view_.lat}, "zoom": view_.zoom,
                "layers": _without_layers(without)}, "meta": view_.meta(),
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "showlegend": False, "uirevision": revision, "clickmode": "event",
    }  # fmt: skip
    return {"data": traces, "layout": layout}
