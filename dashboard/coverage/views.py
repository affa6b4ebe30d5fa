"""What the coverage page shows, assembled from layers/ (callbacks stay thin wrappers)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

from dashboard.auth.current import current_row_scope
from dashboard.bilingual import tr
from dashboard.shared import SharedResults
from geo.boundary_version import boundary_version
from geo.errors import InputError
from geo.populations import POPULATIONS
from geo.service_types import ServiceType
from layers.boundaries import Boundaries
from layers.boundaries import streets as street_boundaries
from layers.buildings import building_labels, buildings_version
from layers.coverage import WALK_M_PER_MIN, Coverage, Demand, Homes, catchments, coverage, link_homes
from layers.memo import Memo, drawings
from layers.network import Network, NetworkCache
from layers.report_coverage import Walking
from layers.scenarios import Scenario
from layers.scope import Scope
from layers.service_load import Load, loads
from layers.service_points import community_offices, kinds, points_of
from layers.suggest import Suggestion, away_from, suggest
from layers.units import unit_names

T = TypeVar("T")

MAX_CANDIDATES = 400


class CoverageCache:
    """Per process: the network and the buildings, reloaded when their tables change, and the
    views computed on them."""

    VIEW_SECONDS = 60.0  # unit names (read with a view) change only when boundaries are reloaded

    def __init__(
        self, *, networks: NetworkCache | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.networks = NetworkCache(clock=clock) if networks is None else networks
        self._lock = threading.Lock()
        self._clock = clock
        self._checked = -math.inf  # when the buildings were last asked whether they changed
        self._outlines: tuple[tuple[Any, ...], Boundaries] | None = None
        self._demand: tuple[tuple[Any, ...], Demand] | None = None
        self._homes: tuple[int, int, Homes] | None = None
        self._views: tuple[Network, Demand, SharedResults] | None = None

    def views(self, network: Network, demand: Demand) -> SharedResults:
        """Views on this network and these buildings (a new network or buildings: none yet)."""
        with self._lock:
            held = self._views
            if held is None or held[0] is not network or held[1] is not demand:
                held = self._views = (network, demand, SharedResults())
            return held[2]

    def demand(self, conn: Connection) -> Demand:
        """The buildings, asked whether they changed at most every NetworkCache.CHECK_SECONDS."""
        with self._lock:
            if self._demand is not None and self._clock() - self._checked < NetworkCache.CHECK_SECONDS:
                return self._demand[1]
        version = buildings_version(conn)
        with self._lock:
            if self._demand is None or self._demand[0] != version:
                self._demand = (version, Demand.load(conn))
            self._checked = self._clock()
            return self._demand[1]

    def street_outlines(self, conn: Connection) -> Boundaries:
        """The district's streets drawn under the map, kept while the boundaries stay the same
        (their union and simplification: 38 ms of SQL on the demo, for every view)."""
        version = boundary_version(conn)
        with self._lock:
            held = self._outlines
        if held is None or held[0] != version:
            held = (version, street_boundaries(conn, Scope.district()))
            with self._lock:
                self._outlines = held
        return held[1]

    def walking(self, conn: Connection) -> Walking:
        """The network, the buildings and their joins, as a report's coverage section counts on."""
        network = self.networks.get(conn)
        demand = self.demand(conn)
        return Walking(network, demand, self.homes(network, demand))

    def warm(self, conn: Connection) -> None:
        """Load the network and the buildings and join them, before a worker takes requests."""
        network = self.networks.get(conn)
        self.homes(network, self.demand(conn))

    def homes(self, network: Network, demand: Demand) -> Homes:
        """Where the buildings join the network, kept while both are the same objects."""
        with self._lock:
            if self._homes is None or self._homes[:2] != (id(network), id(demand)):
                self._homes = (id(network), id(demand), link_homes(network, demand))
            return self._homes[2]


def type_options(conn: Connection, types: Mapping[str, ServiceType]) -> list[dict[str, Any]]:
    """The registry's types in the page's language and any other kind found in the data
    (labelled by its key); typing either language finds a type."""
    keys = list(types) + [k for k in kinds(conn) if k not in types]
    return [
        {"label": tr(types[k].zh, types[k].en), "value": k, "search": f"{types[k].zh} {types[k].en}"}
        if k in types
        else {"label": k, "value": k, "search": k}
        for k in keys
    ]


def threshold_m(value: object, unit: object) -> float:
    """The threshold in metres from the page's number and unit (checked: it comes from a browser)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError("the threshold must be a number") from None
    metres = number * WALK_M_PER_MIN if unit == "min" else number
    if not 50 <= metres <= 5000:
        raise InputError("the threshold must be 50–5,000 m (about 1–60 minutes' walk)")
    return metres


def _lonlat_in_china(p: object) -> bool:
    """A [lon, lat] pair of numbers inside China's extent (anything else from a browser is dropped)."""
    if not isinstance(p, list | tuple) or len(p) != 2 or not all(isinstance(v, int | float) for v in p):
        return False
    return 73 <= float(p[0]) <= 136 and 3 <= float(p[1]) <= 54  # NaN compares false: dropped too


@dataclass(frozen=True)
class WhatIf:
    added: tuple[tuple[float, float], ...] = ()  # hypothetical points (lon, lat)
    removed: frozenset[int] = frozenset()  # service point ids left out

    @classmethod
    def parse(cls, data: object) -> WhatIf:
        if not isinstance(data, dict):
            return cls()
        added = tuple((float(p[0]), float(p[1])) for p in data.get("added", []) if _lonlat_in_china(p))
        removed = frozenset(int(i) for i in data.get("removed", []) if isinstance(i, int))
        return cls(added[:50], removed)

    def to_store(self) -> dict[str, Any]:
        """What the page keeps (``parse`` reads it back)."""
        return {"added": [list(p) for p in self.added], "removed": sorted(self.removed)}


@dataclass(frozen=True)
class Serving:
    """Whom a type's points serve and the staff norm (from its ServiceType)."""

    serves: str = "residents"
    people_per_staff: int | None = None

    @classmethod
    def of(cls, service_type: ServiceType | None) -> Serving:
        return cls() if service_type is None else cls(service_type.serves, service_type.people_per_staff)


@dataclass(frozen=True)
class CoverageView:
    result: Coverage
    points: pd.DataFrame  # id, name, lon, lat, staff, removed, overloaded
    added: NDArray[np.float64]
    hulls: list[Any]  # catchment outlines (shapely polygons, lon/lat)
    streets: pd.DataFrame
    communities: pd.DataFrame
    villages: pd.DataFrame
    boundaries: Boundaries | None = None  # the district's streets, drawn under everything
    counted: str = "residents"  # who the shares count (geo.populations): the type's group or residents
    load: Load | None = None  # the kept points' people per staff (layers/service_load.py)
    # what the page drew from this view (figure, tables), kept with it for everyone shown it
    drawn: Memo[object] = field(default_factory=drawings, compare=False, repr=False)

    def drawing(self, key: Hashable, draw: Callable[[], T]) -> T:
        """``draw()``, once per ``key`` for as long as the view is kept (its cache's
        ``VIEW_SECONDS``): the map and tables of a type and threshold, built for the first
        planner who asks and handed to the next."""
        return cast(T, self.drawn.get(key, draw))


def _named(conn: Connection, frame: pd.DataFrame, level: str) -> pd.DataFrame:
    names = unit_names(conn, level)
    return frame.assign(name=frame[level].map(names))


def _hulls(demand: Demand, owner: NDArray[np.int64]) -> list[Any]:
    """The convex hull of the buildings each point serves (grouped by one sort, not a scan each).
    Points that serve no building (e.g. one beside another) have none: groups are numbered anew."""
    served = owner >= 0
    group = np.unique(owner[served], return_inverse=True)[1]
    order = np.argsort(group, kind="stable")
    points = shapely.points(demand.lonlat[served][order])
    groups = shapely.multipoints(points, indices=group[order])
    return [h for h in shapely.convex_hull(groups) if h.geom_type == "Polygon"]


def beijing_today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


def coverage_view(
    conn: Connection,
    cache: CoverageCache,
    *,
    kind: str,
    metres: float,
    what_if: WhatIf,
    on: dt.date | None = None,
    serving: Serving = Serving(),
) -> CoverageView:
    """The view for a type, threshold and what-if with the points serving ``on`` (default:
    today), computed once for everyone asking for it while the network, the buildings and those
    points stay the same (and ``VIEW_SECONDS`` at most). The key holds the request's row scope."""
    network, demand = cache.networks.get(conn), cache.demand(conn)
    points = points_of(conn, kind, on=on or beijing_today())
    digest = hashlib.sha256(pd.util.hash_pandas_object(points, index=False).to_numpy().tobytes()).hexdigest()
    key = (current_row_scope().setting, kind, metres, what_if, digest, serving)
    compute = partial(
        compute_view,
        conn,
        cache,
        network,
        demand,
        points=points,
        metres=metres,
        what_if=what_if,
        serving=serving,
    )
    return cache.views(network, demand).get(key, compute, max_age=cache.VIEW_SECONDS)


def compute_view(
    conn: Connection,
    cache: CoverageCache,
    network: Network,
    demand: Demand,
    *,
    points: pd.DataFrame,
    metres: float,
    what_if: WhatIf,
    serving: Serving = Serving(),
) -> CoverageView:
    """The view, computed now (``points``: the type's points, as read), counting the people
    ``serving`` says when the buildings carry them."""
    homes = cache.homes(network, demand)
    counting, counted = demand.counting(serving.serves)
    points = points.assign(removed=points["id"].isin(what_if.removed))
    kept = points.loc[~points["removed"], ["lon", "lat"]].to_numpy(float).reshape(-1, 2)
    added = np.array(what_if.added, float).reshape(-1, 2)
    everything = np.vstack([kept, added])
    result = coverage(network, counting, everything, max_walk_m=metres, homes=homes)
    owner = catchments(network, counting, everything, limit=metres, homes=homes)
    load = loads(points.loc[~points["removed"]], owner, counting.residents, norm=serving.people_per_staff)
    over = set(load.table.loc[load.table["overloaded"], "id"])
    return CoverageView(
        result, points.assign(overloaded=points["id"].isin(over)), added, _hulls(demand, owner),
        _named(conn, result.by("street"), "street"), _named(conn, result.by("community"), "community"),
        result.by("village"), cache.street_outlines(conn), counted, load,
    )  # fmt: skip


def candidate_sites(conn: Connection, demand: Demand, which: str) -> tuple[NDArray[np.float64], list[str]]:
    """Sites new points may go: community offices (a community's own service point), or
    buildings (the most populous of each group of 60 by id, up to ``MAX_CANDIDATES``)."""
    if which == "offices":
        rows = community_offices(conn)
        return np.array([(x, y) for _, x, y in rows], float).reshape(-1, 2), [label for label, _, _ in rows]
    group = max(1, len(demand.ids) // MAX_CANDIDATES + 1)
    picks = [
        i * group + int(np.argmax(demand.residents[i * group : (i + 1) * group]))
        for i in range((len(demand.ids) + group - 1) // group)
    ]
    return demand.lonlat[picks], building_labels(conn, [int(demand.ids[i]) for i in picks])


@dataclass(frozen=True)
class Suggested:
    result: Suggestion
    sites: NDArray[np.float64]  # the candidate sites considered (lon, lat rows); result.chosen indexes them
    labels: list[str]
    left_out: int  # candidate sites dropped: a point of the type is already there


def suggestions(
    conn: Connection, cache: CoverageCache, view: CoverageView, *, which: str, k: int
) -> Suggested:
    """The best ``k`` of the candidate sites ``which``, leaving out those on a point of the type
    the view counts (its kept points and what-if additions)."""
    sites, labels = candidate_sites(conn, view.result.demand, which)
    kept = view.points.loc[~view.points["removed"], ["lon", "lat"]].to_numpy(float).reshape(-1, 2)
    new = away_from(sites, np.vstack([kept, view.added.reshape(-1, 2)]))
    sites, labels = sites[new], [label for label, keep in zip(labels, new, strict=True) if keep]
    result = suggest(cache.networks.get(conn), view.result, sites, k=k)
    return Suggested(result, sites, labels, int((~new).sum()))


def base_share(conn: Connection, cache: CoverageCache, *, kind: str, metres: float, on: dt.date | None = None, serves: str = "residents") -> float:  # fmt: skip
    """The share with the real points only, those serving ``on`` (what a what-if is compared with)."""
    network, demand = cache.networks.get(conn), cache.demand(conn)
    points = points_of(conn, kind, on=on or beijing_today())[["lon", "lat"]].to_numpy(float).reshape(-1, 2)
    counting, _ = demand.counting(serves)
    return coverage(network, counting, points, max_walk_m=metres, homes=cache.homes(network, demand)).share


@dataclass(frozen=True)
class Compared:
    """A saved scenario's coverage beside that of the type's real points at its threshold."""

    scenario: Scenario
    view: CoverageView
    base: float  # the share with the real points only

    @property
    def covered(self) -> float:
        return float(self.view.result.demand.residents[self.view.result.covered].sum())


def compare(
    conn: Connection, cache: CoverageCache, chosen: list[Scenario], *, on: dt.date, serving: Serving
) -> list[Compared]:
    """Each scenario's view (its threshold and what-if, the points serving ``on``)."""
    return [
        Compared(s, coverage_view(conn, cache, kind=s.kind, metres=s.threshold_m, what_if=WhatIf(s.added, s.removed),
                                  on=on, serving=serving),
                 base_share(conn, cache, kind=s.kind, metres=s.threshold_m, on=on, serves=serving.serves))
        for s in chosen
    ]  # fmt: skip


def streets_side_by_side(compared: list[Compared]) -> pd.DataFrame:
    """Per street, each scenario's share (columns ``share_0``, ``share_1`` …), the worst first."""
    frames = [c.view.streets.set_index("street")[["name", "share"]].rename(columns={"share": f"share_{i}"})
              for i, c in enumerate(compared)]  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=["street", "name"])
    out = frames[0]
    for frame in frames[1:]:
        out = out.join(frame.drop(columns="name"), how="outer")
    return out.reset_index().sort_values("share_0")


def comparison_rows(compared: list[Compared]) -> list[list[object]]:
    """The comparison for a spreadsheet: one row per measure, one column per scenario."""
    who = POPULATIONS[compared[0].view.counted].zh if compared else ""
    return [
        ["阈值（米）", *(round(c.scenario.threshold_m) for c in compared)],
        ["新增服务点", *(len(c.scenario.added) for c in compared)],
        ["移除服务点", *(len(c.scenario.removed) for c in compared)],
        [f"覆盖率（按{who}）", *(f"{c.view.result.share:.1%}" for c in compared)],
        [f"覆盖{who}", *(round(c.covered) for c in compared)],
        ["较现有服务点（百分点）", *(round((c.view.result.share - c.base) * 100, 1) for c in compared)],
        ["超负荷服务点", *(None if c.view.load is None else c.view.load.overloaded for c in compared)],
        [
            "保存人 / 时间",
            *(f"{c.scenario.saved_by or '—'} {c.scenario.saved_at:%Y-%m-%d %H:%M}" for c in compared),
        ],
    ]
