"""The wall screen's figures on a dark, offline map style: pure functions from data to Plotly.

Map traces, bottom to top, always in this order so a refresh can patch them in place:
0 grid choropleth (rate or hotspot class), 1 density heat, 2 the clickable units one level
down (outlines, hover with their numbers), 3 overdue incidents (pulsing), 4 incidents new since
the screen's last figures (pulsing, amber).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from _plotly_utils.utils import to_typed_array_spec
from plotly.colors import get_colorscale

from dashboard.figure import MapView
from dashboard.monitor.i18n import text
from geo.vocabulary import Vocabulary
from layers.density import Density, colour_top
from layers.drill import Outline
from layers.escaping import html_text

FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
BG, PANEL, INK, MUTED = "#0b1220", "#111a2e", "#e6edf7", "#8aa0bf"
DARK_STYLE: dict[str, Any] = {
    "version": 8,
    "sources": {"gridgov-none": {"type": "geojson", "data": {"type": "Point", "coordinates": [0.0, 0.0]}}},
    "layers": [{"id": "bg", "type": "background", "paint": {"background-color": BG}}],
}
GRID, HEAT, UNITS, OVERDUE, NEW = 0, 1, 2, 3, 4
OVERDUE_COLOUR, NEW_COLOUR = "#ff3b3b", "#ffc400"
OVERDUE_OVER_GRIDS = "#f8fafc"  # overdue dots over the rate / hotspot grids (not a class's red)
# pale = few, dark red = many, spelled out: plotly.js's own "YlOrRd" runs the other way round
RATE_SCALE = [[float(at), colour] for at, colour in get_colorscale("YlOrRd")]
HEAT_SCALE = get_colorscale("Inferno")  # the density layer's (dark = few, pale = many)
# hotspot classes → colour positions (cold 99 … hot 99), ColorBrewer RdYlBu reversed
CLASSES = ("cold99", "cold95", "cold90", "", "hot90", "hot95", "hot99")
_CLASS_COLOURS = ("#2c7bb6", "#74add1", "#abd9e9", "#1f2a40", "#fdae61", "#f46d43", "#d7191c")


def _discrete(colours: Sequence[str]) -> list[list[Any]]:
    n = len(colours)
    scale: list[list[Any]] = []
    for k, colour in enumerate(colours):
        scale += [[k / n, colour], [(k + 1) / n, colour]]
    return scale


def feature_collection(outlines: Sequence[Outline]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": str(o.unit_id), "properties": {}, "geometry": o.geometry}
            for o in outlines
        ],
    }


Trace = dict[str, Any]  # map traces are plain dicts: no validation copying every outline per request


def _typed(values: Any, dtype: Any) -> Any:
    """A numeric array as Plotly's base64 typed array (a third of the JSON of a list of numbers)."""
    return to_typed_array_spec(np.asarray(values, dtype=dtype))


def grid_trace(grids: Sequence[Outline], values: pd.DataFrame, *, mode: str, lang: str) -> Trace:
    """Grids coloured by rate per 1,000 residents, or by Gi* class (``values`` indexed by grid id)."""
    ids = [o.unit_id for o in grids]
    table = values.reindex(ids)
    hot = mode == "hotspot"
    z = [CLASSES.index(c) if isinstance(c, str) else 3 for c in table["cluster"]] if hot else table["rate"]
    rates = table["rate"].astype(float)
    return {
        "type": "choroplethmap",
        "name": "grids",
        "geojson": feature_collection(grids),
        "locations": [str(i) for i in ids],
        "z": _typed(np.round(np.asarray(z, float), 2), np.float32),
        "text": [html_text(o.name) for o in grids],  # sent with the places: a patch carries numbers
        "customdata": [[int(n), round(float(r), 1)] for n, r in zip(table["n"].fillna(0), rates.fillna(0), strict=True)],
        "colorscale": _discrete(_CLASS_COLOURS) if hot else RATE_SCALE,
        "zmin": -0.5 if hot else 0,
        "zmax": 6.5 if hot else float(np.nanpercentile(rates, 98)) if len(table) else 1.0,
        "marker": {"line": {"width": 0.3, "color": BG}, "opacity": 0.85},
        "showscale": not hot,
        "colorbar": {"thickness": 10, "len": 0.4, "x": 0.99, "tickfont": {"color": INK},
                     "title": {"text": text(lang, "per_1000"), "font": {"color": INK, "size": 13}}},
        "hovertemplate": "%{text}<br>%{customdata[0]} · %{customdata[1]}‰<extra></extra>",
        "visible": mode in ("rate", "hotspot"),
    }  # fmt: skip


def heat_trace(density: Density, *, visible: bool) -> Trace:
    """The heat layer; hidden, it carries no data (a mode switch sends it again)."""
    keep = slice(None) if visible else slice(0)
    return {
        "type": "densitymap",
        "name": "heat",
        "lon": _typed(density.lon[keep], np.float32),  # float32: ~1 m here, half the bytes
        "lat": _typed(density.lat[keep], np.float32),
        "z": _typed(density.count[keep], np.int32),
        "radius": 16,
        "zmin": 0,
        "zmax": colour_top(density.count),
        "colorscale": HEAT_SCALE,
        "opacity": 0.8,
        "showscale": False,
        "hoverinfo": "skip",
        "visible": visible,
    }


def units_trace(units: Sequence[Outline], labels: Sequence[str]) -> Trace:
    """The units one level down: nearly transparent fill (so they take clicks), bright outline."""
    return {
        "type": "choroplethmap",
        "name": "units",
        "geojson": feature_collection(units),
        "locations": [str(o.unit_id) for o in units],
        "z": [0] * len(units),
        "customdata": list(labels),
        "colorscale": [[0, "rgba(94,234,212,0.03)"], [1, "rgba(94,234,212,0.03)"]],
        "showscale": False,
        "marker": {"line": {"width": 1.6, "color": "#5eead4"}},
        "hovertemplate": "%{customdata}<extra></extra>",
    }


def names_trace(units: Sequence[Outline]) -> Trace:
    """The units' names at a point inside each (text only: the units trace takes the clicks)."""
    return {
        "type": "scattermap",
        "name": "names",
        "mode": "text",
        "lon": [o.lon for o in units],
        "lat": [o.lat for o in units],
        "text": [html_text(o.name) for o in units],
        "textfont": {"color": "#e6edf7", "size": 13},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def overdue_colour(mode: str) -> str:
    """Red over the heat layer; white over grid colours, where red is a hotspot's class."""
    return OVERDUE_COLOUR if mode == "heat" else OVERDUE_OVER_GRIDS


def overdue_trace(points: Sequence[tuple[float, float, str, int]], label: str, *, mode: str) -> Trace:
    """Overdue open incidents; ``customdata`` is the grid, so a click drills towards it (the
    alert list says what each one is). Over grid colours the dots are smaller (they pulse
    between ``meta.pulse`` sizes, assets/monitor.js) so the cells under them stay readable."""
    heat = mode == "heat"
    return {
        "type": "scattermap",
        "name": "overdue",
        "lon": _typed([p[0] for p in points], np.float32),
        "lat": _typed([p[1] for p in points], np.float32),
        "customdata": [p[3] for p in points],  # a plain list: Dash leaves typed arrays out of clickData
        "mode": "markers",
        "marker": {"size": 11 if heat else 7, "color": overdue_colour(mode), "opacity": 0.9},
        "meta": {"pulse": [10, 17] if heat else [6, 9]},
        "hovertemplate": f"{label}<extra></extra>",
    }


def new_trace(points: Sequence[tuple[float, float, str, int]], label: str) -> Trace:
    """Incidents new since the screen's last figures (pulsing, amber: assets/monitor.js)."""
    return {
        "type": "scattermap",
        "name": "new",
        "lon": [p[0] for p in points],
        "lat": [p[1] for p in points],
        "customdata": [p[3] for p in points],  # the grid, as for overdue markers: a click drills
        "mode": "markers",
        "marker": {"size": 12, "color": NEW_COLOUR, "opacity": 0.95},
        "hovertemplate": f"{label}<extra></extra>",
    }


def map_figure(traces: Sequence[Trace], *, view: MapView, revision: str) -> dict[str, Any]:
    layout = {
        "map": {"style": DARK_STYLE, "center": {"lon": view.lon, "lat": view.lat}, "zoom": view.zoom},
        "meta": view.meta(basemap="dark"),
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": BG,
        "showlegend": False,
        "uirevision": revision,
        "font": {"family": FONT, "color": INK},
        "hoverlabel": {"font": {"family": FONT, "size": 16}},
    }
    return {"data": list(traces), "layout": layout}


_TREND_LAYOUT = {
    "barmode": "stack",
    "bargap": 0.1,
    "paper_bgcolor": PANEL,
    "plot_bgcolor": PANEL,
    "margin": {"l": 44, "r": 8, "t": 8, "b": 28},
    "font": {"family": FONT, "color": INK, "size": 14},
    "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 12}},
    "xaxis": {"gridcolor": "#22304d", "type": "date", "tickformat": "%m-%d"},
    "yaxis": {"gridcolor": "#22304d"},
}


def _counts(values: Any) -> Any:
    """Counts in the smallest unsigned type that holds them (as plotly's own figures send them)."""
    return _typed(values, np.min_scalar_type(int(values.max()) if len(values) else 0))


def trend_figure(daily: pd.DataFrame, *, lang: str, vocabulary: Vocabulary) -> dict[str, Any]:
    """Stacked daily bars by category (the vocabulary's order, then any category stored that it no
    longer declares) and a 7-day mean line: the weekly rhythm stays visible.
    Plain figure data with no template, as the map's: plotly's figure objects check every value
    (about 30 ms a view, under load 5 % of the server's time)."""
    days = [str(d) for d in daily.index]
    keys = [k for k in vocabulary.categories if k in daily.columns]
    keys += [k for k in daily.columns if k not in vocabulary.categories]
    bars = [
        {"type": "bar", "x": days, "y": _counts(daily[key].to_numpy()), "name": vocabulary.label(key, lang),
         "marker": {"color": vocabulary.colour(key)}}
        for key in keys
    ]  # fmt: skip
    mean = daily.sum(axis=1).rolling(7, min_periods=1).mean().round(1).to_numpy()
    line = {"type": "scatter", "x": days, "y": _typed(mean, np.float32), "mode": "lines", "line": {"color": INK, "width": 2}, "name": "7d"}  # fmt: skip
    layout = {**_TREND_LAYOUT, "yaxis": count_axis(float(daily.sum(axis=1).max()) if len(daily) else 0.0)}
    return {"data": [*bars, line], "layout": {**layout, "meta": text(lang, "trend")}}


def count_axis(top: float) -> dict[str, Any]:
    """A y axis for counts: whole-number ticks from 0 (plotly's own would tick at 0.5 when the
    tallest bar is a few incidents)."""
    small = {"tickmode": "linear", "tick0": 0, "dtick": 1} if top < 6 else {}
    return {"gridcolor": "#22304d", "rangemode": "tozero", "tickformat": "d", **small}
