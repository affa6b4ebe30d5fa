"""Which targets each team visits on each day, and in what order: a vehicle routing problem.

Every (day, team) pair is one vehicle leaving the street office and coming back, with room for
``capacity`` visits. Mandatory visits (a rectification falling due, a pinned target) carry a
penalty no route can outweigh, and may be restricted to the days up to their deadline; other
candidates carry a penalty that grows with their risk, so the solver drops the least risky
first when capacity runs out. Solved by OR-Tools' routing library: parallel cheapest insertion
(the best first solution of four measured in bench/bench_plan.py), then guided local search
within a time limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

MUST = 10**9  # penalty for leaving out a mandatory visit: more than any route could cost
METRES_PER_POINT = 1_000  # an optional visit is worth a 1 km detour per risk point (plus 10 points)


@dataclass(frozen=True)
class Visit:
    """A candidate stop: ``score`` ranks optional ones; ``last_day`` (0-based) bounds mandatory ones."""

    score: float
    mandatory: bool = False
    last_day: int | None = None


@dataclass(frozen=True)
class Problem:
    matrix: NDArray[np.int64]  # (n + 1)², metres; row and column 0 are the street office
    visits: tuple[Visit, ...]
    teams: int
    days: int
    capacity: int  # visits per team per day

    @property
    def vehicles(self) -> int:
        return self.teams * self.days

    def day_of(self, vehicle: int) -> int:
        return vehicle // self.teams


Routes = list[list[list[int]]]  # [day][team] → visit numbers (0-based into Problem.visits) in order


class SolveFn(Protocol):
    """:func:`solve`, or something that answers as it does (e.g. in another process)."""

    def __call__(self, problem: Problem, *, seconds: float) -> Routes: ...


def _penalty(visit: Visit) -> int:
    return MUST if visit.mandatory else int(METRES_PER_POINT * (visit.score + 10))


def _model(problem: Problem) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel]:
    manager = pywrapcp.RoutingIndexManager(len(problem.visits) + 1, problem.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    arc = routing.RegisterTransitMatrix(problem.matrix.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    load = routing.RegisterUnaryTransitVector([0] + [1] * len(problem.visits))
    routing.AddDimensionWithVehicleCapacity(load, 0, [problem.capacity] * problem.vehicles, True, "visits")
    for number, visit in enumerate(problem.visits):
        index = manager.NodeToIndex(number + 1)
        routing.AddDisjunction([index], _penalty(visit))
        if visit.last_day is not None:
            allowed = [v for v in range(problem.vehicles) if problem.day_of(v) <= visit.last_day]
            routing.VehicleVar(index).SetValues([-1, *allowed])
    return manager, routing


def solve(problem: Problem, *, seconds: float = 1.0) -> Routes:
    """The best plan found within ``seconds`` (each candidate at most once, capacities kept)."""
    routes: Routes = [[[] for _ in range(problem.teams)] for _ in range(problem.days)]
    if not problem.visits or problem.capacity <= 0:
        return routes
    manager, routing = _model(problem)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return routes
    for vehicle in range(problem.vehicles):
        index = routing.Start(vehicle)
        stops = routes[problem.day_of(vehicle)][vehicle % problem.teams]
        while not routing.IsEnd(index := solution.Value(routing.NextVar(index))):
            stops.append(manager.IndexToNode(index) - 1)
    return routes


def route_length(matrix: NDArray[np.int64], stops: list[int]) -> int:
    """Metres from the office through ``stops`` (visit numbers) and back."""
    nodes = [0, *(s + 1 for s in stops), 0]
    return int(sum(matrix[a, b] for a, b in pairwise(nodes)))
