"""Who lives within walking distance of a service point, weighted by residents.

Buildings (the demand, with their residents) and service points are linked to the walking
network at the nearest point of their nearest segment; the walk is the straight stretch to it,
on along the segment to one of its ends, and along the network from there. One Dijkstra from a virtual source joined to every point's node (by the
point's own stretch) gives each node its distance to the nearest point, cut off at the
threshold, so a whole district costs milliseconds. With no network loaded, straight-line
distances are used, and the result says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from sqlalchemy.engine import Connection

from geo.populations import GROUPS
from layers.network import SLACK_M, Links, Network, float_rows, to_metres

WALK_M_PER_MIN = 80.0  # 4.8 km/h: turns a threshold in minutes into metres and back


@dataclass(frozen=True)
class LifeCircle:
    """A life circle of GB 50180-2018 (城市居住区规划设计标准), 表 3.0.4: the walking distance
    within which its services should lie (the 15-minute circle: 800–1,000 m)."""

    minutes: int
    low_m: float
    high_m: float

    def name(self, lang: str = "zh") -> str:
        cn = {5: "五", 10: "十", 15: "十五"}.get(self.minutes, str(self.minutes))
        return f"{self.minutes}-minute life circle" if lang == "en" else f"{cn}分钟生活圈"

    def distance(self) -> str:
        low, high = f"{self.low_m:,.0f}", f"{self.high_m:,.0f}"
        return f"{high} m" if low == high else f"{low}–{high} m"


LIFE_CIRCLES = (LifeCircle(5, 300, 300), LifeCircle(10, 500, 500), LifeCircle(15, 800, 1000))


def life_circle(metres: float) -> LifeCircle | None:
    """The life circle whose walking distance ``metres`` is (to the metre), if any."""
    return next((c for c in LIFE_CIRCLES if c.low_m - 0.5 <= metres <= c.high_m + 0.5), None)


def walk_words(metres: float, *, unit: str = "m", lang: str = "zh") -> str:
    """The threshold as the page asked for it, the other unit beside it: "步行 15 分钟（1,200 米）",
    "a 15-minute walk (1,200 m)"."""
    minutes = metres / WALK_M_PER_MIN
    if lang == "en":
        if unit == "min":
            return f"a {minutes:,.0f}-minute walk ({metres:,.0f} m)"
        return f"a {metres:,.0f} m walk (about {minutes:,.0f} minutes)"
    if unit == "min":
        return f"步行 {minutes:,.0f} 分钟（{metres:,.0f} 米）"
    return f"步行 {metres:,.0f} 米（约 {minutes:,.0f} 分钟）"


_BUILDINGS = f"""
SELECT b.id, ST_X(ST_Centroid(b.geom)), ST_Y(ST_Centroid(b.geom)), b.residents, c.street_id, b.community_id,
       c.kind = 'village', {", ".join(f"b.{g}" for g in GROUPS)}
FROM building b JOIN community c ON c.id = b.community_id
WHERE b.residents > 0 AND c.valid_to IS NULL ORDER BY b.id
"""  # noqa: S608 (constants: the column names of geo.populations.GROUPS)


@dataclass(frozen=True)
class Demand:
    """Buildings with residents: where people live. ``residents`` are the people counted: the
    residents, or the group a service serves (:meth:`counting`); ``groups`` the buildings' counts
    of each group (NaN where the survey has none: geo/populations.py)."""

    ids: NDArray[np.int64]
    lonlat: NDArray[np.float64]
    xy: NDArray[np.float64]
    residents: NDArray[np.float64]
    street: NDArray[np.int64]
    community: NDArray[np.int64]
    village: NDArray[np.bool_]
    groups: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> Demand:
        a = float_rows(conn, _BUILDINGS, columns=7 + len(GROUPS))
        demand = cls.of(a[:, 0], a[:, 1:3], a[:, 3], a[:, 4], a[:, 5], a[:, 6].astype(bool))
        return replace(demand, groups={g: a[:, 7 + i] for i, g in enumerate(GROUPS)})

    def counting(self, serves: str) -> tuple[Demand, str]:
        """The demand counting the people of ``serves`` (a key of POPULATIONS) when every building
        has their count, else its residents; and the key of who is counted."""
        values = self.groups.get(serves)
        if values is None or np.isnan(values).any():
            return self, "residents"
        return replace(self, residents=values), serves

    @classmethod
    def of(
        cls,
        ids: object,
        lonlat: object,
        residents: object,
        street: object,
        community: object,
        village: object,
    ) -> Demand:
        ll = np.asarray(lonlat, float).reshape(-1, 2)
        return cls(
            np.asarray(ids, np.int64), ll, to_metres(ll[:, 0], ll[:, 1]), np.asarray(residents, float),
            np.asarray(street, np.int64), np.asarray(community, np.int64), np.asarray(village, bool),
        )  # fmt: skip


@dataclass(frozen=True)
class Walks:
    """Distances to the nearest point, metres; inf beyond the cut-off."""

    metres: NDArray[np.float64]
    along_network: bool  # False: straight lines (no network loaded)


def _with_points(graph: csr_matrix, start: Links, count: int) -> csr_matrix:
    """``graph`` plus one node per point (after the network's), with an edge to both ends of each
    of its ways in; built from the arrays directly (the graph is stored both ways, so one-way
    edges out of the new nodes are enough for directed searches from them)."""
    n, owner = graph.shape[0], start.owners()
    per_point = np.bincount(owner, minlength=count) * 2
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(per_point)])
    indices = np.concatenate([graph.indices, np.stack([start.a, start.b], axis=1).ravel()])
    # a zero-length edge would read as "no edge": a millimetre instead
    gaps = np.maximum(np.stack([start.to_a, start.to_b], axis=1).ravel(), 1e-3)
    return csr_matrix((np.concatenate([graph.data, gaps]), indices, indptr), shape=(n + count, n + count))


def _from_points(network: Network, xy: NDArray[np.float64], *, limit: float) -> tuple[NDArray[np.float64], NDArray[np.int64]]:  # fmt: skip
    """Per node of the network, the walk from the nearest of the points ``xy`` (joined inside
    their nearest segments, as buildings are) and which point that is (-1: none within
    ``limit``)."""
    n = network.graph.shape[0]
    graph = _with_points(network.graph, network.links(xy), len(xy))
    dist, _, source = dijkstra(graph, directed=True, indices=n + np.arange(len(xy)), limit=limit,
                               min_only=True, return_predecessors=True)  # fmt: skip
    return dist[:n], np.where(source[:n] >= n, source[:n] - n, -1)


Homes = Links  # where each building joins the network


def link_homes(network: Network, demand: Demand) -> Homes:
    """Where each building joins the network (callers keep this while both stay the same)."""
    return network.links(demand.xy)


def _metres(points_lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
    points = np.asarray(points_lonlat, float).reshape(-1, 2)
    return to_metres(points[:, 0], points[:, 1])


def _straight(
    xy: NDArray[np.float64], demand: Demand, limit: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Straight-line distance to the nearest point and its number (inf and n beyond ``limit``)."""
    gap, nearest = cKDTree(xy).query(demand.xy, distance_upper_bound=limit)
    return np.asarray(gap, float), np.asarray(nearest, np.int64)


def catchments(
    network: Network,
    demand: Demand,
    points_lonlat: NDArray[np.float64],
    *,
    limit: float,
    homes: Homes | None = None,
) -> NDArray[np.int64]:
    """For each building, the number of the point it walks to (-1 beyond ``limit``): what each
    point serves, for drawing catchments. Points and buildings join the network as in
    :func:`walks`, so a building drawn inside a catchment is one counted as covered."""
    xy = _metres(points_lonlat)
    if not len(xy):
        return np.full(len(demand.ids), -1)
    if network.empty:
        gap, nearest = _straight(xy, demand, limit)
        return np.where(np.isfinite(gap), nearest, -1)
    home = homes or link_homes(network, demand)
    dist, point = _from_points(network, xy, limit=limit + SLACK_M)
    return np.where(home.walk(dist) <= limit + SLACK_M, point[home.ends(dist)], -1)


def walks(
    network: Network,
    demand: Demand,
    points_lonlat: NDArray[np.float64],
    *,
    limit: float,
    homes: Homes | None = None,
) -> Walks:
    """Each building's walk to its nearest point (inf beyond ``limit`` metres, with
    ``SLACK_M``): from the points' ways into the network to the buildings' ways out, the
    shortest of each (a building as near to two segments walks by the shorter)."""
    xy = _metres(points_lonlat)
    if not len(xy) or not len(demand.ids):
        return Walks(np.full(len(demand.ids), np.inf), not network.empty)
    if network.empty:
        gap, _ = _straight(xy, demand, limit)
        return Walks(np.where(gap <= limit, gap, np.inf), False)
    along, _ = _from_points(network, xy, limit=limit + SLACK_M)
    total = (homes or link_homes(network, demand)).walk(along)
    return Walks(np.where(total <= limit + SLACK_M, total, np.inf), True)


@dataclass(frozen=True)
class Coverage:
    """Residents within the threshold, for the district and per street, community, urban/village."""

    demand: Demand
    walks: Walks
    threshold_m: float

    @property
    def covered(self) -> NDArray[np.bool_]:
        """Within the threshold, or over it by no more than the noise of a sum (``SLACK_M``)."""
        return self.walks.metres <= self.threshold_m + SLACK_M

    @property
    def share(self) -> float:
        total = self.demand.residents.sum()
        return float(self.demand.residents[self.covered].sum() / total) if total else float("nan")

    def by(self, level: str) -> pd.DataFrame:
        """Per ``street``, ``community`` or ``village`` (urban vs village): residents, covered,
        beyond (residents past the threshold) and share; worst-served first."""
        keys = {
            "street": self.demand.street,
            "community": self.demand.community,
            "village": self.demand.village,
        }[level]
        frame = pd.DataFrame({level: keys, "residents": self.demand.residents,
                              "covered": np.where(self.covered, self.demand.residents, 0.0)})  # fmt: skip
        out = frame.groupby(level, as_index=False).sum()
        out["beyond"] = out["residents"] - out["covered"]
        out["share"] = out["covered"] / out["residents"]
        return out.sort_values(["share", "beyond"], ascending=[True, False]).reset_index(drop=True)


def coverage(
    network: Network,
    demand: Demand,
    points_lonlat: NDArray[np.float64],
    *,
    max_walk_m: float,
    homes: Homes | None = None,
) -> Coverage:
    """Who is within ``max_walk_m`` metres' walk of one of the points."""
    return Coverage(demand, walks(network, demand, points_lonlat, limit=max_walk_m, homes=homes), max_walk_m)
