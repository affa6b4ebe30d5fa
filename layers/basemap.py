"""The district's own base map: its roads and buildings as Mapbox vector tiles, made by PostGIS
(``ST_AsMVT``) from the tables the district loaded, so every map has streets under it with no
outside tile server. Roads thin out as the map zooms out; buildings from zoom 15."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MIN_ZOOM, MAX_ZOOM = 10, 18
_TILE = sa.text("""
WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env, ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.02), 4326) AS box),
roads AS (
    SELECT r.kind, r.name, ST_AsMVTGeom(ST_Transform(r.geom, 3857), b.env, 4096, 64, true) AS geom
    FROM road_segment r, b
    WHERE r.geom && b.box AND (:z >= 15 OR r.kind = ANY(CAST(:kinds AS text[])))
),
buildings AS (
    SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), b.env, 4096, 16, true) AS geom
    FROM building g, b WHERE :z >= 15 AND g.geom && b.box
)
SELECT coalesce((SELECT ST_AsMVT(roads.*, 'roads', 4096, 'geom') FROM roads WHERE geom IS NOT NULL), '')
    || coalesce((SELECT ST_AsMVT(buildings.*, 'buildings', 4096, 'geom') FROM buildings WHERE geom IS NOT NULL), '')
""")


def road_kinds(z: int) -> list[str]:
    """The kinds of road drawn at zoom ``z`` (all of them from 15)."""
    return (
        ["arterial"]
        if z < 13
        else ["arterial", "street"]
        if z < 15
        else ["arterial", "street", "lane", "path"]
    )


def valid_tile(z: int, x: int, y: int) -> bool:
    return MIN_ZOOM <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def tile(conn: Connection, z: int, x: int, y: int) -> bytes:
    """The vector tile z/x/y (empty where the district has nothing)."""
    data = conn.execute(_TILE, {"z": z, "x": x, "y": y, "kinds": road_kinds(z)}).scalar()
    return bytes(data or b"")


class TileCache:
    """Per process: the tiles made lately (at most ``size``, each for ``seconds``; a reload of
    roads or buildings shows within that time)."""

    def __init__(self, *, size: int = 4096, seconds: float = 600.0) -> None:
        self._size, self._seconds = size, seconds
        self._lock = threading.Lock()
        self._tiles: OrderedDict[tuple[int, int, int], tuple[float, bytes]] = OrderedDict()

    def get(self, conn: Connection, z: int, x: int, y: int) -> bytes:
        key, now = (z, x, y), time.monotonic()
        with self._lock:
            held = self._tiles.get(key)
            if held is not None and now - held[0] < self._seconds:
                self._tiles.move_to_end(key)
                return held[1]
        data = tile(conn, z, x, y)
        with self._lock:
            self._tiles[key] = (now, data)
            while len(self._tiles) > self._size:
                self._tiles.popitem(last=False)
        return data


# a file's base map: the roads in a box as one simplified multi-line per kind (segments merged)
_ROADS = sa.text("""
SELECT kind, ST_AsGeoJSON(ST_Multi(ST_Simplify(ST_LineMerge(ST_Collect(geom)), :tolerance)), :decimals) FROM road_segment
WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) AND kind = ANY(CAST(:kinds AS text[]))
GROUP BY kind ORDER BY kind""")
ALL_ROADS = ("arterial", "street", "lane", "path")


def roads_in(
    conn: Connection,
    box: tuple[float, float, float, float],
    *,
    kinds: tuple[str, ...] = ALL_ROADS,
    detail_m: float = 2.0,
) -> dict[str, dict[str, object]]:
    """The roads of ``kinds`` crossing ``box`` (west, south, east, north), as a GeoJSON geometry
    per kind simplified to about ``detail_m`` metres, for maps in exported files (which cannot
    fetch tiles): a street's roads at 2 m, a whole district's main roads at 10 m."""
    w, s, e, n = box
    params = {"w": w, "s": s, "e": e, "n": n, "kinds": list(kinds)}
    params |= {"tolerance": detail_m / 111_000, "decimals": 5 if detail_m < 5 else 4}
    return {str(kind): json.loads(geometry) for kind, geometry in conn.execute(_ROADS, params)}
