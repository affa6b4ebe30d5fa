"""A plan for the teams to take along: an offline HTML map, an Excel workbook and A4 pages.

The map is folium with Leaflet's JS and CSS inlined from ``data/vendor/leaflet`` (no CDN, no
tiles: the street outline and the routes are the map); every name from the data is escaped for
where it lands (``layers/escaping.py``: HTML text, and the tooltips' JavaScript template
literal). The workbook has one sheet per team-day, formula-like cells guarded.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import folium
from openpyxl import Workbook

from layers.escaping import html_text, tooltip
from layers.export_heading import Heading
from layers.offline_map import add_panels, add_roads, offline_map
from layers.plan import Plan, Stop, TeamDay
from layers.workbook import saved, table_sheet

COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
WHY = {"rectification": "整改复查", "pinned": "指定", "due": "到期", "risk": "高风险"}
HEADERS = ("顺序", "对象", "类型", "地址", "原因", "风险分", "距上一站(米)", "结果/签字")
SUMMARY_HEADERS = ("日期", "小组", "站数", "距离(公里)", "预计(小时)")


def title(route: TeamDay) -> str:
    return f"{route.day:%m-%d} 第{route.team}组 team {route.team}"


def _stop_marker(number: int, stop: Stop, colour: str, route: TeamDay) -> folium.Marker:
    label = (  # a tooltip, not a folium Popup: those need jQuery
        f"<b>{html_text(f'{title(route)} · {number}. {stop.name}')}</b><br>"
        f"{html_text(stop.address or '')}<br>{html_text(WHY.get(stop.why, stop.why))} · 风险分 {stop.score:.0f}"
    )
    icon = folium.DivIcon(
        html=f'<div class="stop" style="background:{colour}">{number}</div>', icon_size=(22, 22)
    )
    return folium.Marker((stop.lat, stop.lon), icon=icon, tooltip=tooltip(label))


def plan_html(
    plan: Plan,
    *,
    heading: Heading,
    outline: dict[str, Any] | None = None,
    roads: Mapping[str, dict[str, Any]] | None = None,
) -> str:
    """A standalone HTML page: the street's roads (:func:`layers.basemap.roads_in`), outline, the
    office, numbered stops and route lines per team-day, under a title block and a legend of the
    team-days."""
    name, lon, lat = plan.office
    m = offline_map(
        (lat, lon),
        zoom=15,
        style=".stop{border-radius:50%;color:#fff;font:bold 12px sans-serif;"
        "text-align:center;line-height:22px;width:22px}",
    )
    add_roads(m, roads or {})
    if outline:
        folium.GeoJson(
            outline, style_function=lambda _: {"color": "#555", "weight": 2, "fill": False}
        ).add_to(m)
    folium.CircleMarker(
        (lat, lon), radius=8, color="#000", fill=True, tooltip=tooltip(html_text(f"出发点 {name}"))
    ).add_to(m)
    for i, route in enumerate(plan.routes):
        colour = COLOURS[i % len(COLOURS)]
        folium.PolyLine(
            [(y, x) for x, y in route.line], color=colour, weight=3, tooltip=tooltip(html_text(title(route)))
        ).add_to(m)
        for number, stop in enumerate(route.stops, start=1):
            _stop_marker(number, stop, colour, route).add_to(m)
    legend = [(COLOURS[i % len(COLOURS)], title(r)) for i, r in enumerate(plan.routes)] + [
        ("#000000", "出发点 office")
    ]
    add_panels(m, title=f"巡查计划 {heading.place}", lines=heading.lines(), legend=legend)
    shown = [p for ring in _rings(outline) for p in ring] + [p for r in plan.routes for p in r.line]
    if shown:  # the whole street (and any route leaving it) in view
        lons, lats = [p[0] for p in shown], [p[1] for p in shown]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))])
    return str(m.get_root().render())


def _period(plan: Plan) -> str:
    r = plan.request
    end = r.start + dt.timedelta(days=r.days - 1)
    return f"{r.start.isoformat()} 至 {end.isoformat()}（{r.days} 天 · {r.teams} 组）"


def plan_heading(heading: Heading, plan: Plan) -> Heading:
    """``heading`` with the plan's period."""
    return replace(heading, period=_period(plan))


def plan_workbook(plan: Plan, *, heading: Heading, kinds: Mapping[str, str]) -> bytes:
    """An .xlsx file: a summary sheet, then one sheet per team-day with its stops in order and a
    column for the result; each with the title block, kinds by their Chinese names."""
    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    totals = f"{len(plan.routes)} 个组日 · {sum(len(r.stops) for r in plan.routes)} 站 · {plan.distance_m / 1000:.1f} 公里"
    rows = [(r.day.isoformat(), f"第{r.team}组", len(r.stops), round(r.distance_m / 1000, 1), round(r.minutes / 60, 1)) for r in plan.routes]  # fmt: skip
    table_sheet(summary, title=f"巡查计划 {heading.place}", about=[*heading.lines(), totals],
                headers=SUMMARY_HEADERS, rows=rows, widths=(14, 10, 8, 12, 12), landscape=False)  # fmt: skip
    for route in plan.routes:
        sheet = book.create_sheet(f"{route.day:%m-%d} 第{route.team}组")
        stops = [(n, s.name, kinds.get(s.kind, s.kind), s.address or "", WHY.get(s.why, s.why), round(s.score), round(s.leg_m), "")
                 for n, s in enumerate(route.stops, start=1)]  # fmt: skip
        about = [*heading.lines(), f"出发/返回 {plan.office[0]} · {len(route.stops)} 站 · {route.distance_m / 1000:.1f} 公里 · 约 {route.minutes / 60:.1f} 小时"]  # fmt: skip
        table_sheet(sheet, title=f"巡查路线 {title(route)}", about=about, headers=HEADERS, rows=stops,
                    widths=(6, 30, 12, 36, 10, 8, 12, 18))  # fmt: skip
    return saved(book)


_PRINT_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; font-size: 10.5pt; margin: 0; }
section { page-break-after: always; } section:last-child { page-break-after: auto; }
h2 { font-size: 15pt; margin: 0 0 2mm; } .heading { margin: 0 0 2mm; color: #333; } .heading p { margin: 0; }
table { width: 100%; border-collapse: collapse; } th, td { border: 1px solid #999; padding: 2px 4px; }
thead { display: table-header-group; } tr { page-break-inside: avoid; }
td.sign { width: 25mm; }
svg.route-map { width: 100%; height: 85mm; border: 1px solid #ccc; margin: 0 0 3mm; }
.print-button { position: fixed; top: 8px; right: 8px; font-size: 14px; padding: 4px 12px; }
@media print { .print-button { display: none; } }
"""
_MAP_W, _MAP_H, _PAD = 700.0, 340.0, 14.0


def _projector(points: list[tuple[float, float]]) -> Callable[[float, float], tuple[float, float]]:
    """Lon/lat → SVG units: the points' box fitted into the map, north up, metres kept square."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    west, south, east, north = min(xs), min(ys), max(xs), max(ys)
    squash = math.cos(math.radians((south + north) / 2))
    scale = min(
        (_MAP_W - 2 * _PAD) / max((east - west) * squash, 1e-9),
        (_MAP_H - 2 * _PAD) / max(north - south, 1e-9),
    )
    left = (_MAP_W - (east - west) * squash * scale) / 2
    top = (_MAP_H - (north - south) * scale) / 2
    return lambda lon, lat: (left + (lon - west) * squash * scale, top + (north - lat) * scale)


def _rings(outline: dict[str, Any] | None) -> list[list[tuple[float, float]]]:
    if not outline:
        return []
    polygons = outline["coordinates"] if outline["type"] == "MultiPolygon" else [outline["coordinates"]]
    return [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]


def route_svg(route: TeamDay, *, office: tuple[str, float, float], outline: dict[str, Any] | None, colour: str) -> str:  # fmt: skip
    """The team-day's route as an SVG map for the printed page: the street's outline, the route,
    the office (a square) and the numbered stops. Drawn from the data: no tiles, no network."""
    rings = _rings(outline)
    at = _projector([p for ring in rings for p in ring] + list(route.line) + [(office[1], office[2])])

    def path(points: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(lon, lat) for lon, lat in points))

    parts = [f'<polygon points="{path(r)}" fill="#f4f6f9" stroke="#888" stroke-width="1"/>' for r in rings]
    parts.append(f'<polyline points="{path(route.line)}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
    ox, oy = at(office[1], office[2])
    parts.append(f'<rect x="{ox - 6:.1f}" y="{oy - 6:.1f}" width="12" height="12" fill="#1b263b"/>')
    for n, stop in enumerate(route.stops, start=1):
        x, y = at(stop.lon, stop.lat)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{colour}"/><text x="{x:.1f}" y="{y + 3.5:.1f}" '
                     f'font-size="10" text-anchor="middle" fill="#fff">{n}</text>')  # fmt: skip
    return f'<svg class="route-map" viewBox="0 0 {_MAP_W:.0f} {_MAP_H:.0f}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'


def _print_section(route: TeamDay, *, plan: Plan, heading: Heading, outline: dict[str, Any] | None, colour: str) -> str:  # fmt: skip
    rows = "".join(
        f"<tr><td>{n}</td><td>{html_text(s.name)}</td><td>{html_text(s.address or '')}</td>"
        f"<td>{html_text(WHY.get(s.why, s.why))}</td><td>{s.score:.0f}</td><td class=sign></td></tr>"
        for n, s in enumerate(route.stops, start=1)
    )
    lines = "".join(f"<p>{html_text(line)}</p>" for line in heading.lines())
    office = plan.office[0]
    return (
        f"<section><h2>巡查路线 {html_text(title(route))}</h2><div class=heading>{lines}"
        f"<p>出发/返回 {html_text(office)} · {len(route.stops)} 站 · {route.distance_m / 1000:.1f} 公里 · "
        f"约 {route.minutes / 60:.1f} 小时</p></div>{route_svg(route, office=plan.office, outline=outline, colour=colour)}"
        f"<table><thead><tr><th>顺序</th><th>对象</th><th>地址</th><th>原因</th><th>风险分</th><th>结果/签字</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def plan_print(plan: Plan, *, heading: Heading, outline: dict[str, Any] | None = None) -> str:
    """One A4 page per team-day, each with the title block and its route map (open the file and
    press 打印, or print from the browser)."""
    sections = "".join(
        _print_section(r, plan=plan, heading=heading, outline=outline, colour=COLOURS[i % len(COLOURS)])
        for i, r in enumerate(plan.routes)
    )
    body = sections or "<p>没有安排 (nothing planned)</p>"
    button = '<button class="print-button" onclick="window.print()">打印 Print</button>'
    name = html_text(f"巡查路线 {heading.place}")
    return f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{name}</title><style>{_PRINT_CSS}</style></head><body>{button}{body}</body></html>'
