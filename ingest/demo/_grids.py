"""Synthetic grids (网格): a few hundred households each, tiling their community or village.

Buildings of a unit are split by recursive bisection along the longer axis until a group
holds at most ``MAX_HOUSEHOLDS``; each empty cell joins the group of its nearest built cell.
Grids are unions of whole cells, so they tile the unit exactly and never cut a building.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ingest.demo._hierarchy import Hierarchy
from ingest.demo._lattice import Cells, nearest, union_cells, west_east_north_south
from ingest.demo._names import person_name, phone

MAX_HOUSEHOLDS = 450


def _bisect(
    xy: NDArray[np.float64], hh: NDArray[np.int64], ids: NDArray[np.int64]
) -> list[NDArray[np.int64]]:
    if hh[ids].sum() <= MAX_HOUSEHOLDS or len(ids) == 1:
        return [ids]
    pts = xy[ids]
    axis = int(np.ptp(pts[:, 0]) < np.ptp(pts[:, 1]))
    order = ids[np.argsort(pts[:, axis], kind="stable")]
    cut = int(np.searchsorted(np.cumsum(hh[order]), hh[ids].sum() / 2)) + 1
    cut = min(max(cut, 1), len(order) - 1)
    return _bisect(xy, hh, order[:cut]) + _bisect(xy, hh, order[cut:])


def _cell_groups(cells: Cells, unit_cells: NDArray[np.int64], buildings: pd.DataFrame) -> NDArray[np.int64]:
    """Group number for each cell of one unit."""
    if buildings.empty:
        return np.zeros(len(unit_cells), dtype=np.int64)
    xy, hh = buildings[["x", "y"]].to_numpy(), buildings.households.to_numpy()
    groups = _bisect(xy, hh, np.arange(len(buildings)))
    label = np.empty(len(buildings), dtype=np.int64)
    for g, ids in enumerate(groups):
        label[ids] = g
    return label[nearest(xy, cells.center[unit_cells])]


def build_grids(
    cells: Cells, h: Hierarchy, buildings: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, NDArray[np.int64]]:
    """Grid rows (unit, code, worker, geometry) and each building's grid row index."""
    rows: list[dict[str, object]] = []
    building_grid = np.empty(len(buildings), dtype=np.int64)
    cell_grid = np.full(len(cells.col), -1, dtype=np.int64)
    for u, unit in enumerate(h.units):
        unit_cells = np.flatnonzero(h.cell_unit == u)
        groups = _cell_groups(cells, unit_cells, buildings[buildings.unit == u])
        geoms = [
            union_cells(cells, np.isin(np.arange(len(cells.col)), unit_cells[groups == g]))
            for g in range(groups.max() + 1)
        ]
        centers = np.array([[g.centroid.x, g.centroid.y] for g in geoms])
        order = west_east_north_south(centers, band_m=400.0)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        street = h.streets[h.unit_street[u]]
        for g in range(len(geoms)):
            cell_grid[unit_cells[groups == g]] = len(rows) + rank[g]
        for g in order:
            rows.append(
                {
                    "unit": u,
                    "code": f"{unit.code[:6]}{street.code[6:9]}{unit.code[9:12]}{rank[g] + 1:03d}",
                    "worker_name": person_name(rng),
                    "worker_phone": phone(rng),
                    "geom": geoms[g],
                }
            )
    building_grid[:] = cell_grid[buildings.cell.to_numpy()]
    return pd.DataFrame(rows), building_grid
