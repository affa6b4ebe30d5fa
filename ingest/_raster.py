"""A label raster over a set of polygons: most point-in-polygon lookups become an array index.

Cells crossed by any polygon's edge (and their neighbours) are marked ``EDGE``; every other
cell lies wholly inside one polygon or outside all of them, so a point in it takes the cell's
label exactly. Labels come from connected regions of edge-free cells (scipy.ndimage.label), one
exact point-in-polygon test per region. Points in edge cells need the exact test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage

EDGE, NONE = -2, -1
_MAX_CELLS = 8_000_000  # ~32 MB of labels; coarser cells beyond that


@dataclass(frozen=True)
class LabelRaster:
    x0: float
    y0: float
    cell: float
    labels: NDArray[np.int32]  # [row, col]: polygon index, NONE, or EDGE

    @classmethod
    def over(cls, tree: shapely.STRtree, *, cell: float) -> LabelRaster:
        """A raster of the polygons in ``tree`` (an STRtree over polygons) at ``cell`` degrees."""
        polygons = tree.geometries
        x0, y0, x1, y1 = shapely.total_bounds(polygons)
        cell = max(cell, float(np.sqrt((x1 - x0) * (y1 - y0) / _MAX_CELLS)))
        shape = (int((y1 - y0) / cell) + 1, int((x1 - x0) / cell) + 1)
        edge = _edge_cells(polygons, x0=x0, y0=y0, cell=cell, shape=shape)
        regions, count = ndimage.label(~edge)
        first = np.unique(regions.ravel(), return_index=True)[1][1:]  # a cell of each region
        rows, cols = np.divmod(first, shape[1])
        centres = shapely.points(x0 + (cols + 0.5) * cell, y0 + (rows + 0.5) * cell)
        inside, polygon = tree.query(centres, predicate="within")
        label = np.full(count + 1, NONE, dtype=np.int32)
        label[0] = EDGE
        label[1 + inside] = polygon
        return cls(float(x0), float(y0), cell, label[regions])

    def lookup(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int32]:
        """Each point's polygon index, NONE, or EDGE (in an edge cell or off the raster)."""
        col = np.floor((x - self.x0) / self.cell)
        row = np.floor((y - self.y0) / self.cell)
        ny, nx = self.labels.shape
        on = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        out = np.full(len(x), EDGE, dtype=np.int32)
        out[on] = self.labels[row[on].astype(np.int64), col[on].astype(np.int64)]
        return out


def _edge_cells(
    polygons: NDArray[np.object_], *, x0: float, y0: float, cell: float, shape: tuple[int, int]
) -> NDArray[np.bool_]:
    """Cells an edge passes through, grown by one cell: edges are cut into pieces shorter than
    a cell, so a piece lies within one cell of its ends' cells."""
    coords = shapely.get_coordinates(shapely.segmentize(shapely.boundary(polygons), cell / 2))
    col = np.clip(((coords[:, 0] - x0) / cell).astype(np.int64), 0, shape[1] - 1)
    row = np.clip(((coords[:, 1] - y0) / cell).astype(np.int64), 0, shape[0] - 1)
    edge = np.zeros(shape, dtype=bool)
    edge[row, col] = True
    return ndimage.binary_dilation(edge, structure=np.ones((3, 3), dtype=bool))
