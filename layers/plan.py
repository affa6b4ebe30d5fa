"""A street's inspection plan: which targets each team visits each day, in route order.

Candidates are the register's targets that are mandatory (an ordered rectification falls due
within the period, or the leader pinned them), due within the period, or risky (score ≥
``RISKY``); dropped targets never are. Distances run along the road network from the street
office (straight lines when no network is loaded; the plan says which). layers/routing.py
chooses and orders the visits.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from functools import partial
from itertools import pairwise
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

from geo.errors import InputError
from geo.inspection_settings import InspectionSettings
from layers import routing
from layers.network import Network, Paths, to_metres
from layers.register import risk_register

RISKY = 30.0
MARGIN_M = 500.0  # network kept around the street's targets and office (detours rarely go further)
_OFFICE = """
SELECT name, ST_X(geom), ST_Y(geom) FROM service_point WHERE street_id = :s AND level = 'street'
ORDER BY kind = 'service_window' DESC, kind = 'employment' DESC, id LIMIT 1
"""
_STREET = (
    "SELECT name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM street WHERE id = :s"
)


@dataclass(frozen=True)
class PlanRequest:
    street: int
    start: dt.date
    days: int = 5
    teams: int = 3
    visits_per_day: int = 12
    kinds: tuple[str, ...] = ()
    pinned: frozenset[int] = frozenset()
    dropped: frozenset[int] = frozenset()
    seconds: float = 1.0  # solver time limit


@dataclass(frozen=True)
class Stop:
    target: int
    name: str
    kind: str
    address: str | None
    why: str  # rectification | pinned | due | risk
    score: float
    lon: float
    lat: float
    leg_m: float  # from the previous stop (or the office)


@dataclass(frozen=True)
class TeamDay:
    day: dt.date
    team: int  # 1-based
    stops: tuple[Stop, ...]
    distance_m: float  # office → stops → office
    minutes: float
    line: tuple[tuple[float, float], ...]  # lon, lat along the route


@dataclass(frozen=True)
class Plan:
    request: PlanRequest
    office: tuple[str, float, float]  # name, lon, lat
    routes: tuple[TeamDay, ...]
    network: bool  # distances along roads (False: straight lines)
    candidates: int
    left_out: tuple[int, ...] = ()  # candidate targets not in any route
    missed_mandatory: tuple[int, ...] = ()  # mandatory targets that did not fit
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def distance_m(self) -> float:
        return sum(r.distance_m for r in self.routes)


def street_office(conn: Connection, street: int) -> tuple[str, float, float]:
    """The street office: its street-level service point, else a point inside the street."""
    row = (
        conn.execute(sa.text(_OFFICE), {"s": street}).first()
        or conn.execute(sa.text(_STREET), {"s": street}).first()
    )
    if row is None:
        raise InputError(f"no street {street}: choose one from the list")
    return str(row[0]), float(row[1]), float(row[2])


def candidates(register: pd.DataFrame, request: PlanRequest) -> pd.DataFrame:
    """The targets worth a visit in the period, with why and the last day (0-based) allowed."""
    end = request.start + dt.timedelta(days=request.days - 1)
    frame = register[~register["id"].isin(request.dropped)].copy()
    deadline = pd.to_datetime(frame["first_deadline"])
    rectify = (deadline <= pd.Timestamp(end)).to_numpy(bool)  # NaT: no open rectification
    pinned = frame["id"].isin(request.pinned)
    due = frame["due_in"].isna() | (frame["due_in"] <= (end - request.start).days)
    frame["why_visit"] = np.select(
        [rectify, pinned, due, frame["score"] >= RISKY],
        ["rectification", "pinned", "due", "risk"],
        default="",
    )
    frame = frame[frame["why_visit"] != ""].copy()
    frame["mandatory"] = frame["why_visit"].isin(["rectification", "pinned"])
    days_left = (pd.to_datetime(frame["first_deadline"]) - pd.Timestamp(request.start)).dt.days
    frame["last_day"] = days_left.clip(0, request.days - 1).where(frame["why_visit"] == "rectification")
    return _spread_late_ones(frame, request).sort_values(["mandatory", "score"], ascending=False)


def _spread_late_ones(frame: pd.DataFrame, request: PlanRequest) -> pd.DataFrame:
    """Past-due rectifications all want day 1; let them run into the following days as needed."""
    per_day = request.teams * request.visits_per_day
    order = frame[frame["why_visit"] == "rectification"].sort_values("first_deadline").index
    for rank, idx in enumerate(order):
        frame.loc[idx, "last_day"] = min(
            request.days - 1, max(frame.loc[idx, "last_day"], rank // max(per_day, 1))
        )
    return frame


@dataclass(frozen=True)
class _Distances:
    matrix: NDArray[np.int64]  # (n + 1)², office first
    legs: Paths | None  # shortest paths from the office and every candidate's node
    nodes: NDArray[np.int64] | None
    network: Network | None


def _distances(network: Network, lonlat: NDArray[np.float64]) -> _Distances:
    xy = to_metres(lonlat[:, 0], lonlat[:, 1])
    straight = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    if network.empty:
        return _Distances(np.rint(straight).astype(np.int64), None, None, None)
    local = network.around(xy, margin=MARGIN_M)
    nodes, gap = local.nearest(xy)
    paths = local.paths(nodes)
    along = paths.dist[:, nodes] + gap[:, None] + gap[None, :]
    np.fill_diagonal(along, 0)
    along = np.where(np.isfinite(along), along, straight * 1.5)  # a piece off the network: assume a detour
    return _Distances(np.rint(along).astype(np.int64), paths, nodes, local)


def _kept_distances(network: Network, lonlat: NDArray[np.float64]) -> _Distances:
    """``_distances``, kept with the network for the same points in any order (the candidates
    come sorted by risk, which the next incident may change)."""
    perm = np.lexsort((lonlat[:, 1], lonlat[:, 0]))
    canonical = np.ascontiguousarray(lonlat[perm])
    kept = cast(_Distances, network.kept.get(("distances", canonical.tobytes()), partial(_distances, network, canonical)))  # fmt: skip
    at = np.argsort(perm)  # where each of ``lonlat`` is among the canonical points
    legs = None if kept.legs is None else Paths(kept.legs.sources[at], kept.legs.dist[at], kept.legs.pred[at])
    nodes = None if kept.nodes is None else kept.nodes[at]
    return _Distances(kept.matrix[np.ix_(at, at)], legs, nodes, kept.network)


def _line(d: _Distances, lonlat: NDArray[np.float64], order: list[int]) -> tuple[tuple[float, float], ...]:
    """Route geometry through points ``order`` (indices into ``lonlat``; 0 is the office)."""
    points: list[tuple[float, float]] = []
    for a, b in pairwise(order):
        points.append((float(lonlat[a, 0]), float(lonlat[a, 1])))
        if d.legs is not None and d.nodes is not None and d.network is not None:
            along = d.legs.nodes_between(a, int(d.nodes[b]))
            points += [(float(x), float(y)) for x, y in d.network.lonlat[along]]
    points.append((float(lonlat[order[-1], 0]), float(lonlat[order[-1], 1])))
    return tuple(points)


def make_plan(
    conn: Connection,
    network: Network,
    request: PlanRequest,
    *,
    today: dt.date,
    settings: InspectionSettings,
    register: pd.DataFrame | None = None,
    solve: routing.SolveFn = routing.solve,
) -> Plan:
    """Plan ``request``: the register as of ``today`` (read unless given), routed over ``network``
    by ``solve``."""
    if register is None:
        register = risk_register(conn, street=request.street, today=today, kinds=request.kinds)
    office = street_office(conn, request.street)
    if register.empty:  # no target (of these kinds) in the street, or none this account may see
        return Plan(request=request, office=office, routes=(), network=not network.empty, candidates=0)
    chosen = candidates(register, request)
    lonlat = np.vstack([[office[1], office[2]], chosen[["lon", "lat"]].to_numpy(float).reshape(-1, 2)])
    d = _kept_distances(network, lonlat)
    visits = tuple(
        routing.Visit(
            score=float(r.score),
            mandatory=bool(r.mandatory),
            last_day=None if pd.isna(r.last_day) else int(r.last_day),
        )
        for r in chosen.itertuples()
    )
    problem = routing.Problem(d.matrix, visits, request.teams, request.days, request.visits_per_day)
    solved = solve(problem, seconds=request.seconds)
    routes = tuple(
        _team_day(
            chosen,
            d,
            lonlat,
            stops,
            day=request.start + dt.timedelta(days=day),
            team=team + 1,
            settings=settings,
        )
        for day, teams in enumerate(solved)
        for team, stops in enumerate(teams)
        if stops
    )
    used = {s for day in solved for team in day for s in team}
    left = [i for i in range(len(chosen)) if i not in used]
    ids = chosen["id"].to_numpy()
    mandatory = chosen["mandatory"].to_numpy(bool)
    return Plan(
        request=request,
        office=office,
        routes=routes,
        network=not network.empty,
        candidates=len(chosen),
        left_out=tuple(int(ids[i]) for i in left),
        missed_mandatory=tuple(int(ids[i]) for i in left if mandatory[i]),
    )


def _team_day(
    chosen: pd.DataFrame,
    d: _Distances,
    lonlat: NDArray[np.float64],
    stops: list[int],
    *,
    day: dt.date,
    team: int,
    settings: InspectionSettings,
) -> TeamDay:
    order = [0, *(s + 1 for s in stops), 0]
    legs = [float(d.matrix[a, b]) for a, b in pairwise(order)]
    rows = chosen.iloc[stops]
    built = tuple(
        Stop(
            int(r.id),
            str(r.name),
            str(r.kind),
            r.address,
            str(r.why_visit),
            float(r.score),
            float(r.lon),
            float(r.lat),
            leg,
        )
        for r, leg in zip(rows.itertuples(), legs, strict=False)
    )
    total = sum(legs)
    return TeamDay(day, team, built, total, settings.minutes(total, len(stops)), _line(d, lonlat, order))


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """JSON-ready plan (dates as ISO text), for the page's store and the exports."""
    return json.loads(
        json.dumps(asdict(plan), default=lambda o: sorted(o) if isinstance(o, frozenset) else str(o))
    )


def _team_day_from(t: dict[str, Any]) -> TeamDay:
    return TeamDay(
        day=dt.date.fromisoformat(t["day"]),
        team=t["team"],
        stops=tuple(Stop(**s) for s in t["stops"]),
        distance_m=t["distance_m"],
        minutes=t["minutes"],
        line=tuple((x, y) for x, y in t["line"]),
    )


def plan_from_dict(data: dict[str, Any]) -> Plan:
    r = data["request"]
    request = PlanRequest(
        **{
            **r,
            "start": dt.date.fromisoformat(r["start"]),
            "kinds": tuple(r["kinds"]),
            "pinned": frozenset(r["pinned"]),
            "dropped": frozenset(r["dropped"]),
        }
    )
    name, lon, lat = data["office"]
    return Plan(
        request=request,
        office=(name, lon, lat),
        routes=tuple(_team_day_from(t) for t in data["routes"]),
        network=data["network"],
        candidates=data["candidates"],
        left_out=tuple(data["left_out"]),
        missed_mandatory=tuple(data["missed_mandatory"]),
        notes=tuple(data["notes"]),
    )
