"""Where the wall screen is looking: the district, one street, one community/village or one grid.

A :class:`Drill` is a level and a unit id; :func:`path` resolves it to the breadcrumb (every
unit from the district down, with names and codes) and :func:`children` to the units one level
down, with their outlines for the map. Only current units (``valid_to IS NULL``) are shown.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers._sql import compose
from layers.units import GRID_NAME

LEVELS = ("district", "street", "community", "grid")
CHILD = {"district": "street", "street": "community", "community": "grid", "grid": None}
# incident column holding each level's id (the district is everything)
INCIDENT_KEY = {"street": "street_id", "community": "community_id", "grid": "grid_id"}


@dataclass(frozen=True)
class Drill:
    level: str = "district"
    unit_id: int | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS or (self.level == "district") != (self.unit_id is None):
            raise ValueError(f"not a place on the map: {self.level} {self.unit_id}")

    @classmethod
    def parse(cls, value: Any) -> Drill:
        """From the page's store (``{"level": .., "id": ..}``); ValueError if malformed."""
        if not isinstance(value, dict):
            return cls()
        level, unit = value.get("level", "district"), value.get("id")
        if unit is not None and not isinstance(unit, int):
            raise ValueError(f"unit id must be a whole number, not {unit!r}")
        return cls(str(level), unit)

    def to_store(self) -> dict[str, Any]:
        return {"level": self.level, "id": self.unit_id}

    @property
    def child_level(self) -> str | None:
        return CHILD[self.level]


@dataclass(frozen=True)
class Unit:
    level: str
    unit_id: int | None
    code: str
    name: str


_PATH = {
    "street": "SELECT 'street', s.id, s.code, s.name FROM street s WHERE s.id = :id",
    "community": """
        SELECT 'street', s.id, s.code, s.name FROM community c JOIN street s ON s.id = c.street_id WHERE c.id = :id
        UNION ALL SELECT 'community', c.id, c.code, c.name FROM community c WHERE c.id = :id""",
    "grid": """
        SELECT 'street', s.id, s.code, s.name FROM grid g JOIN community c ON c.id = g.community_id
            JOIN street s ON s.id = c.street_id WHERE g.id = :id
        UNION ALL SELECT 'community', c.id, c.code, c.name FROM grid g JOIN community c ON c.id = g.community_id
            WHERE g.id = :id
        UNION ALL SELECT 'grid', g.id, g.code, {grid_name} FROM grid g WHERE g.id = :id""",
}


def path(conn: Connection, drill: Drill) -> list[Unit]:
    """The district, then each unit down to ``drill`` (ValueError if the unit does not exist)."""
    district = conn.execute(sa.text("SELECT code, name FROM district WHERE valid_to IS NULL LIMIT 1")).first()
    units = [Unit("district", None, *(district or ("", "")))]
    if drill.unit_id is not None:
        rows = conn.execute(compose(_PATH[drill.level], grid_name=GRID_NAME), {"id": drill.unit_id}).all()
        if len(rows) != LEVELS.index(drill.level):
            raise ValueError(f"no {drill.level} with id {drill.unit_id}")
        units += [Unit(*row) for row in rows]
    return units


_CHILDREN = {
    "street": "SELECT s.id, s.code, s.name, {geo} FROM street s WHERE s.valid_to IS NULL",
    "community": "SELECT c.id, c.code, c.name, {geo} FROM community c "
    "WHERE c.valid_to IS NULL AND c.street_id = :id",
    "grid": "SELECT g.id, g.code, {grid_name}, {geo} FROM grid g WHERE g.valid_to IS NULL AND g.community_id = :id",
}
# simplified in metres, 5 decimals (≈1 m): a few hundred KB for all 1,500 grids at most
# and a point inside each unit for its name (ST_PointOnSurface: inside, unlike a centroid)
_GEO = (
    "ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(ST_Transform({t}.geom, 4547), :tol), 4326), 5), "
    "ST_X(ST_PointOnSurface({t}.geom)), ST_Y(ST_PointOnSurface({t}.geom))"
)


@dataclass(frozen=True)
class Outline:
    unit_id: int
    code: str
    name: str
    geometry: dict[str, Any]  # GeoJSON geometry, parsed once
    lon: float = 0.0  # a point inside the unit, where its name goes
    lat: float = 0.0


def children(conn: Connection, drill: Drill, *, tolerance_m: float = 8.0) -> tuple[str | None, list[Outline]]:
    """The level below ``drill`` and its units' outlines (a grid has none below it: itself)."""
    level = drill.child_level
    query = _CHILDREN[level] if level else _OWN["grid"]  # a grid: show the grid itself
    alias = (level or "grid")[0]
    sql = compose(query, geo=_GEO.format(t=alias), grid_name=GRID_NAME)
    rows = conn.execute(sql, {"id": drill.unit_id, "tol": tolerance_m}).all()
    return level, [_outline(row) for row in rows]


_OWN = {
    "street": "SELECT s.id, s.code, s.name, {geo} FROM street s WHERE s.id = :id",
    "community": "SELECT c.id, c.code, c.name, {geo} FROM community c WHERE c.id = :id",
    "grid": "SELECT g.id, g.code, {grid_name}, {geo} FROM grid g WHERE g.id = :id",
}


def outline_of(conn: Connection, drill: Drill, *, tolerance_m: float = 8.0) -> Outline | None:
    """The outline of the unit ``drill`` shows (none for the district, or a unit that is gone)."""
    if drill.unit_id is None:
        return None
    sql = compose(_OWN[drill.level], geo=_GEO.format(t=drill.level[0]), grid_name=GRID_NAME)
    row = conn.execute(sql, {"id": drill.unit_id, "tol": tolerance_m}).first()
    return _outline(row) if row else None


_AMONG = {
    "street": "SELECT s.id, s.code, s.name, {geo} FROM street s WHERE s.id = ANY(:ids) ORDER BY s.id",
    "community": "SELECT c.id, c.code, c.name, {geo} FROM community c WHERE c.id = ANY(:ids) ORDER BY c.id",
    "grid": "SELECT g.id, g.code, {grid_name}, {geo} FROM grid g WHERE g.id = ANY(:ids) ORDER BY g.id",
}


def outlines_of(
    conn: Connection, level: str, ids: Collection[int], *, tolerance_m: float = 8.0
) -> list[Outline]:
    """The outlines of the units of ``level`` ("street", "community" or "grid") whose ids are
    in ``ids``, by id, in one query (:func:`outline_of` for many; an id that is gone has none)."""
    if not ids:
        return []
    sql = compose(_AMONG[level], geo=_GEO.format(t=level[0]), grid_name=GRID_NAME)
    rows = conn.execute(sql, {"ids": [int(i) for i in ids], "tol": tolerance_m})
    return [_outline(row) for row in rows]


_GRIDS_IN = {
    "district": "WHERE g.valid_to IS NULL",
    "street": "JOIN community c ON c.id = g.community_id WHERE g.valid_to IS NULL AND c.street_id = :id",
    "community": "WHERE g.valid_to IS NULL AND g.community_id = :id",
    "grid": "WHERE g.id = :id",
}


def grids_in(conn: Connection, drill: Drill, *, tolerance_m: float = 8.0) -> list[Outline]:
    """Outlines of the current grids inside ``drill``, for grid choropleths."""
    sql = compose(
        "SELECT g.id, g.code, {grid_name}, {geo} FROM grid g {where} ORDER BY g.id",
        geo=_GEO.format(t="g"),
        where=_GRIDS_IN[drill.level],
        grid_name=GRID_NAME,
    )
    return [_outline(row) for row in conn.execute(sql, {"id": drill.unit_id, "tol": tolerance_m})]


def _outline(row: Any) -> Outline:
    unit_id, code, name, geojson, lon, lat = row
    return Outline(int(unit_id), str(code), str(name), json.loads(geojson), float(lon), float(lat))


_GRID_INFO = sa.text("""
SELECT g.code, g.worker_name, g.worker_phone, g.households, g.residents, c.name, s.name
FROM grid g JOIN community c ON c.id = g.community_id JOIN street s ON s.id = c.street_id
WHERE g.id = :id""")


@dataclass(frozen=True)
class GridInfo:
    code: str
    worker: str | None
    worker_phone: str | None
    households: int
    residents: int
    community: str
    street: str


def grid_info(conn: Connection, grid_id: int) -> GridInfo | None:
    row = conn.execute(_GRID_INFO, {"id": grid_id}).first()
    return None if row is None else GridInfo(*row)


def unit_of_grid(conn: Connection, grid_id: int, level: str) -> int | None:
    """The street or community a grid lies in (for a click on a grid while higher up)."""
    if level == "grid":
        return grid_id
    column = {"community": "c.id", "street": "c.street_id"}[level]
    query = compose(
        "SELECT {c} FROM grid g JOIN community c ON c.id = g.community_id WHERE g.id = :id", c=column
    )
    value = conn.execute(query, {"id": grid_id}).scalar()
    return int(value) if value is not None else None
