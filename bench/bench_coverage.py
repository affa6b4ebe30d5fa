"""Coverage benchmark: walking coverage of the demo district, what-if updates and suggestions.

Run on demand (never in the test suite):  .venv/bin/python -m bench.bench_coverage

Uses the ``gridgov_bench`` database (demo loaded; see bench_ingest): the 220 employment points,
about 23k buildings and the demo's walking network. Prints cold and warm times, a what-if
update, k = 20 suggestions from ≥ 300 candidate sites, and the ratios against networkx
(multi-source Dijkstra) and against plain straight-line buffers (shapely).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import networkx as nx
import numpy as np
import shapely
import sqlalchemy as sa

from bench.bench_ingest import bench_engine
from dashboard.coverage.views import CoverageCache, WhatIf, candidate_sites, compute_view, coverage_view
from layers.coverage import Demand, coverage
from layers.network import Network, to_metres
from layers.suggest import suggest

KIND, METRES = "employment", 1000.0
T = TypeVar("T")


def _best(runs: int, fn: Callable[[], T]) -> tuple[float, T]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def networkx_share(network: Network, demand: Demand, points: np.ndarray) -> tuple[float, float]:
    """The baseline: the same network in networkx, multi-source Dijkstra with a cut-off."""
    graph = nx.Graph()
    coo = network.graph.tocoo()
    graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    sources, _ = network.nearest(to_metres(points[:, 0], points[:, 1]))
    homes, gaps = network.nearest(demand.xy)
    started = time.perf_counter()
    reach = nx.multi_source_dijkstra_path_length(graph, set(sources.tolist()), cutoff=METRES)
    walk = np.array([reach.get(int(h), np.inf) for h in homes]) + gaps
    seconds = time.perf_counter() - started
    return seconds, float(demand.residents[walk <= METRES].sum() / demand.residents.sum())


def buffers_share(demand: Demand, points: np.ndarray) -> tuple[float, float]:
    """The other baseline: straight-line buffers, unioned, and buildings inside them."""
    started = time.perf_counter()
    area = shapely.union_all(shapely.buffer(shapely.points(to_metres(points[:, 0], points[:, 1])), METRES))
    inside = shapely.contains_xy(area, demand.xy[:, 0], demand.xy[:, 1])
    return time.perf_counter() - started, float(demand.residents[inside].sum() / demand.residents.sum())


def main() -> None:
    engine = bench_engine()
    cache = CoverageCache()
    with engine.connect() as conn:
        started = time.perf_counter()
        view = coverage_view(conn, cache, kind=KIND, metres=METRES, what_if=WhatIf())
        cold = time.perf_counter() - started
        network, demand = cache.networks.get(conn), cache.demand(conn)
        # computed each time (coverage_view would hand back the view it keeps for everyone)
        again = partial(
            compute_view, conn, cache, network, demand, points=view.points, metres=METRES, what_if=WhatIf()
        )
        warm, view = _best(10, again)
        points = view.points[["lon", "lat"]].to_numpy(float)
        homes = cache.homes(network, demand)  # kept by the page's cache, as here
        core, result = _best(20, lambda: coverage(network, demand, points, max_walk_m=METRES, homes=homes))
        extra = np.vstack([points, demand.lonlat[:1]])
        what_if, _ = _best(20, lambda: coverage(network, demand, extra, max_walk_m=METRES, homes=homes))
        sites, _ = candidate_sites(conn, demand, "buildings")
        n_nodes = network.graph.shape[0]
    print(f"{len(points)} {KIND} points, {len(demand.ids):,} buildings, {demand.residents.sum():,.0f} residents, "
          f"{n_nodes:,} network nodes, {METRES:.0f} m")  # fmt: skip
    print(f"  page data cold (network + buildings loaded) {cold:.2f} s; warm {warm * 1000:.0f} ms; "
          f"coverage alone {core * 1000:.0f} ms; what-if update {what_if * 1000:.0f} ms; "
          f"covered {result.share:.1%}")  # fmt: skip
    nx_s, nx_share = networkx_share(network, demand, points)
    buf_s, buf_share = buffers_share(demand, points)
    print(
        f"  networkx multi-source Dijkstra {nx_s * 1000:.0f} ms (covered {nx_share:.1%}): ours {nx_s / core:.0f}× faster"
    )
    print(f"  straight-line buffers {buf_s * 1000:.0f} ms, covered {buf_share:.1%}: they overstate coverage by "
          f"{(buf_share - result.share) * 100:.1f} points")  # fmt: skip
    started = time.perf_counter()
    best = suggest(network, result, sites, k=20)
    print(f"  k = 20 from {len(sites)} candidate buildings: {time.perf_counter() - started:.1f} s, {best.status}, "
          f"gap {best.gap:.2%}; covered {result.share:.1%} → {best.covered_after:.1%}; "
          f"fewest new points for everyone reachable: {best.minimum_points}")  # fmt: skip


if __name__ == "__main__":
    with bench_engine().connect() as c:
        assert c.execute(
            sa.text("SELECT count(*) FROM service_point WHERE kind = :k"), {"k": KIND}
        ).scalar_one()
    main()
