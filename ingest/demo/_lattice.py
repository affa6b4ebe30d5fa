"""The demo's spatial skeleton: a square lattice over the district in EPSG:4547 metres.

Lanes run along cell edges, buildings stand inside cells, and every boundary (street,
community, grid) is a union of whole cells clipped to the real outline, so the levels nest
and tile exactly and boundaries follow roads, as real ones do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

CELL_M = 50.0
# the old city (古城) around 113.30E 40.09N, in EPSG:4547
CORE = np.array([440302.6, 4439757.1])


@dataclass(frozen=True)
class Cells:
    """Lattice cells that touch the district: column/row indices, centres, clipped polygons."""

    col: NDArray[np.int64]
    row: NDArray[np.int64]
    center: NDArray[np.float64]  # (n, 2)
    full: NDArray[np.bool_]  # wholly inside the outline
    polygon: NDArray[np.object_]  # cell box ∩ outline
    origin: tuple[float, float]  # lattice corner (0, 0) in metres
    size: float


def build_cells(outline: BaseGeometry, *, cell: float = CELL_M) -> Cells:
    minx, miny, maxx, maxy = outline.bounds
    x0, y0 = np.floor(minx / cell) * cell, np.floor(miny / cell) * cell
    cols = np.arange(int(np.ceil((maxx - x0) / cell)))
    rows = np.arange(int(np.ceil((maxy - y0) / cell)))
    col, row = (a.ravel() for a in np.meshgrid(cols, rows))
    boxes = shapely.box(x0 + col * cell, y0 + row * cell, x0 + (col + 1) * cell, y0 + (row + 1) * cell)
    shapely.prepare(outline)
    touching = shapely.intersects(outline, boxes)
    col, row, boxes = col[touching], row[touching], boxes[touching]
    full = shapely.contains_properly(outline, boxes)
    polygon = boxes.copy()
    polygon[~full] = shapely.intersection(boxes[~full], outline)
    center = np.column_stack([x0 + (col + 0.5) * cell, y0 + (row + 0.5) * cell])
    return Cells(col=col, row=row, center=center, full=full, polygon=polygon, origin=(x0, y0), size=cell)


def density(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Relative residential density: a dense old city fading into a rural ring."""
    r = np.hypot(xy[:, 0] - CORE[0], xy[:, 1] - CORE[1])
    return np.exp(-((r / 3200.0) ** 2)) + 0.35 * np.exp(-((r / 6500.0) ** 2)) + 0.02


def sample_density(outline: BaseGeometry, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """``n`` points inside the outline drawn from :func:`density` by rejection."""
    minx, miny, maxx, maxy = outline.bounds
    shapely.prepare(outline)
    peak = float(density(CORE[None, :])[0])
    out: list[NDArray[np.float64]] = []
    total = 0
    while total < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n, 2))
        keep = (rng.uniform(0, peak, len(xy)) < density(xy)) & shapely.contains_xy(
            outline, xy[:, 0], xy[:, 1]
        )
        out.append(xy[keep])
        total += int(keep.sum())
    return np.concatenate(out)[:n]


def kmeans(points: NDArray[np.float64], k: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Lloyd's k-means with k-means++ seeding; an emptied cluster keeps its last centre."""
    centers = points[[rng.integers(len(points))]]
    for _ in range(1, k):
        d2 = cKDTree(centers).query(points)[0] ** 2
        centers = np.vstack([centers, points[rng.choice(len(points), p=d2 / d2.sum())]])
    for _ in range(30):
        labels = cKDTree(centers).query(points)[1]
        sums = np.zeros_like(centers)
        np.add.at(sums, labels, points)
        counts = np.bincount(labels, minlength=k)[:, None]
        centers = np.where(counts > 0, sums / np.maximum(counts, 1), centers)
    return centers


def nearest(centers: NDArray[np.float64], xy: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index of the nearest centre for every point."""
    return np.asarray(cKDTree(centers).query(xy)[1], dtype=np.int64)


def union_cells(cells: Cells, mask: NDArray[np.bool_]) -> BaseGeometry:
    """The union of the selected cells as one (Multi)Polygon; they form a coverage."""
    return shapely.coverage_union_all(cells.polygon[mask])


def west_east_north_south(xy: NDArray[np.float64], *, band_m: float) -> NDArray[np.int64]:
    """Order of points numbered west→east within north→south bands (grid-code practice)."""
    band = np.floor((xy[:, 1].max() - xy[:, 1]) / band_m)
    return np.lexsort((xy[:, 0], band))
