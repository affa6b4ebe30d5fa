"""``GET /tiles/Z/X/Y.pbf``: the district's base map as vector tiles (layers/basemap.py), behind
the login gate like every other route; drawn under the maps by assets/basemap.js."""

from __future__ import annotations

from flask import Flask, Response, abort
from sqlalchemy.engine import Engine

from layers.basemap import TileCache, valid_tile

MVT = "application/vnd.mapbox-vector-tile"


def install_tiles(server: Flask, *, engine: Engine, cache: TileCache) -> None:
    @server.get("/tiles/<int:z>/<int:x>/<int:y>.pbf")
    def vector_tile(z: int, x: int, y: int) -> Response:
        if not valid_tile(z, x, y):
            abort(404)
        with engine.connect() as conn:
            data = cache.get(conn, z, x, y)
        return Response(data, mimetype=MVT)
