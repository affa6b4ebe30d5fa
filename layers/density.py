"""Incident density, binned in PostGIS on square cells of a given size in metres.

Cells are laid out in degrees scaled at the district's latitude (a cell of ``cell_m`` metres
north–south and east–west there; a district spans so little latitude that cells stay square to
within a fraction of a percent), so binning is arithmetic on the stored coordinates, with no
projection of every point. Only the occupied cells leave the database (lon/lat of the cell
centre and a count), never the incidents themselves. Incidents marked as duplicates of another
are not counted twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import sqlalchemy as sa
from numpy.typing import NDArray
from plotly.basedatatypes import BaseTraceType
from sqlalchemy.engine import Connection

from geo.results import result_array
from layers.extent import Extent
from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.registry import REGISTRY, HeldIncidents
from layers.scope import Scope
from layers.tally import Counter, Sums
from layers.window import ALL_TIME, TimeWindow

MIN_CELL_M, MAX_CELL_M = 25.0, 5000.0
DEFAULT_CELL_M = 200.0  # the layer map's cells

# metres per degree at latitude φ on the ellipsoid (the usual series): latitude
# 111132.954 − 559.822 cos 2φ + 1.175 cos 4φ, longitude 111412.84 cos φ − 93.5 cos 3φ
_BINNED = """
WITH lat0 AS (
    SELECT radians(coalesce((SELECT ST_Y(ST_Centroid(ST_Extent(geom))) FROM district WHERE valid_to IS NULL), 40.0)) AS f
), k AS (
    SELECT :cell / (111132.954 - 559.822 * cos(2 * f) + 1.175 * cos(4 * f)) AS dy,
           :cell / (111412.84 * cos(f) - 93.5 * cos(3 * f)) AS dx
    FROM lat0
), binned AS (
    SELECT floor(ST_X(i.geom) / k.dx) AS ix, floor(ST_Y(i.geom) / k.dy) AS iy, count(*) AS n
    FROM incident i CROSS JOIN k {join} WHERE {where}
    GROUP BY 1, 2
)
SELECT (ix + 0.5) * k.dx AS lon, (iy + 0.5) * k.dy AS lat, n FROM binned CROSS JOIN k ORDER BY ix, iy"""
_SCOPED = """i.duplicate_of IS NULL
    AND (CAST(:since AS timestamptz) IS NULL OR i.reported_at >= CAST(:since AS timestamptz))
    AND (CAST(:until AS timestamptz) IS NULL OR i.reported_at < CAST(:until AS timestamptz))
    AND (CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))"""
_DENSITY = sa.text(_BINNED.format(join="LEFT JOIN street s ON s.id = i.street_id", where=_SCOPED))

# one table, so max() walks the reported_at index backwards (0.4 ms on 1M incidents; joined to
# street it scanned every row, 220 ms, on every change of the map's window)
_LATEST = sa.text("""
SELECT max(i.reported_at)
FROM incident i
WHERE i.duplicate_of IS NULL
  AND (CAST(:street_code AS text) IS NULL
       OR i.street_id IN (SELECT s.id FROM street s WHERE s.code = CAST(:street_code AS text)))""")


@dataclass(frozen=True)
class Density:
    """Occupied cells: centre lon/lat and the number of incidents in each."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    count: NDArray[np.int64]
    cell_m: float

    @property
    def total(self) -> int:
        return int(self.count.sum())


def _check_cell(cell_m: float) -> None:
    if not MIN_CELL_M <= cell_m <= MAX_CELL_M:
        raise ValueError(f"cell size must be {MIN_CELL_M:g}–{MAX_CELL_M:g} m, not {cell_m:g}")


def _density(conn: Connection, query: sa.TextClause, params: dict[str, Any], cell_m: float) -> Density:
    xyz = result_array(conn.execute(query, {**params, "cell": cell_m}), width=3)
    return Density(lon=xyz[:, 0], lat=xyz[:, 1], count=xyz[:, 2].astype(np.int64), cell_m=cell_m)


def incident_density(
    conn: Connection, scope: Scope, *, window: TimeWindow = ALL_TIME, cell_m: float = DEFAULT_CELL_M
) -> Density:
    """Incidents in scope and window, counted per ``cell_m`` × ``cell_m`` metre cell."""
    _check_cell(cell_m)
    return _density(conn, _DENSITY, {**scope.params(), **window.params()}, cell_m)


def _steps(cell_m: float, lat0: float) -> tuple[float, float]:
    """Degrees of longitude and latitude of a ``cell_m`` metre cell at latitude ``lat0``."""
    phi = np.radians(lat0)
    dy = cell_m / (111132.954 - 559.822 * np.cos(2 * phi) + 1.175 * np.cos(4 * phi))
    dx = cell_m / (111412.84 * np.cos(phi) - 93.5 * np.cos(3 * phi))
    return float(dx), float(dy)


def facts_density(facts: Facts, f: IncidentFilter, *, cell_m: float, lat0: float) -> Density:
    """The incidents ``f`` selects, counted per ``cell_m`` metre cell (laid out as the SQL binning does)."""
    _check_cell(cell_m)
    idx = f.rows(facts)
    dx, dy = _steps(cell_m, lat0)
    ix = np.floor(facts.lon[idx] / dx).astype(np.int64)
    iy = np.floor(facts.lat[idx] / dy).astype(np.int64)
    if not len(ix):
        return Density(lon=np.zeros(0), lat=np.zeros(0), count=np.zeros(0, dtype=np.int64), cell_m=cell_m)
    x0, y0, ny = ix.min(), iy.min(), int(iy.max() - iy.min()) + 1
    counts = np.bincount((ix - x0) * ny + (iy - y0))  # one pass; cells ordered by column, then row
    cell = np.flatnonzero(counts)
    return Density(
        lon=(cell // ny + x0 + 0.5) * dx, lat=(cell % ny + y0 + 0.5) * dy, count=counts[cell], cell_m=cell_m
    )


@dataclass(frozen=True)
class Lattice:
    """The cells of :func:`facts_density` over a box (``x0``, ``y0``: its first cell's column and
    row; ``nx`` × ``ny`` cells), numbered so that a :mod:`layers.tally` counter can keep their
    counts as incidents change; one more bucket counts the incidents off the box."""

    cell_m: float
    dx: float
    dy: float
    x0: int
    y0: int
    nx: int
    ny: int

    @classmethod
    def over(cls, box: Extent, *, cell_m: float, lat0: float, margin: int = 2) -> Lattice:
        _check_cell(cell_m)
        dx, dy = _steps(cell_m, lat0)
        x0, y0 = int(np.floor(box.west / dx)) - margin, int(np.floor(box.south / dy)) - margin
        x1, y1 = int(np.floor(box.east / dx)) + margin, int(np.floor(box.north / dy)) + margin
        return cls(cell_m, dx, dy, x0, y0, x1 - x0 + 1, y1 - y0 + 1)

    def counter(self, f: IncidentFilter) -> Counter:
        """Incidents ``f`` selects (reported up to the clock) per cell of the lattice."""

        def count(facts: Facts, idx: NDArray[np.intp] | None, clock: float) -> Sums:
            idx = f.at_clock(clock).select(facts, idx)
            ix = np.floor(facts.lon[idx] / self.dx).astype(np.int64) - self.x0
            iy = np.floor(facts.lat[idx] / self.dy).astype(np.int64) - self.y0
            on = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
            bucket = np.where(on, ix * self.ny + iy, self.nx * self.ny)
            return {"n": np.bincount(bucket, minlength=self.nx * self.ny + 1).astype(np.float64)}

        return Counter(count, epoch=("heat", f.unclocked(), self))

    def density(self, sums: Sums) -> Density | None:
        """The occupied cells as :func:`facts_density` gives them (None: an incident off the box)."""
        n = np.rint(sums["n"]).astype(np.int64)
        if n[self.nx * self.ny :].any():
            return None
        cell = np.flatnonzero(n[: self.nx * self.ny])
        return Density(
            lon=np.asarray((cell // self.ny + self.x0 + 0.5) * self.dx, np.float64),
            lat=np.asarray((cell % self.ny + self.y0 + 0.5) * self.dy, np.float64),
            count=n[cell],
            cell_m=self.cell_m,
        )


def latest_report(conn: Connection, scope: Scope) -> dt.datetime | None:
    """When the newest incident in scope was reported (None: no incidents)."""
    value = conn.execute(_LATEST, scope.params()).scalar_one()
    return value if isinstance(value, dt.datetime) else None


@REGISTRY.layer(key="density", label_zh="事件密度", label_en="Incident density", z=10)
def density_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    return [_density_trace(incident_density(conn, scope, window=window))]


@REGISTRY.held("density")
def held_density_layer(held: HeldIncidents, f: IncidentFilter) -> list[BaseTraceType]:
    """The same cells from the incidents the server holds (binning 1M of them in numpy takes a
    fraction of the SQL's ~0.3 s, which every map of another window or street paid)."""
    return [_density_trace(facts_density(held.facts, f, cell_m=DEFAULT_CELL_M, lat0=held.latitude))]


def colour_top(counts: NDArray[np.integer]) -> float:
    """The count the colour scale tops out at: the cell count at the 98th percentile (a count some
    cell has, so a few very busy cells do not wash out the rest), at least 1."""
    return float(max(np.percentile(counts, 98, method="higher"), 1)) if len(counts) else 1.0


def _density_trace(data: Density) -> BaseTraceType:
    return go.Densitymap(
        lon=data.lon.astype(np.float32),
        lat=data.lat.astype(np.float32),
        z=data.count.astype(np.int32),
        radius=14,
        zmin=0,
        zmax=colour_top(data.count),
        opacity=0.75,
        colorscale="YlOrRd",
        colorbar={"title": {"text": "事件数/格"}, "thickness": 12, "len": 0.5, "x": 0.99},
        hovertemplate=f"%{{z}} 起事件<extra>{data.cell_m:g} m 格</extra>",
        name="事件密度",
        showlegend=False,
    )
