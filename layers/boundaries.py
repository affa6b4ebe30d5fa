"""Current street, community/village and grid boundaries, simplified for display.

Each level comes back as its outline and one label point per area:

- the outline is the boundary linework of all areas in scope, dissolved (an edge shared by two
  areas is drawn once) and simplified in metres (EPSG:4547) before going back to lon/lat, so
  neighbours still meet exactly; Plotly gets it as NaN-separated line arrays;
- the label point is ``ST_PointOnSurface`` (always inside the area, unlike a centroid), with the
  area's code, name and level-specific facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from geo.schema import METRIC_SRID, WGS84, Community, Grid, Street
from layers.geometry import Lines, lines_from_geojson
from layers.scope import Scope

func = sa.func


@dataclass(frozen=True)
class Area:
    """One area's label point, code, name and the level-specific columns in ``attrs``."""

    code: str
    name: str
    lon: float
    lat: float
    attrs: Mapping[str, Any]


@dataclass(frozen=True)
class Boundaries:
    outlines: Lines
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class _Level:
    table: Any  # the mapped class: Street, Community or Grid
    source: FromClause  # the table joined up to ``street`` (scope filters on street.code)
    facts: tuple[Any, ...]  # labelled columns that become ``Area.attrs``


def _where(level: _Level, scope: Scope) -> ColumnElement[bool]:
    return sa.and_(level.table.valid_to.is_(None), scope.clause(Street.code))


def _outline(conn: Connection, level: _Level, scope: Scope, tolerance_m: float) -> Lines:
    edges = func.ST_LineMerge(
        func.ST_Union(func.ST_Boundary(func.ST_Transform(level.table.geom, METRIC_SRID)))
    )
    simple = func.ST_Transform(func.ST_SimplifyPreserveTopology(edges, tolerance_m), WGS84)
    query = sa.select(func.ST_AsGeoJSON(simple, 6)).select_from(level.source).where(_where(level, scope))
    return lines_from_geojson([conn.execute(query).scalar_one()])


def _areas(conn: Connection, level: _Level, scope: Scope) -> tuple[Area, ...]:
    t, point = level.table, func.ST_PointOnSurface(level.table.geom)
    columns = [t.code, t.name, func.ST_X(point).label("lon"), func.ST_Y(point).label("lat"), *level.facts]
    query = sa.select(*columns).select_from(level.source).where(_where(level, scope)).order_by(t.code)
    return tuple(_area(row) for row in conn.execute(query).mappings())


def _area(row: sa.RowMapping) -> Area:
    attrs = {k: v for k, v in row.items() if k not in ("code", "name", "lon", "lat")}
    return Area(code=row["code"], name=row["name"], lon=row["lon"], lat=row["lat"], attrs=attrs)


def _fetch(conn: Connection, level: _Level, scope: Scope, tolerance_m: float) -> Boundaries:
    if tolerance_m < 0:
        raise ValueError("the simplification tolerance cannot be negative")
    return Boundaries(_outline(conn, level, scope, tolerance_m), _areas(conn, level, scope))


def _count(table: Any, parent: ColumnElement[Any], label: str) -> ColumnElement[int]:
    """How many current rows of ``table`` point at ``parent`` (e.g. grids of a community)."""
    return sa.select(func.count()).where(parent, table.valid_to.is_(None)).scalar_subquery().label(label)


def _street_level() -> _Level:
    units = _count(Community, Community.street_id == Street.id, "units")
    return _Level(Street, Street.__table__, (units,))


def _community_level() -> _Level:
    source = sa.join(Community, Street, Street.id == Community.street_id)
    grids = _count(Grid, Grid.community_id == Community.id, "grids")
    return _Level(Community, source, (Community.kind, Street.name.label("street"), grids))


def _grid_level() -> _Level:
    source = sa.join(Grid, Community, Community.id == Grid.community_id).join(
        Street, Street.id == Community.street_id
    )
    facts = (
        Community.name.label("community"),
        Grid.worker_name,
        Grid.worker_phone,
        Grid.households,
        Grid.residents,
        Street.id.label("street_id"),
    )
    return _Level(Grid, source, facts)


def streets(conn: Connection, scope: Scope, *, tolerance_m: float = 20.0) -> Boundaries:
    """Current streets (街道) in scope; ``attrs``: units (communities + villages)."""
    return _fetch(conn, _street_level(), scope, tolerance_m)


def communities(conn: Connection, scope: Scope, *, tolerance_m: float = 10.0) -> Boundaries:
    """Current communities and villages in scope; ``attrs``: kind, street, grids."""
    return _fetch(conn, _community_level(), scope, tolerance_m)


def grids(conn: Connection, scope: Scope, *, tolerance_m: float = 5.0) -> Boundaries:
    """Current grids in scope; ``attrs``: community, worker_name, worker_phone, households,
    residents, street_id."""
    return _fetch(conn, _grid_level(), scope, tolerance_m)


def street_list(conn: Connection, scope: Scope) -> list[tuple[str, str]]:
    """(code, name) of the current streets in scope, by code: for pickers, no geometry."""
    query = sa.select(Street.code, Street.name).where(Street.valid_to.is_(None), scope.clause(Street.code))
    return [(code, name) for code, name in conn.execute(query.order_by(Street.code))]
