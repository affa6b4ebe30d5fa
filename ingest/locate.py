"""Which street, community and grid each point lies in, for a whole batch at once.

Current boundaries are read once per job and indexed with shapely STRtrees; a batch of points
is assigned with one vectorised query per level (no row-by-row SQL, no later UPDATE). A large
batch first looks its points up in a label raster of the grids (``_raster.py``): only points
near a grid's edge need the exact test.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
import sqlalchemy as sa
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from geo.boundary_version import boundary_version
from geo.crs import metric_transformer
from ingest import _xy
from ingest._raster import LabelRaster

# level → its parent's id column
_LEVELS = {"street": "district_id", "community": "street_id", "grid": "community_id"}
RASTER_FROM = 20_000  # points in a batch from which the grid raster pays for itself
RASTER_CELL = 0.0001  # degrees, about 9 × 11 m in northern China


def _plain_points(geoms: _xy.Geoms) -> bool:
    """All non-empty points (so their coordinates line up with them)."""
    return bool((shapely.get_type_id(geoms) == 0).all() and not shapely.is_empty(geoms).any())


@dataclass(frozen=True)
class _Level:
    ids: NDArray[np.int64]  # sorted
    parent: NDArray[np.int64]
    tree: shapely.STRtree


def _read_level(conn: Connection, table: str, parent: str) -> _Level:
    query = (
        sa.select(sa.column("id"), sa.column(parent), sa.func.ST_AsBinary(sa.column("geom")))
        .select_from(sa.table(table))
        .where(sa.column("valid_to").is_(None))
        .order_by(sa.column("id"))
    )
    rows = conn.execute(query).all()
    geoms = shapely.from_wkb([bytes(g) for *_, g in rows]) if rows else np.array([], dtype=object)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return _Level(ids, np.array([r[1] for r in rows], dtype=np.int64), shapely.STRtree(geoms))


@dataclass(frozen=True)
class Locator:
    district: BaseGeometry | None  # WGS-84 outline; None before boundaries are loaded
    levels: dict[str, _Level]

    @classmethod
    def load(cls, conn: Connection) -> Locator:
        outline = conn.execute(
            sa.text("SELECT ST_AsBinary(ST_Union(geom)) FROM district WHERE valid_to IS NULL")
        ).scalar()
        district = shapely.from_wkb(bytes(outline)) if outline is not None else None
        if district is not None:
            shapely.prepare(district)
        levels = {table: _read_level(conn, table, parent) for table, parent in _LEVELS.items()}
        return cls(district, levels)

    @cached_property
    def grid_raster(self) -> LabelRaster:
        """Built on first use (about 0.15 s for 1,500 grids), kept for the job."""
        return LabelRaster.over(self.levels["grid"].tree, cell=RASTER_CELL)

    def assign(self, points: _xy.Geoms) -> dict[str, NDArray[np.float64]]:
        """``street_id``, ``community_id``, ``grid_id`` per point (NaN where none contains it).

        Points are shapely points or x + y·i numbers. Grids first; a point in a grid takes that
        grid's community and street, so the slower community and street lookups only run for
        points outside every grid.
        """
        out = {f"{t}_id": np.full(len(points), np.nan) for t in _LEVELS}
        todo = np.arange(len(points))
        xy = _xy.is_xy(points) or _plain_points(points)
        if len(points) >= RASTER_FROM and len(self.levels["grid"].ids) and xy:
            todo = self._from_raster(_coordinates(points), out)
        exact = _xy.points(points[todo]) if _xy.is_xy(points) else points[todo]
        for table in ("grid", "community", "street"):
            level = self.levels[table]
            hit_point, hit_poly = level.tree.query(exact, predicate="within") if len(level.ids) else ([], [])
            hit = np.asarray(hit_point, dtype=np.int64)
            rows, polys = todo[hit], np.asarray(hit_poly, dtype=np.int64)
            out[f"{table}_id"][rows] = level.ids[polys]
            self._fill_parents(out, table, rows, level.parent[polys])
            left = np.isnan(out[f"{table}_id"][todo])
            todo, exact = todo[left], exact[left]
        return out

    def _from_raster(self, xy: NDArray[np.float64], out: dict[str, NDArray[np.float64]]) -> NDArray[np.int64]:
        """Fill the points the raster places in a grid; the rest (indices) still need the trees."""
        found = self.grid_raster.lookup(xy[:, 0], xy[:, 1])
        rows = np.flatnonzero(found >= 0)
        level = self.levels["grid"]
        out["grid_id"][rows] = level.ids[found[rows]]
        self._fill_parents(out, "grid", rows, level.parent[found[rows]])
        return np.flatnonzero(found < 0)  # near an edge, off the raster, or in no grid

    def _fill_parents(
        self,
        out: dict[str, NDArray[np.float64]],
        table: str,
        rows: NDArray[np.int64],
        parent: NDArray[np.int64],
    ) -> None:
        if table == "grid":
            out["community_id"][rows] = parent
            street = self.levels["community"]
            out["street_id"][rows] = street.parent[np.searchsorted(street.ids, parent)]
        elif table == "community":
            out["street_id"][rows] = parent

    def outside(self, points: _xy.Geoms) -> NDArray[np.float64]:
        """Distance in metres from each point (shapely, or x + y·i) to the district (0 inside;
        NaN with no district)."""
        if self.district is None:
            return np.full(len(points), np.nan)
        if _xy.is_xy(points) or _plain_points(points):  # a prepared test on their coordinates
            xy = _coordinates(points)
            inside = shapely.contains_xy(self.district, xy[:, 0], xy[:, 1])
        else:
            inside = shapely.contains(self.district, points)
        dist = np.zeros(len(points))
        if (~inside).any():
            away = _xy.points(points[~inside]) if _xy.is_xy(points) else points[~inside]
            t = metric_transformer()
            to_m = lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))  # noqa: E731
            with np.errstate(invalid="ignore"):  # points a world away project to inf
                metres = shapely.distance(
                    shapely.transform(self.district, to_m), shapely.transform(away, to_m)
                )
            dist[~inside] = np.where(np.isnan(metres), np.inf, metres)  # far, not inside
        return dist


def _coordinates(points: _xy.Geoms) -> NDArray[np.float64]:
    """(n, 2) coordinates of x + y·i numbers or plain shapely points."""
    if _xy.is_xy(points):
        return np.column_stack([points.real, points.imag])
    return shapely.get_coordinates(points)


class LocatorCache:
    """A :class:`Locator` per boundary version, kept by a process that runs many small jobs (the
    intake API: reading and indexing every boundary took longer than placing a batch of 50).
    Called in the job's transaction, so the locator matches the boundaries that job sees."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: tuple[Hashable, Locator] | None = None

    def __call__(self, conn: Connection) -> Locator:
        version = boundary_version(conn)
        with self._lock:
            held = self._held
        if held is not None and held[0] == version:
            return held[1]
        locator = Locator.load(conn)
        with self._lock:
            self._held = (version, locator)
        return locator
