"""Where new service points would help most: maximal covering (k new points) and set covering
(the fewest points that reach everyone reachable), with PySAL spopt on the HiGHS solver (through PuLP).

Only residents the existing points leave uncovered enter the models: the ones already covered
stay covered whatever is added, so the answer is the same as for the whole district, exactly
(no aggregation). Walks from each candidate site are cut off at the threshold.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pulp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from spopt.locate import LSCP, MCLP

from layers.coverage import Coverage, Demand
from layers.network import SLACK_M, Network, firsts, to_metres

CHUNK = 64  # candidate sites per Dijkstra call (bounds memory: 2 × CHUNK × nodes distances)
MIN_SPACING_M = 10.0  # a candidate this close to an existing point of the type is that point


@dataclass(frozen=True)
class Suggestion:
    chosen: tuple[int, ...]  # candidate numbers, best first (by marginal gain)
    gains: tuple[float, ...]  # residents each adds, in that order
    covered_after: float  # share of all residents covered with the existing and the chosen points
    status: str  # the solver's word: Optimal, or Not Solved / Infeasible …
    gap: float  # relative optimality gap HiGHS reports (0: proven optimal)
    minimum_points: int | None  # set covering: fewest new points reaching every reachable resident
    unreachable: float  # residents no candidate can reach within the threshold


def cost_matrix(
    network: Network, demand: Demand, sites: NDArray[np.float64], *, limit: float
) -> NDArray[np.float64]:
    """Walking metres from every candidate site (columns) to every building of ``demand`` (rows),
    each site joined to the network as :func:`layers.coverage.walks` joins a service point (at
    the nearest point of its nearest segment, on to either end): a site's claimed reach is what
    the same site added as a what-if covers."""
    xy = to_metres(sites[:, 0], sites[:, 1])
    if network.empty:
        cost = np.hypot(*(demand.xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        return np.where(cost <= limit, cost, np.inf)
    start, homes = network.links(xy), network.links(demand.xy)
    owner = start.owners()
    cost = np.full((len(demand.ids), len(sites)), np.inf)
    for first in range(0, len(sites), CHUNK):
        part = np.flatnonzero((owner >= first) & (owner < first + CHUNK))  # the sites' ways in
        n = len(part)
        along = dijkstra(network.graph, directed=True, indices=np.concatenate([start.a[part], start.b[part]]), limit=limit + SLACK_M)  # fmt: skip
        nodes = np.minimum(along[:n] + start.to_a[part, None], along[n:] + start.to_b[part, None])
        each = homes.walk(nodes)  # per way in, per building
        best = np.minimum.reduceat(each, firsts(owner[part]), axis=0)  # per site: its shortest way in
        cost[:, first : first + len(best)] = best.T
    return np.where(cost <= limit + SLACK_M, cost, np.inf)


def away_from(
    sites: NDArray[np.float64], points: NDArray[np.float64], *, metres: float = MIN_SPACING_M
) -> NDArray[np.bool_]:
    """True for each candidate site (lon, lat rows) farther than ``metres`` from every one of
    ``points``: a site on top of an existing point of the type is no new point."""
    if not len(points) or not len(sites):
        return np.ones(len(sites), bool)
    gap, _ = cKDTree(to_metres(points[:, 0], points[:, 1])).query(to_metres(sites[:, 0], sites[:, 1]))
    return np.asarray(gap, float) > metres


def _order_by_gain(
    reach: NDArray[np.bool_], weights: NDArray[np.float64], chosen: list[int]
) -> tuple[list[int], list[float]]:
    """The chosen sites, each next one the one adding most residents to those before it."""
    covered = np.zeros(len(weights), bool)
    order, gains, left = [], [], list(chosen)
    while left:
        best = max(left, key=lambda j: weights[reach[:, j] & ~covered].sum())
        gains.append(float(weights[reach[:, best] & ~covered].sum()))
        covered |= reach[:, best]
        order.append(best)
        left.remove(best)
    return order, gains


def suggest(
    network: Network, current: Coverage, sites: NDArray[np.float64], *, k: int, seconds: float = 10.0
) -> Suggestion:
    """The ``k`` candidate ``sites`` (lon, lat rows) that together cover most uncovered residents."""
    demand = current.demand
    todo = ~current.covered
    weights = demand.residents[todo]
    sub = Demand(demand.ids[todo], demand.lonlat[todo], demand.xy[todo], weights, demand.street[todo],
                 demand.community[todo], demand.village[todo])  # fmt: skip
    reach = np.isfinite(cost_matrix(network, sub, sites, limit=current.threshold_m))
    reachable = reach.any(axis=1)
    total = demand.residents.sum()
    if not reachable.any():
        return Suggestion((), (), current.share, "Optimal", 0.0, 0, float(weights.sum()))
    cost = np.where(reach[reachable], 1.0, current.threshold_m * 10)  # spopt compares costs to the radius
    with warnings.catch_warnings():  # spopt 0.7 builds its models with PuLP's pre-4.0 calls
        warnings.filterwarnings("ignore", message=".*PuLP 4.0.*", category=DeprecationWarning)
        mclp = MCLP.from_cost_matrix(
            cost, weights[reachable], service_radius=current.threshold_m, p_facilities=min(k, len(sites))
        ).solve(pulp.HiGHS(msg=False, timeLimit=seconds))
        lscp = LSCP.from_cost_matrix(cost, service_radius=current.threshold_m).solve(
            pulp.HiGHS(msg=False, timeLimit=seconds)
        )
    chosen = [j for j, clients in enumerate(mclp.fac2cli) if len(clients)]
    order, gains = _order_by_gain(reach[reachable], weights[reachable], chosen)
    return Suggestion(
        tuple(order), tuple(gains), float((demand.residents[current.covered].sum() + sum(gains)) / total),
        pulp.LpStatus[mclp.problem.status], float(mclp.problem.solverModel.getInfo().mip_gap),
        sum(1 for clients in lscp.fac2cli if len(clients)), float(weights[~reachable].sum()),
    )  # fmt: skip
