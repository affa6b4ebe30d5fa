"""Turning PostGIS output into the flat arrays Plotly map traces take."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Lines:
    """Polylines in lon/lat, one after another, separated by NaN (a gap in a Plotly line trace)."""

    lon: FloatArray
    lat: FloatArray


def _paths(geojson: str | None) -> list[list[list[float]]]:
    if not geojson:
        return []
    geom = json.loads(geojson)
    if geom["type"] == "LineString":
        return [geom["coordinates"]]
    if geom["type"] == "MultiLineString":
        return list(geom["coordinates"])
    return []  # an empty geometry comes back as an empty GeometryCollection


def lines_from_geojson(geojsons: Iterable[str | None]) -> Lines:
    """Join (Multi)LineString GeoJSON texts into one NaN-separated pair of arrays."""
    parts: list[FloatArray] = []
    gap = np.full((1, 2), np.nan)
    for path in (p for g in geojsons for p in _paths(g)):
        if parts:
            parts.append(gap)
        parts.append(np.asarray(path, dtype=np.float64)[:, :2])
    if not parts:
        return Lines(lon=np.empty(0), lat=np.empty(0))
    xy = np.concatenate(parts)
    return Lines(lon=xy[:, 0].copy(), lat=xy[:, 1].copy())
