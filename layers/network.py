"""The walkable road network in memory: a scipy sparse graph, shortest paths from many sources.

Nodes are the ends of ``road_segment`` rows (ids from ingest), edges are undirected with their
length in metres. Points join the network inside their nearest segments (``Network.links``,
in EPSG:4547 metres) of its main pieces: a real walk network (OpenStreetMap's footways) holds
small pieces joined to nothing (a campus path, a square's paving, a gap in the mapping), and a
building joined to one could reach no service point at any distance. A piece is small when it
holds less than ``SMALL_PIECE_SHARE`` of the network's length (the largest never is), as routing
engines set small components aside for snapping (OSRM: under 1,000 nodes); ``Network.pieces``
reports them. With no network loaded, callers fall back to straight lines and say so.
One copy per process, reloaded when the table changes (count, max id, total length).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, triu
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from sqlalchemy.engine import Connection

from geo.crs import metric_transformer
from layers.memo import Memo

_EDGES = """
SELECT source_node, target_node, length_m,
       ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)), ST_X(ST_EndPoint(geom)), ST_Y(ST_EndPoint(geom))
FROM road_segment
"""
_VERSION = "SELECT count(*), coalesce(max(id), 0), coalesce(sum(length_m), 0) FROM road_segment"
# what is "as near" and "as far": segments this much farther than a point's nearest are as near
# (ties decided by floating-point noise otherwise), and a walk this much over a threshold is
# within it (a walk exactly on a threshold is otherwise in or out by the noise of its sums)
SLACK_M = 0.01
SMALL_PIECE_SHARE = 0.01  # a piece with less of the network's length is joined by no point


def to_metres(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """WGS-84 → EPSG:4547 (CGCS2000 3° Gauss-Krüger, 114° E) as an (n, 2) array in metres."""
    x, y = metric_transformer().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def float_rows(conn: Connection, query: str, *, columns: int) -> NDArray[np.float64]:
    """A query's rows as a float array, fetched in binary by the driver (building the array from
    SQLAlchemy rows costs ten times the query)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor(binary=True) as cur:
        cur.execute(query)
        return np.array(cur.fetchall(), dtype=float).reshape(-1, columns)


@dataclass(frozen=True)
class Links:
    """Points joined to the network inside segments: for each way in (a point as near to two or
    more segments as to its nearest, within ``SLACK_M``, has one per segment), the segment's two
    end nodes and the walk to each; ``owner``, the point of each way (ascending; None: one way
    per point)."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    to_a: NDArray[np.float64]
    to_b: NDArray[np.float64]
    owner: NDArray[np.int64] | None = None

    def owners(self) -> NDArray[np.int64]:
        """The point of each way."""
        return np.arange(len(self.a)) if self.owner is None else self.owner

    def walk(self, along: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each point's walk given ``along``, a distance per node (the last axis): its shortest
        way in."""
        each = np.minimum(along[..., self.a] + self.to_a, along[..., self.b] + self.to_b)
        return each if self.owner is None else np.minimum.reduceat(each, firsts(self.owner), axis=-1)

    def ends(self, along: NDArray[np.float64]) -> NDArray[np.int64]:
        """Each point's node its shortest way in leaves the network at (for one ``along``)."""
        via_a, via_b = along[self.a] + self.to_a, along[self.b] + self.to_b
        end, walk = np.where(via_a <= via_b, self.a, self.b), np.minimum(via_a, via_b)
        if self.owner is None:
            return end
        best = np.lexsort((walk, self.owner))  # by point, shortest first
        return end[best[firsts(self.owner[best])]]


def firsts(owner: NDArray[np.int64]) -> NDArray[np.int64]:
    """Where each run of equal values of the sorted ``owner`` starts."""
    return np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])


@dataclass(frozen=True)
class Paths:
    """Shortest paths from ``sources`` (node indices) to every node (the graph is stored both
    ways, so directed searches are exact and skip scipy's symmetrising copy)."""

    sources: NDArray[np.int64]
    dist: NDArray[np.float64]  # (len(sources), n_nodes), metres; inf where unreachable
    pred: NDArray[np.int32]  # predecessor of each node on the path from each source; -9999 at the source

    def nodes_between(self, i: int, target: int) -> list[int]:
        """Node indices from source number ``i`` to node ``target`` (empty if unreachable)."""
        if not np.isfinite(self.dist[i, target]):
            return []
        path, node = [target], target
        while node != self.sources[i]:
            node = int(self.pred[i, node])
            path.append(node)
        return path[::-1]


@dataclass(frozen=True)
class Pieces:
    """The network's connected pieces: each node's piece, each piece's length (metres) and
    whether points join it (the main pieces, see the module's docstring)."""

    label: NDArray[np.int32]
    length_m: NDArray[np.float64]
    main: NDArray[np.bool_]

    @property
    def small(self) -> int:
        return int((~self.main).sum())

    @property
    def small_m(self) -> float:
        return float(self.length_m[~self.main].sum())

    @property
    def joinable(self) -> NDArray[np.bool_]:
        """Per node: in a main piece."""
        return self.main[self.label]


def pieces_of(graph: csr_matrix) -> Pieces:
    _, label = connected_components(graph, directed=False)
    upper = triu(graph).tocoo()
    pieces = label.max(initial=-1) + 1
    length = np.bincount(label[upper.row], weights=upper.data, minlength=pieces).astype(float)
    main = length >= SMALL_PIECE_SHARE * length.sum()
    if len(main):
        main[np.argmax(length)] = True
    return Pieces(label.astype(np.int32), length, main)


@dataclass(frozen=True)
class Network:
    xy: NDArray[np.float64]  # node positions, metres (EPSG:4547)
    lonlat: NDArray[np.float64]  # node positions, WGS-84
    graph: csr_matrix  # symmetric, lengths in metres
    tree: cKDTree | None

    @property
    def empty(self) -> bool:
        return self.tree is None

    @classmethod
    def load(cls, conn: Connection) -> Network:
        a = float_rows(conn, _EDGES, columns=7)
        if not len(a):
            return cls(np.zeros((0, 2)), np.zeros((0, 2)), csr_matrix((0, 0)), None)
        ids, index = np.unique(np.concatenate([a[:, 0], a[:, 1]]), return_inverse=True)
        u, v = index[: len(a)], index[len(a) :]
        lonlat = np.zeros((len(ids), 2))
        lonlat[u], lonlat[v] = a[:, 3:5], a[:, 5:7]
        return cls.from_edges(lonlat, u, v, a[:, 2])

    @classmethod
    def from_edges(
        cls,
        lonlat: NDArray[np.float64],
        u: NDArray[np.int64],
        v: NDArray[np.int64],
        length: NDArray[np.float64],
    ) -> Network:
        """A network of nodes at ``lonlat`` joined by undirected edges (u, v) of ``length`` metres."""
        xy = to_metres(lonlat[:, 0], lonlat[:, 1])
        return cls(
            xy,
            lonlat,
            _graph(np.asarray(u), np.asarray(v), np.asarray(length, float), len(lonlat)),
            cKDTree(xy),
        )

    @cached_property
    def pieces(self) -> Pieces:
        return pieces_of(self.graph)

    @cached_property
    def kept(self) -> Memo[object]:
        """Results computed over this network, kept as long as it is (it is replaced when the
        roads change): a street's shortest paths between its planning candidates, asked again
        at every press of Plan (a Dijkstra from each of ~75 candidates: 40 ms, twice that
        under load). A few: each holds paths from every candidate to every node near them."""
        return Memo(limit=4)

    @cached_property
    def _segments(
        self,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.object_], Any]:
        """Each edge of the main pieces once (u < v) as a straight segment, and a tree of them
        (built on first use)."""
        upper = triu(self.graph).tocoo()
        keep = self.pieces.joinable[upper.row]
        u, v = upper.row[keep].astype(np.int64), upper.col[keep].astype(np.int64)
        segments = shapely.linestrings(np.stack([self.xy[u], self.xy[v]], axis=1))
        return u, v, upper.data[keep], segments, shapely.STRtree(segments)

    @cached_property
    def _joinable_nodes(self) -> tuple[NDArray[np.int64], cKDTree]:
        nodes = np.flatnonzero(self.pieces.joinable)
        return nodes, cKDTree(self.xy[nodes])

    def links(self, xy: NDArray[np.float64]) -> Links:
        """Where points join the network: at the nearest point of the nearest segment of its main
        pieces (edges are
        taken as straight between their nodes, their length shared out in proportion), and of
        every other segment no more than ``SLACK_M`` farther: on a street lattice most buildings
        are as near to two segments, and which one floating-point noise picks must not decide
        the walk (the walk is the shortest way in). With no network, or no points, nothing
        joins: every point's walk is infinite (callers with an empty network use straight lines
        instead, see layers/coverage.py)."""
        if self.empty or not len(xy):
            unlinked = np.full(len(xy), -1, np.int64)
            return Links(unlinked, unlinked, np.full(len(xy), np.inf), np.full(len(xy), np.inf))
        u, v, length, segments, tree = self._segments
        points = shapely.points(xy)
        (point, _), gap = tree.query_nearest(points, return_distance=True, all_matches=False)
        nearest = np.empty(len(xy))
        nearest[point] = gap
        point, edge = tree.query(points, predicate="dwithin", distance=nearest + SLACK_M)
        order = np.lexsort((edge, point))
        point, edge = point[order], edge[order]
        gap = shapely.distance(points[point], segments[edge])
        t = shapely.line_locate_point(segments[edge], points[point], normalized=True)
        return Links(u[edge], v[edge], gap + t * length[edge], gap + (1 - t) * length[edge], owner=point)

    def nearest(self, xy: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest node of a main piece to each point and the straight distance to it (metres)."""
        assert self.tree is not None
        nodes, tree = self._joinable_nodes
        gap, node = tree.query(xy)
        return nodes[np.asarray(node, np.int64)], np.asarray(gap, float)

    def around(self, xy: NDArray[np.float64], *, margin: float) -> Network:
        """The part of the network within ``margin`` metres of the bounding box of ``xy``."""
        low, high = xy.min(axis=0) - margin, xy.max(axis=0) + margin
        keep = np.flatnonzero(((self.xy >= low) & (self.xy <= high)).all(axis=1))
        if not len(keep):
            return self
        sub = self.xy[keep]
        return Network(sub, self.lonlat[keep], self.graph[keep][:, keep].tocsr(), cKDTree(sub))

    def paths(self, sources: NDArray[np.int64], *, limit: float = np.inf) -> Paths:
        dist, pred = dijkstra(
            self.graph, directed=True, indices=sources, return_predecessors=True, limit=limit
        )
        return Paths(np.asarray(sources, np.int64), np.atleast_2d(dist), np.atleast_2d(pred))


def _graph(u: NDArray[np.int64], v: NDArray[np.int64], length: NDArray[np.float64], n: int) -> csr_matrix:
    """Symmetric adjacency; of parallel segments the shortest counts (csr would add them up)."""
    rows, cols, vals = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([length, length])
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(len(rows), bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return csr_matrix((vals[first], (rows[first], cols[first])), shape=(n, n))


class NetworkCache:
    """One network per process, reloaded when ``road_segment`` changes. Whether it changed is
    asked at most every ``CHECK_SECONDS`` (the question scans the table: 7 ms on the demo, asked
    by every coverage and planning request)."""

    CHECK_SECONDS = 5.0

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._version: tuple[object, ...] | None = None
        self._network: Network | None = None
        self._checked = -math.inf

    def get(self, conn: Connection) -> Network:
        with self._lock:
            if self._network is not None and self._clock() - self._checked < self.CHECK_SECONDS:
                return self._network
        version = tuple(conn.execute(sa.text(_VERSION)).one())
        with self._lock:
            if self._network is None or version != self._version:
                self._network, self._version = Network.load(conn), version
            self._checked = self._clock()
            return self._network
