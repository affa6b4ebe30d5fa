"""Service points (服务点位) as the coverage page reads them: the kinds in the data, the points
of one kind, each community's own office (a site where a new point may go), and the units that
have no point of a kind of their own (seed 004's measure: "每个街道、社区、村都有自己的服务点")
with their outlines for the maps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.results import result_frame
from layers.drill import Outline, outlines_of

_KINDS = sa.text("SELECT DISTINCT kind FROM service_point ORDER BY 1")
# serving on :on: opened on or before it (or not known), not closed on or before it
_SERVING = "(p.opened_on IS NULL OR p.opened_on <= :on) AND (p.closed_on IS NULL OR p.closed_on > :on)"
_POINTS = sa.text(
    f"SELECT id, name, ST_X(geom), ST_Y(geom), staff FROM service_point p WHERE kind = :k AND {_SERVING} ORDER BY id"  # noqa: S608 (constants)
)
# one office per community or village: its first point at that level, labelled "point · community"
_OFFICES = sa.text("""
SELECT DISTINCT ON (p.community_id) p.name || ' · ' || c.name, ST_X(p.geom), ST_Y(p.geom)
FROM service_point p JOIN community c ON c.id = p.community_id
WHERE p.level IN ('community', 'village') ORDER BY p.community_id, p.id""")


# current streets without a street-level point of the kind inside them, and current communities
# or villages (by the levels asked) without a community- or village-level point inside them
_WITHOUT = sa.text(f"""
SELECT 'street' AS level, s.id, s.name, s.name AS street FROM street s
WHERE s.valid_to IS NULL AND 'street' = ANY(CAST(:levels AS text[])) AND NOT EXISTS (
  SELECT 1 FROM service_point p WHERE p.kind = :k AND p.level = 'street' AND p.street_id = s.id AND {_SERVING})
UNION ALL
SELECT c.kind, c.id, c.name, s.name FROM community c JOIN street s ON s.id = c.street_id
WHERE c.valid_to IS NULL AND c.kind = ANY(CAST(:levels AS text[])) AND NOT EXISTS (
  SELECT 1 FROM service_point p WHERE p.kind = :k AND p.level IN ('community', 'village') AND p.community_id = c.id
  AND {_SERVING})
ORDER BY 1 DESC, 4, 3""")  # noqa: S608 (constants)


def units_without(conn: Connection, kind: str, *, levels: Sequence[str], on: dt.date) -> pd.DataFrame:
    """The current units at ``levels`` ("street", "community", "village") that have no point of
    ``kind`` of their own serving ``on``: level, id, name, street (streets first, then by street
    and name)."""
    frame = result_frame(conn.execute(_WITHOUT, {"k": kind, "levels": list(levels), "on": on}))
    return frame.set_axis(["level", "id", "name", "street"], axis=1)


@dataclass(frozen=True)
class Unowned:
    """A unit without a point of its own (a row of :func:`units_without`) and its outline."""

    level: str  # "street", "community" or "village"
    street: str  # the street it lies in (a street: itself)
    outline: Outline  # id, code, name, GeoJSON geometry in lon/lat, a point inside it


_TABLE = {"street": "street", "community": "community", "village": "community"}


def unowned_outlines(conn: Connection, missing: pd.DataFrame, *, tolerance_m: float = 8.0) -> list[Unowned]:
    """The outlines of ``missing`` (:func:`units_without`'s rows), in its order: for the maps."""
    tables = [_TABLE[str(level)] for level in missing["level"]]
    found = {
        (table, o.unit_id): o
        for table in ("street", "community")
        for o in outlines_of(
            conn, table, [int(i) for i, t in zip(missing["id"], tables, strict=True) if t == table],
            tolerance_m=tolerance_m,
        )
    }  # fmt: skip
    return [
        Unowned(str(r.level), str(r.street), found[(t, int(r.id))])
        for r, t in zip(missing.itertuples(), tables, strict=True)
        if (t, int(r.id)) in found
    ]


def kinds(conn: Connection) -> list[str]:
    """Every kind of service point in the data, sorted."""
    return [str(k) for k in conn.execute(_KINDS).scalars()]


def points_of(conn: Connection, kind: str, *, on: dt.date) -> pd.DataFrame:
    """The points of ``kind`` serving ``on`` (see ``service_point.opened_on``): id, name, lon,
    lat, staff (NaN: not known) (by id)."""
    frame = result_frame(conn.execute(_POINTS, {"k": kind, "on": on}))
    return frame.set_axis(["id", "name", "lon", "lat", "staff"], axis=1).astype({"staff": float})


def community_offices(conn: Connection) -> list[tuple[str, float, float]]:
    """Each community's office: (label, lon, lat)."""
    return [(str(n), float(x), float(y)) for n, x, y in conn.execute(_OFFICES)]
