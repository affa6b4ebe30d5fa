"""Inspection-plan benchmark: speed of a 500-target street plan and route quality.

Run on demand (never in the test suite):  .venv/bin/python -m bench.bench_plan

It uses the ``gridgov_bench`` database (demo loaded; see bench_ingest), adds 500 synthetic
targets (source ``bench-plan``) to the street with the most buildings, 40 of them with a
rectification falling due, and plans 3 teams × 5 days × 12 visits. Route quality is compared
with a nearest-neighbour order of the same stops, with the same solver given 10× the time, and
with exact tours (Held-Karp) on small instances cut from the street's own distances.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
import time

import numpy as np
import sqlalchemy as sa

from bench.bench_ingest import bench_engine
from geo.inspection_settings import InspectionSettings
from layers import routing
from layers.network import NetworkCache
from layers.plan import Plan, PlanRequest, _distances, candidates, make_plan
from layers.register import risk_register

SOURCE = "bench-plan"
TODAY = dt.date(2026, 6, 10)
_TARGETS = """
INSERT INTO inspection_target (source, source_id, kind, name, address, risk_level, interval_days, street_id, community_id, grid_id, geom)
SELECT :src, 'T' || n, (ARRAY['homestay','bungalow','market','stairwell','scrap_station'])[1 + n % 5],
       '测试对象' || n, b.address, 1 + n % 3, 30, :street, b.community_id, b.grid_id, ST_Centroid(b.geom)
FROM (SELECT row_number() OVER (ORDER BY md5(id::text)) AS n, * FROM building WHERE grid_id IN
      (SELECT g.id FROM grid g JOIN community c ON c.id = g.community_id WHERE c.street_id = :street)) b
WHERE n <= 500
"""
_DUE = """
INSERT INTO inspection (source, source_id, target_id, inspected_at, passed, rectify_deadline)
SELECT :src, 'V' || id, id, :visited, false, :deadline FROM inspection_target
WHERE source = :src AND source_id::text ~ '^T[0-9]+$' AND substr(source_id, 2)::int % 12 = 0
"""


def prepare(engine: sa.engine.Engine) -> int:
    with engine.begin() as conn:
        street = conn.execute(sa.text(
            "SELECT c.street_id FROM building b JOIN community c ON c.id = b.community_id "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar_one()  # fmt: skip
        conn.execute(sa.text("DELETE FROM inspection WHERE source = :s"), {"s": SOURCE})
        conn.execute(sa.text("DELETE FROM inspection_target WHERE source = :s"), {"s": SOURCE})
        conn.execute(sa.text(_TARGETS), {"src": SOURCE, "street": street})
        visited = dt.datetime(2026, 6, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        conn.execute(
            sa.text(_DUE), {"src": SOURCE, "visited": visited, "deadline": TODAY + dt.timedelta(days=2)}
        )
    return int(street)


def nearest_neighbour(
    matrix: np.ndarray,
    stops: list[int],
    *,
    teams: int,
    days: int,
    capacity: int,
    last_day: dict[int, int] | None = None,
) -> list[list[int]]:
    """The baseline: each team-day in turn walks to the nearest remaining stop until full; stops
    due that day or earlier (``last_day``) are taken first."""
    left, routes, due = set(stops), [], last_day or {}
    for vehicle in range(teams * days):
        day, here, route = vehicle // teams, -1, list[int]()
        while left and len(route) < capacity:
            pool = [s for s in left if due.get(s, days) <= day] or list(left)
            here = min(pool, key=lambda s: matrix[here + 1, s + 1])
            route.append(here)
            left.remove(here)
        routes.append(route)
    return routes


def held_karp(matrix: np.ndarray) -> int:
    """The exact shortest round trip from node 0 through all others (dynamic programming)."""
    n = len(matrix)
    best: dict[tuple[int, int], int] = {(1 << k, k): int(matrix[0, k]) for k in range(1, n)}
    for size in range(2, n):
        for subset in itertools.combinations(range(1, n), size):
            bits = sum(1 << k for k in subset)
            for k in subset:
                prev = bits & ~(1 << k)
                best[(bits, k)] = min(best[(prev, m)] + int(matrix[m, k]) for m in subset if m != k)
    full = sum(1 << k for k in range(1, n))
    return min(best[(full, k)] + int(matrix[k, 0]) for k in range(1, n))


def timed_plan(engine: sa.engine.Engine, request: PlanRequest) -> tuple[float, Plan]:
    networks = NetworkCache()
    with engine.connect() as conn:
        networks.get(conn)  # the network stays in memory between plans, as in the server
        started = time.perf_counter()
        plan = make_plan(conn, networks.get(conn), request, today=TODAY, settings=InspectionSettings())
    return time.perf_counter() - started, plan


def _length(problem: routing.Problem, routes: routing.Routes) -> int:
    return sum(routing.route_length(problem.matrix, team) for day in routes for team in day)


def main() -> None:
    engine = bench_engine()
    street = prepare(engine)
    request = PlanRequest(
        street=street, start=TODAY + dt.timedelta(days=1), days=5, teams=3, visits_per_day=12, seconds=1.0
    )
    seconds, plan = timed_plan(engine, request)
    with engine.connect() as conn:
        register = risk_register(conn, street=street, today=TODAY)
        network = NetworkCache().get(conn)
    chosen = candidates(register, request)
    print(f"street {street}: {len(register)} targets, {plan.candidates} candidates; plan 3 teams × 5 days × 12 visits "
          f"in {seconds:.2f} s (solver limit {request.seconds} s); {sum(len(r.stops) for r in plan.routes)} stops, "
          f"{plan.distance_m / 1000:.1f} km, mandatory left out: {len(plan.missed_mandatory)}")  # fmt: skip
    d = _distances(
        network, np.vstack([[plan.office[1], plan.office[2]], chosen[["lon", "lat"]].to_numpy(float)])
    )
    ids = list(chosen["id"])
    routed = [ids.index(s.target) for r in plan.routes for s in r.stops]
    sub = d.matrix[np.ix_([0, *(i + 1 for i in routed)], [0, *(i + 1 for i in routed)])]
    due = {k: int(v) for k, v in enumerate(chosen["last_day"].iloc[routed]) if v == v}
    for label, deadlines in (("with the rectification deadlines", due), ("routing alone (no deadlines)", {})):
        problem = routing.Problem(
            sub, tuple(routing.Visit(1.0, True, deadlines.get(k)) for k in range(len(routed))), 3, 5, 12
        )
        ours = _length(problem, routing.solve(problem, seconds=1.0))
        best = _length(problem, routing.solve(problem, seconds=20.0))
        nn = sum(
            routing.route_length(sub, r)
            for r in nearest_neighbour(
                sub, list(range(len(routed))), teams=3, days=5, capacity=12, last_day=deadlines
            )
        )
        print(f"  the plan's {len(routed)} stops, {label}: OR-Tools 1 s {ours / 1000:.1f} km; OR-Tools 20 s (best known) "
              f"{best / 1000:.1f} km, ratio {ours / best:.3f}; nearest neighbour {nn / 1000:.1f} km, ratio {nn / best:.3f}")  # fmt: skip
    rng = np.random.default_rng(5)
    ratios, nn_ratios = [], []
    for _ in range(20):
        pick = np.concatenate([[0], 1 + rng.choice(len(chosen), 9, replace=False)])
        sub = d.matrix[np.ix_(pick, pick)]
        small = routing.Problem(sub, tuple(routing.Visit(1.0, True) for _ in range(9)), 1, 1, 9)
        exact = held_karp(sub)
        ratios.append(routing.route_length(sub, routing.solve(small, seconds=0.2)[0][0]) / exact)
        nn_ratios.append(
            routing.route_length(sub, nearest_neighbour(sub, list(range(9)), teams=1, days=1, capacity=9)[0])
            / exact
        )
    print(f"  20 round trips of 9 stops against the exact tour: OR-Tools mean {statistics.mean(ratios):.3f}, worst {max(ratios):.3f}; "
          f"nearest neighbour mean {statistics.mean(nn_ratios):.3f}, worst {max(nn_ratios):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
