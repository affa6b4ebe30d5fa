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
from spopt.locate import LSCP, MCLP

from layers.coverage import Coverage, Demand
from layers.network import Network, to_metres

CHUNK = 64  # candidate sites per Dijkstra call (bounds memory: CHUNK × nodes distances)


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
    """Walking metres from every candidate site (columns) to every building of ``demand`` (rows)."""
    xy = to_metres(sites[:, 0], sites[:, 1])
    if network.empty:
        cost = np.hypot(*(demand.xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        return np.where(cost <= limit, cost, np.inf)
    site_node, site_gap = network.nearest(xy)  # a candidate site starts at its nearest node
    homes = network.links(demand.xy)
    cost = np.full((len(demand.ids), len(sites)), np.inf)
    for start in range(0, len(sites), CHUNK):
        part = slice(start, start + CHUNK)
        along = dijkstra(network.graph, directed=True, indices=site_node[part], limit=limit)
        cost[:, part] = (homes.walk(along) + site_gap[part, None]).T
    return np.where(cost <= limit, cost, np.inf)


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
