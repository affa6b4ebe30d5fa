"""A plan for the teams to take along: an offline HTML map, an Excel workbook and A4 pages.

The map is folium with Leaflet's JS and CSS inlined from ``data/vendor/leaflet`` (no CDN, no
tiles: the street outline and the routes are the map); every name from the data is escaped for
where it lands (``layers/escaping.py``: HTML text, and the tooltips' JavaScript template
literal). The workbook has one sheet per team-day, formula-like cells guarded.
"""

from __future__ import annotations

import io
from typing import Any

import folium
from openpyxl import Workbook
from openpyxl.styles import Font

from geo.spreadsheet import guard_cell
from layers.escaping import html_text, tooltip
from layers.offline_map import offline_map
from layers.plan import Plan, Stop, TeamDay

COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
WHY = {"rectification": "整改复查", "pinned": "指定", "due": "到期", "risk": "高风险"}
HEADERS = (
    "顺序 No.",
    "对象 Target",
    "类型 Kind",
    "地址 Address",
    "原因 Why",
    "风险分 Score",
    "距上一站(米) Leg m",
)


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


def plan_html(plan: Plan, *, outline: dict[str, Any] | None = None) -> str:
    """A standalone HTML page: outline, the office, numbered stops and route lines per team-day."""
    name, lon, lat = plan.office
    m = offline_map(
        (lat, lon),
        zoom=15,
        style=".stop{border-radius:50%;color:#fff;font:bold 12px sans-serif;"
        "text-align:center;line-height:22px;width:22px}",
    )
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
    if plan.routes:
        lats = [y for r in plan.routes for _, y in r.line]
        lons = [x for r in plan.routes for x, _ in r.line]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))])
    return str(m.get_root().render())


def plan_workbook(plan: Plan) -> bytes:
    """An .xlsx file: a summary sheet, then one sheet per team-day with its stops in order."""
    book = Workbook()
    summary = book.active
    summary.title = "汇总 Summary"
    summary.append(("日期 Day", "组 Team", "站数 Stops", "距离(米) Metres", "预计(分钟) Minutes"))
    for route in plan.routes:
        summary.append(
            (
                route.day.isoformat(),
                route.team,
                len(route.stops),
                round(route.distance_m),
                round(route.minutes),
            )
        )
        sheet = book.create_sheet(f"{route.day:%m-%d} T{route.team}")
        sheet.append(HEADERS)
        for number, s in enumerate(route.stops, start=1):
            row = (
                number,
                s.name,
                s.kind,
                s.address or "",
                WHY.get(s.why, s.why),
                round(s.score),
                round(s.leg_m),
            )
            sheet.append([guard_cell(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_PRINT_CSS = """
@page { size: A4; margin: 15mm; }
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 11pt; }
section { page-break-after: always; } section:last-child { page-break-after: auto; }
table { width: 100%; border-collapse: collapse; } th, td { border: 1px solid #999; padding: 3px 5px; }
td.sign { width: 25mm; }
"""


def _print_section(route: TeamDay, office: str) -> str:
    rows = "".join(
        f"<tr><td>{n}</td><td>{html_text(s.name)}</td><td>{html_text(s.address or '')}</td>"
        f"<td>{html_text(WHY.get(s.why, s.why))}</td><td>{s.score:.0f}</td><td class=sign></td></tr>"
        for n, s in enumerate(route.stops, start=1)
    )
    return (
        f"<section><h2>排查路线 {html_text(title(route))}</h2>"
        f"<p>出发/返回 {html_text(office)} · {len(route.stops)} 站 · {route.distance_m / 1000:.1f} km · "
        f"约 {route.minutes / 60:.1f} 小时</p><table><tr><th>No.</th><th>对象</th><th>地址</th><th>原因</th>"
        f"<th>风险分</th><th>结果/签字</th></tr>{rows}</table></section>"
    )


def plan_print(plan: Plan) -> str:
    """One A4 page per team-day (print from the browser)."""
    body = (
        "".join(_print_section(r, plan.office[0]) for r in plan.routes) or "<p>没有安排 (nothing planned)</p>"
    )
    return f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>排查路线</title><style>{_PRINT_CSS}</style></head><body>{body}</body></html>'
