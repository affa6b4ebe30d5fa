"""Coverage gaps and suggested sites for planners to take away: GeoJSON, an Excel workbook and
an offline HTML map (layers/offline_map.py). Names are escaped for where they land
(``layers/escaping.py``); cells guarded for Excel."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import folium
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.spreadsheet import guard_formulas
from layers.coverage import Coverage
from layers.escaping import html_text, tooltip
from layers.offline_map import offline_map


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def gaps_geojson(result: Coverage, suggested: Sequence[tuple[float, float, str, float]] = ()) -> str:
    """Uncovered buildings (with residents and walk) and suggested sites (with their gain)."""
    d, gap = result.demand, ~result.covered
    walks = [None if not np.isfinite(w) else round(float(w)) for w in result.walks.metres[gap]]
    features = [
        _point(
            float(x), float(y), {"kind": "uncovered", "building": int(b), "residents": float(r), "walk_m": w}
        )
        for (x, y), b, r, w in zip(d.lonlat[gap], d.ids[gap], d.residents[gap], walks, strict=True)
    ]
    features += [
        _point(x, y, {"kind": "suggested", "site": name, "gain_residents": gain})
        for x, y, name, gain in suggested
    ]
    meta = {
        "threshold_m": result.threshold_m,
        "along_network": result.walks.along_network,
        "covered_share": result.share,
    }
    return json.dumps(
        {"type": "FeatureCollection", "features": features, "gridgov": meta}, ensure_ascii=False
    )


def gaps_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            guard_formulas(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return out.getvalue()


def coverage_html(result: Coverage, points: pd.DataFrame, added: NDArray[np.float64],
                  suggested: Sequence[tuple[float, float, str, float]] = ()) -> str:  # fmt: skip
    """Service points, what-if points, suggested sites and uncovered buildings on an offline map."""
    d = result.demand
    centre = d.lonlat.mean(axis=0) if len(d.ids) else np.array([113.3, 40.08])
    m = offline_map((float(centre[1]), float(centre[0])), zoom=13)
    for (x, y), r in zip(d.lonlat[~result.covered], d.residents[~result.covered], strict=True):
        folium.CircleMarker(
            (y, x), radius=2, color="#d62728", tooltip=tooltip(f"{r:.0f} 人 residents")
        ).add_to(m)
    for row in points.itertuples():
        colour = "#aaaaaa" if row.removed else "#1f4e99"
        folium.CircleMarker(
            (row.lat, row.lon), radius=6, color=colour, fill=True, tooltip=tooltip(html_text(row.name))
        ).add_to(m)
    for x, y in added:
        folium.CircleMarker(
            (y, x), radius=7, color="#2ca02c", fill=True, tooltip=tooltip("新增(假设) what-if")
        ).add_to(m)
    for n, (x, y, name, gain) in enumerate(suggested, start=1):
        tip = tooltip(html_text(f"建议 {n}: {name} (+{gain:.0f} 人)"))
        folium.CircleMarker((y, x), radius=8, color="#ff7f0e", fill=True, tooltip=tip).add_to(m)
    return str(m.get_root().render())
