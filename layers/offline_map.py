"""folium maps that open with no network: Leaflet's JS and CSS inlined from ``data/vendor/leaflet``
(no CDN, no jQuery, no Bootstrap, no tiles) and markers that need no image files."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import folium
from branca.element import Element, Figure

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
