"""The lon/lat box a scope covers, for centring the map on it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers.scope import Scope

# The current streets in scope; district-wide, the district outline when no street exists yet.
_EXTENT = sa.text("""
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (
    SELECT COALESCE(
        (SELECT ST_Extent(s.geom)::geometry FROM street s
         WHERE s.valid_to IS NULL
           AND (CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))),
        (SELECT ST_Extent(d.geom)::geometry FROM district d
         WHERE d.valid_to IS NULL AND CAST(:street_code AS text) IS NULL)
    ) AS e
) q""")


@dataclass(frozen=True)
class Extent:
    west: float
    south: float
    east: float
    north: float

    @property
    def center(self) -> tuple[float, float]:
        """(lon, lat) of the box centre."""
        return (self.west + self.east) / 2, (self.south + self.north) / 2


def extent(conn: Connection, scope: Scope) -> Extent | None:
    """The box around the scope's current streets (None when there is nothing to show)."""
    row = conn.execute(_EXTENT, scope.params()).one()
    return None if row[0] is None else Extent(*(float(v) for v in row))


_LATITUDE = sa.text(
    "SELECT coalesce(ST_Y(ST_Centroid(ST_Extent(geom))), 40.0) FROM district WHERE valid_to IS NULL"
)


def central_latitude(conn: Connection) -> float:
    """The latitude of the current district's centre (40° before any district is loaded)."""
    return float(conn.execute(_LATITUDE).scalar_one())
