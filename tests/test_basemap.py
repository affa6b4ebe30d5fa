"""The district's own base map tiles (issue #20): made by PostGIS from the loaded roads and
buildings, thinned by zoom, empty away from the district, served only to a signed-in session,
and cached. The tile bytes are Mapbox vector tiles: a layer's name and a feature's string values
appear in them as such, which is what is checked (no decoder needed)."""

from __future__ import annotations

import math

import pytest

from dashboard.app import create_app
from layers.basemap import TileCache, road_kinds, tile, valid_tile
from tests.auth import client_for
from tests.sql import all_rows


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@pytest.fixture(scope="module")
def lane(demo):
    """A point on a lane of the demo's network (lon, lat)."""
    return tuple(all_rows(demo, "SELECT ST_X(ST_PointN(geom, 1)), ST_Y(ST_PointN(geom, 1)) FROM road_segment WHERE kind = 'lane' LIMIT 1")[0])  # fmt: skip


def test_tiles_carry_roads_by_zoom_and_buildings_close_up(demo, lane):
    with demo.connect() as conn:
        near = tile(conn, *_tile_of(*lane, 16))
        far = tile(conn, *_tile_of(*lane, 12))
        away = tile(conn, *_tile_of(0.0, 0.0, 16))
    assert b"roads" in near and b"buildings" in near and b"lane" in near
    assert b"roads" in far and b"buildings" not in far and b"lane" not in far
    assert away == b""
    assert road_kinds(12) == ["arterial"] and "lane" in road_kinds(15)
    assert not valid_tile(9, 0, 0) and not valid_tile(14, 2**14, 0) and valid_tile(14, 3, 5)


def test_the_route_serves_a_session_only_and_refuses_made_up_tiles(settings, demo, accounts, lane):
    app = create_app(settings, demo)
    z, x, y = _tile_of(*lane, 16)
    assert client_for(app.server).get(f"/tiles/{z}/{x}/{y}.pbf").status_code == 401
    planner = client_for(app.server, accounts["planner"])
    response = planner.get(f"/tiles/{z}/{x}/{y}.pbf")
    assert response.status_code == 200 and response.mimetype == "application/vnd.mapbox-vector-tile"
    assert b"roads" in response.data
    assert planner.get(f"/tiles/30/{x}/{y}.pbf").status_code == 404
    assert planner.get(f"/tiles/{z}/{2**z}/{y}.pbf").status_code == 404


def test_the_cache_keeps_a_tile_for_its_time_and_drops_the_oldest(demo, lane):
    cache = TileCache(size=2, seconds=3600)
    z, x, y = _tile_of(*lane, 16)
    with demo.connect() as conn:
        first = cache.get(conn, z, x, y)
        assert cache.get(conn, z, x, y) is first  # the same bytes object: not made again
        cache.get(conn, z, x + 1, y)
        cache.get(conn, z, x + 2, y)
        assert cache.get(conn, z, x, y) is not first  # pushed out by two newer tiles, made anew


def test_a_files_roads_are_the_roads_crossing_its_box_one_line_per_kind(demo):
    from shapely.geometry import shape

    from layers.basemap import roads_in

    box = all_rows(demo, "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")[0]  # fmt: skip
    length = dict(
        all_rows(
            demo,
            "SELECT kind, sum(ST_Length(geom)) FROM road_segment WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) GROUP BY kind",
            w=box[0], s=box[1], e=box[2], n=box[3],
        )
    )  # fmt: skip
    with demo.connect() as conn:
        roads = roads_in(conn, tuple(box))
        main = roads_in(conn, tuple(box), kinds=("arterial",))
    assert set(roads) == set(length) and len(length) >= 2 and set(main) == {"arterial"} & set(length)
    for kind, geometry in roads.items():  # every segment, simplified by ~2 m: the length stays
        assert geometry["type"] == "MultiLineString"
        assert shape(geometry).length == pytest.approx(length[kind], rel=0.02), kind
