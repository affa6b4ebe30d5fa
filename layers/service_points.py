"""Service points (服务点位) as the coverage page reads them: the kinds in the data, the points
of one kind, and each community's own office (a site where a new point may go)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.results import result_frame

_KINDS = sa.text("SELECT DISTINCT kind FROM service_point ORDER BY 1")
_POINTS = sa.text("SELECT id, name, ST_X(geom), ST_Y(geom) FROM service_point WHERE kind = :k ORDER BY id")
# one office per community or village: its first point at that level, labelled "point · community"
_OFFICES = sa.text("""
SELECT DISTINCT ON (p.community_id) p.name || ' · ' || c.name, ST_X(p.geom), ST_Y(p.geom)
FROM service_point p JOIN community c ON c.id = p.community_id
WHERE p.level IN ('community', 'village') ORDER BY p.community_id, p.id""")


def kinds(conn: Connection) -> list[str]:
    """Every kind of service point in the data, sorted."""
    return [str(k) for k in conn.execute(_KINDS).scalars()]


def points_of(conn: Connection, kind: str) -> pd.DataFrame:
    """The points of ``kind``: id, name, lon, lat (by id)."""
    return result_frame(conn.execute(_POINTS, {"k": kind})).set_axis(["id", "name", "lon", "lat"], axis=1)


def community_offices(conn: Connection) -> list[tuple[str, float, float]]:
    """Each community's office: (label, lon, lat)."""
    return [(str(n), float(x), float(y)) for n, x, y in conn.execute(_OFFICES)]
