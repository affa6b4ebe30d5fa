"""A street's shortest paths between its planning candidates are worked out once per set of
points and kept with the road network; a plan asked again, with the candidates in another
order (risk sorts them, and the next incident may change it), gets what a fresh computation
gives."""

from __future__ import annotations

import numpy as np

from layers import plan
from layers.network import Network
from tests.test_coverage import lonlat


def _lattice(n: int = 8, step: float = 100.0) -> Network:
    nodes = [(x * step, y * step) for y in range(n) for x in range(n)]
    edges = [(i, i + 1) for i in range(n * n) if (i + 1) % n] + [(i, i + n) for i in range(n * (n - 1))]
    u, v = np.array(edges).T
    return Network.from_edges(lonlat(*nodes), u, v, np.full(len(edges), step))


def test_distances_are_kept_per_set_of_points_and_equal_a_fresh_computation_in_any_order(monkeypatch):
    network, made = _lattice(), []
    computed = plan._distances
    monkeypatch.setattr(
        plan, "_distances", lambda net, points: made.append(len(points)) or computed(net, points)
    )
    points = lonlat((10, 10), (620, 30), (250, 480), (90, 700), (700, 690), (330, 330))
    rng = np.random.default_rng(7)
    for order in (np.arange(6), rng.permutation(6), rng.permutation(6)):
        shuffled = points[order]
        kept, fresh = plan._kept_distances(network, shuffled), computed(network, shuffled)
        assert np.array_equal(kept.matrix, fresh.matrix) and np.array_equal(kept.nodes, fresh.nodes)
        for a in range(6):
            for b in range(6):
                target = int(fresh.nodes[b])
                assert kept.legs.nodes_between(a, target) == fresh.legs.nodes_between(a, target)
        assert plan._line(kept, shuffled, [0, 3, 5, 1]) == plan._line(fresh, shuffled, [0, 3, 5, 1])
    assert made == [6]  # worked out for the first order only
    plan._kept_distances(network, points[:5])
    assert made == [6, 5]  # another set of points: worked out anew
