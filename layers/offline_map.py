"""folium maps that open with no network: Leaflet's JS and CSS inlined from ``data/vendor/leaflet``
(no CDN, no jQuery, no Bootstrap, no tiles) and markers that need no image files."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

import folium
from branca.element import Element, Figure

from layers.escaping import html_text

VENDOR = Path(__file__).resolve().parent.parent / "data" / "vendor" / "leaflet"


class _OfflineMap(folium.Map):
    """folium.Map without its CDN scripts and styles."""

    default_js = []  # noqa: RUF012 (folium reads these as class attributes)
    default_css = []  # noqa: RUF012


def offline_map(location: tuple[float, float], *, zoom: int, style: str = "") -> folium.Map:
    """A blank folium map (no tiles) at ``location`` (lat, lon), Leaflet inlined, ``style`` CSS added."""
    m = _OfflineMap(location=location, zoom_start=zoom, tiles=None, attribution_control=False)
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    cast(Figure, m.get_root()).header.add_child(
        # markers start with a plain div icon, not Leaflet's default image (a file beside the page)
        Element(
            f"<style>{css}\n{style}</style><script>{js}\n"
            "L.Marker.prototype.options.icon = L.divIcon({className: 'empty'});</script>"
        ),
        index=0,
    )
    return m


# the district's roads under a file's map, lighter and thinner as they get smaller
_ROAD_LOOK = {"arterial": ("#b8c3d1", 3.0), "street": ("#cfd6df", 2.0), "lane": ("#dde2e8", 1.2), "path": ("#e4e8ec", 0.8)}  # fmt: skip


def add_roads(m: folium.Map, roads: Mapping[str, dict[str, object]]) -> None:
    """The roads (:func:`layers.basemap.roads_in`) drawn first, under everything added after."""
    for kind, geometry in roads.items():
        colour, weight = _ROAD_LOOK.get(kind, ("#dde2e8", 1.0))
        look = {"color": colour, "weight": weight, "opacity": 1.0}
        folium.GeoJson(geometry, style_function=lambda _, look=look: look, interactive=False).add_to(m)


_PANEL_CSS = (
    "position:fixed;z-index:1000;background:rgba(255,255,255,.93);border:1px solid #999;border-radius:4px;"
    "padding:6px 10px;font-size:13px;line-height:1.5;font-family:Noto Sans CJK SC,sans-serif;max-width:40%"
)


def add_panels(m: folium.Map, *, title: str, lines: Sequence[str], legend: Sequence[tuple[str, str]]) -> None:
    """A title block (top left: ``title`` and ``lines``) and a legend (bottom left: colour, label)
    over the map; every text escaped here as HTML text."""
    block = f"<b style='font-size:15px'>{html_text(title)}</b>" + "".join(
        f"<br>{html_text(x)}" for x in lines
    )
    keys = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;margin-right:6px;background:{_colour(c)}'>"
        f"</span>{html_text(label)}</div>"
        for c, label in legend
    )
    body = cast(Figure, m.get_root()).html
    body.add_child(Element(f"<div class='gg-title' style='{_PANEL_CSS};top:10px;left:50px'>{block}</div>"))
    if legend:
        body.add_child(
            Element(f"<div class='gg-legend' style='{_PANEL_CSS};bottom:14px;left:10px'>{keys}</div>")
        )


def _colour(value: str) -> str:
    """A CSS colour we wrote (#rrggbb or rgba(...)); anything else is dropped."""
    return value if re.fullmatch(r"#[0-9a-fA-F]{3,8}|rgba?\([0-9., ]+\)", value) else "#999"
