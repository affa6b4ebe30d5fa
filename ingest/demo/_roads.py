"""A synthetic walkable network on the lattice: lanes around every built cell, plus a mesh
of streets every ``STREET_EVERY`` cells (arterials every second one) across the district.
Only the largest connected part is kept, so every segment can reach every other. Node ids
follow the roads ingest kind (end points snapped to 1 m), so later road files connect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from ingest.demo._lattice import Cells
from ingest.demo._names import road_name
from ingest.kinds.roads import node_ids

STREET_EVERY = 8


def _edges(cells: Cells, built: np.ndarray) -> pd.DataFrame:
    """Candidate edges (node columns/rows of both ends) on the four sides of every cell."""
    c, r = cells.col, cells.row
    sides = [(c, r, c + 1, r), (c, r + 1, c + 1, r + 1), (c, r, c, r + 1), (c + 1, r, c + 1, r + 1)]
    frame = pd.concat(
        [pd.DataFrame({"c0": a, "r0": b, "c1": x, "r1": y, "built": built}) for a, b, x, y in sides]
    )
    return frame.groupby(["c0", "r0", "c1", "r1"], as_index=False).built.max()


def _kind(edges: pd.DataFrame) -> np.ndarray:
    horizontal = edges.r0 == edges.r1
    line = np.where(horizontal, edges.r0, edges.c0)
    return np.where(
        line % (2 * STREET_EVERY) == 0, "arterial", np.where(line % STREET_EVERY == 0, "street", "lane")
    )


def build_roads(cells: Cells, built: np.ndarray, outline: BaseGeometry) -> pd.DataFrame:
    """Road segments with pgRouting-style ``source``/``target`` node ids and metric geometry."""
    edges = _edges(cells, built)
    edges["kind"] = _kind(edges)
    x0, y0 = cells.origin
    for end in ("0", "1"):
        edges["x" + end] = x0 + edges["c" + end] * cells.size
        edges["y" + end] = y0 + edges["r" + end] * cells.size
    shapely.prepare(outline)
    inside = shapely.contains_xy(outline, edges.x0, edges.y0) & shapely.contains_xy(
        outline, edges.x1, edges.y1
    )
    edges = edges[inside & (edges.built | (edges.kind != "lane"))].reset_index(drop=True)
    edges = _largest_component(edges)
    edges["geom"] = shapely.linestrings(
        np.stack([edges[["x0", "y0"]].to_numpy(), edges[["x1", "y1"]].to_numpy()], axis=1)
    )
    edges["length_m"] = cells.size
    edges["name"] = _names(edges)
    edges["source_node"] = node_ids(edges.x0.to_numpy(), edges.y0.to_numpy())
    edges["target_node"] = node_ids(edges.x1.to_numpy(), edges.y1.to_numpy())
    return edges[["source_node", "target_node", "length_m", "kind", "name", "geom"]]


def _largest_component(edges: pd.DataFrame) -> pd.DataFrame:
    keys = pd.concat(
        [edges[["c0", "r0"]].set_axis(["c", "r"], axis=1), edges[["c1", "r1"]].set_axis(["c", "r"], axis=1)]
    )
    codes, _ = pd.factorize(keys.c.astype(np.int64) * 1_000_000 + keys.r)
    src, dst = codes[: len(edges)], codes[len(edges) :]
    n = int(codes.max()) + 1
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    main = np.bincount(label).argmax()
    return edges[label[src] == main].reset_index(drop=True)


def _names(edges: pd.DataFrame) -> list[str | None]:
    horizontal = (edges.r0 == edges.r1).to_numpy()
    line = np.where(horizontal, edges.r0, edges.c0) // STREET_EVERY
    return [
        road_name(int(i), east_west=bool(h)) if k != "lane" else None
        for i, h, k in zip(line, horizontal, edges.kind, strict=True)
    ]
