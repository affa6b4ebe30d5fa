"""Coverage gaps and suggested sites for planners to take away: GeoJSON, an Excel workbook and
an offline HTML map (layers/offline_map.py). Names are escaped for where they land
(``layers/escaping.py``); cells guarded for Excel."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from openpyxl import Workbook

from layers.boundaries import Boundaries
from layers.coverage import Coverage
from layers.escaping import html_text, tooltip
from layers.export_heading import Heading
from layers.offline_map import add_panels, add_roads, offline_map
from layers.service_load import Load
from layers.service_points import Unowned
from layers.workbook import saved, table_sheet


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


UNIT_HEADERS = ("名称", "人数", "已覆盖", "步行范围外", "覆盖率(%)")  # people counted: see the summary line
SUGGESTION_HEADERS = ("序号", "建议位置", "经度", "纬度", "新增覆盖居民")
MISSING_HEADERS = ("级别", "名称", "所属街道")
LEVEL_ZH = {"street": "街道", "community": "社区", "village": "村"}


def _unit_rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return [(str(r.name), round(r.residents), round(r.covered), round(r.beyond), round(100 * r.share, 1)) for r in frame.itertuples()]  # fmt: skip


LOAD_HEADERS = ("服务点", "服务人数", "工作人员", "人均负荷", "超负荷")


def coverage_workbook(
    *,
    heading: Heading,
    subject: str,
    summary: str,
    streets: pd.DataFrame,
    communities: pd.DataFrame,
    suggested: Sequence[tuple[float, float, str, float]] = (),
    missing: pd.DataFrame | None = None,
    load: Load | None = None,
) -> bytes:
    """Streets, communities/villages (worst-served first), suggested sites and, for a type every
    unit should have (``missing``: layers.service_points.units_without), the units without their
    own point; each sheet under the title block (``subject``: the service type; ``summary``:
    threshold and share)."""
    book = Workbook()
    about = [*heading.lines(), summary]
    first = book.active
    first.title = "街道"
    table_sheet(first, title=f"服务覆盖 {subject} · 街道", about=about, headers=UNIT_HEADERS, rows=_unit_rows(streets), widths=(24, 12, 14, 16, 12), landscape=False)  # fmt: skip
    table_sheet(book.create_sheet("社区村"), title=f"服务覆盖 {subject} · 社区/村", about=about, headers=UNIT_HEADERS,
                rows=_unit_rows(communities), widths=(30, 12, 14, 16, 12), landscape=False)  # fmt: skip
    sites = [
        (n, name, round(x, 6), round(y, 6), round(gain))
        for n, (x, y, name, gain) in enumerate(suggested, start=1)
    ]
    table_sheet(book.create_sheet("建议点位"), title=f"服务覆盖 {subject} · 建议点位", about=about, headers=SUGGESTION_HEADERS,
                rows=sites, widths=(6, 36, 12, 12, 14), landscape=False)  # fmt: skip
    if missing is not None:
        units = [(LEVEL_ZH.get(r.level, r.level), r.name, r.street) for r in missing.itertuples()]
        table_sheet(book.create_sheet("无本级服务点"), title=f"服务覆盖 {subject} · 没有本级服务点的单位", about=about,
                    headers=MISSING_HEADERS, rows=units, widths=(10, 30, 24), landscape=False)  # fmt: skip
    if load is not None:
        _load_sheet(book, load, title=f"服务覆盖 {subject} · 服务负荷", about=about)
    return saved(book)


def _load_sheet(book: Workbook, load: Load, *, title: str, about: list[str]) -> None:
    limit = "—" if load.limit is None else f"{load.limit:,.0f}"
    rule = (
        f"标准：每名工作人员服务不超过 {limit} 人"
        if load.rule == "norm"
        else f"未设标准：超过同类中位数两倍（{limit} 人）为超负荷"
    )
    rows = [(r.name, round(r.people), None if r.staff != r.staff else int(r.staff),
             None if r.per_staff != r.per_staff else round(r.per_staff), "是" if r.overloaded else "")
            for r in load.table.itertuples()]  # fmt: skip
    table_sheet(book.create_sheet("服务负荷"), title=title, about=[*about, rule], headers=LOAD_HEADERS, rows=rows,
                widths=(36, 12, 12, 12, 10), landscape=False)  # fmt: skip


def _boundary_lines(m: folium.Map, boundaries: Boundaries | None) -> None:
    """Street outlines (one polyline per NaN-separated run) and their names."""
    if boundaries is None:
        return
    lon, lat = boundaries.outlines.lon, boundaries.outlines.lat
    breaks = np.flatnonzero(np.isnan(lon))
    for run_lon, run_lat in zip(np.split(lon, breaks), np.split(lat, breaks), strict=True):
        keep = ~np.isnan(run_lon)
        if keep.sum() >= 2:
            folium.PolyLine(
                list(zip(run_lat[keep], run_lon[keep], strict=True)), color="#555", weight=1.5
            ).add_to(m)
    for area in boundaries.areas:
        label = folium.DivIcon(
            html=f'<div class="area-name">{html_text(area.name)}</div>',
            icon_size=(120, 18),
            icon_anchor=(60, 9),
        )
        folium.Marker((area.lat, area.lon), icon=label).add_to(m)


WITHOUT_LOOK = {
    "color": "#d95f02",
    "weight": 2.5,
    "dashArray": "6 4",
    "fillColor": "#d95f02",
    "fillOpacity": 0.12,
}


def _without_outlines(m: folium.Map, without: Sequence[Unowned]) -> None:
    """The units without a point of their own: a dashed outline, lightly tinted; the tooltip
    names the unit and its level."""
    for unit in without:
        level = f"{LEVEL_ZH.get(unit.level, unit.level)} {unit.level} · 无本级服务点 no point of its own"
        tip = tooltip(f"{html_text(unit.outline.name)}<br>{html_text(level)}")
        folium.GeoJson(unit.outline.geometry, style_function=lambda _: WITHOUT_LOOK, tooltip=tip).add_to(m)


def coverage_html(result: Coverage, points: pd.DataFrame, added: NDArray[np.float64],
                  suggested: Sequence[tuple[float, float, str, float]] = (), *, heading: Heading, subject: str,
                  summary: str, boundaries: Boundaries | None = None, hulls: Sequence[Any] = (),
                  roads: Mapping[str, dict[str, Any]] | None = None, without: Sequence[Unowned] = ()) -> str:  # fmt: skip
    """The district's main roads (:func:`layers.basemap.roads_in`), street outlines, the units
    ``without`` a point of their own (:func:`layers.service_points.unowned_outlines`), catchments,
    service points, what-if points, numbered suggested sites and uncovered buildings on an
    offline map under a title block and a legend, fitted to the district."""
    d = result.demand
    drawn = _drawn(d.lonlat, points, boundaries, without)
    centre = drawn.mean(axis=0) if len(drawn) else np.zeros(2)
    m = offline_map((float(centre[1]), float(centre[0])), zoom=13 if len(drawn) else 1, style=_MAP_CSS)
    add_roads(m, roads or {})
    _boundary_lines(m, boundaries)
    _without_outlines(m, without)
    for hull in hulls:
        ring = [(float(y), float(x)) for x, y in hull.exterior.coords]
        folium.Polygon(ring, color="#1f77b4", weight=1, fill=True, fill_opacity=0.08).add_to(m)
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
        icon = folium.DivIcon(html=f'<div class="site">{n}</div>', icon_size=(20, 20), icon_anchor=(10, 10))
        folium.Marker((y, x), icon=icon, tooltip=tip).add_to(m)
    add_panels(m, title=f"服务覆盖 {subject}", lines=[*heading.lines(), summary], legend=LEGEND)
    if len(drawn):
        (west, south), (east, north) = drawn.min(axis=0), drawn.max(axis=0)
        m.fit_bounds([(float(south), float(west)), (float(north), float(east))])
    return str(m.get_root().render())


def _drawn(
    buildings: NDArray[np.float64],
    points: pd.DataFrame,
    boundaries: Boundaries | None,
    without: Sequence[Unowned],
) -> NDArray[np.float64]:
    """Every (lon, lat) the map draws that frames it: buildings, service points, street outlines
    and the units without a point of their own (a district with no buildings yet is framed by
    what it has; one with nothing drawn shows the world)."""
    parts = [buildings.reshape(-1, 2), points[["lon", "lat"]].to_numpy(float).reshape(-1, 2)]
    if boundaries is not None:
        parts.append(np.column_stack([boundaries.outlines.lon, boundaries.outlines.lat]))
    parts.append(np.array([(u.outline.lon, u.outline.lat) for u in without], float).reshape(-1, 2))
    xy = np.concatenate(parts)
    return xy[np.isfinite(xy).all(axis=1)]


_MAP_CSS = (
    ".site{border-radius:50%;background:#ff7f0e;color:#fff;font:bold 11px sans-serif;text-align:center;"
    "line-height:20px;width:20px}.area-name{color:#444;font:12px sans-serif;text-align:center;white-space:nowrap}"
)
LEGEND = (
    ("#1f4e99", "服务点 service point"),
    ("#aaaaaa", "已移除(假设) removed"),
    ("#2ca02c", "新增(假设) what-if"),
    ("#ff7f0e", "建议点位(编号) suggested"),
    ("#d62728", "步行范围外楼栋 uncovered"),
    ("rgba(31,119,180,.3)", "服务范围 catchment"),
    ("#555555", "街道界线 street"),
    ("#d95f02", "无本级服务点的单位 units without a point of their own"),
)


def scenarios_workbook(
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    streets: pd.DataFrame,
    *,
    heading: Heading,
    subject: str,
) -> bytes:
    """Saved scenarios side by side (``rows``: one per measure) and each street's share in each."""
    book = Workbook()
    about = heading.lines()
    first = book.active
    first.title = "方案对比"
    table_sheet(first, title=f"服务覆盖 {subject} · 方案对比", about=about, headers=("", *names), rows=rows,
                widths=(26, *(24,) * len(names)), landscape=False)  # fmt: skip
    shares = ([r["name"], *(None if r[f"share_{i}"] != r[f"share_{i}"] else round(r[f"share_{i}"] * 100, 1) for i in range(len(names)))]
              for r in streets.to_dict("records"))  # fmt: skip
    table_sheet(book.create_sheet("各街道"), title=f"服务覆盖 {subject} · 各街道覆盖率(%)", about=about,
                headers=("街道", *names), rows=shares, widths=(24, *(16,) * len(names)), landscape=False)  # fmt: skip
    return saved(book)
