"""Walking coverage on a hand-built network whose answers are known by hand.

A river runs east–west between two banks 200 m apart; the only bridge is 800 m east. A service
point stands on the south bank at x = 0. Building N (900 residents) is just across the river,
210 m away as the crow flies but 1,810 m on foot; building S (100 residents) is 310 m along the
south bank. With a 500 m threshold: by network only S is covered (10 %), by straight lines both.
"""

import numpy as np
import pytest

from geo.crs import metric_transformer
from layers.coverage import Demand, coverage
from layers.network import Network
from layers.suggest import cost_matrix, suggest

ORIGIN = np.array(metric_transformer().transform(113.30, 40.08))


def lonlat(*xy):
    """Metres east/north of the origin → (lon, lat) rows."""
    points = ORIGIN + np.asarray(xy, float).reshape(-1, 2)
    lon, lat = metric_transformer().transform(points[:, 0], points[:, 1], direction="INVERSE")
    return np.column_stack([lon, lat])


def river_town():
    south = [(x, 0) for x in range(0, 900, 100)]
    north = [(x, 200) for x in range(0, 900, 100)]
    nodes = south + north
    edges = [(i, i + 1) for i in range(8)] + [(9 + i, 10 + i) for i in range(8)] + [(8, 17)]  # banks + bridge
    u, v = np.array(edges).T
    length = np.array([np.hypot(*np.subtract(nodes[a], nodes[b])) for a, b in edges])
    network = Network.from_edges(lonlat(*nodes), u, v, length)
    demand = Demand.of(ids=[1, 2], lonlat=lonlat((0, 210), (300, -10)), residents=[900, 100], street=[7, 8],
                       community=[70, 80], village=[True, False])  # fmt: skip
    return network, demand


NO_NETWORK = Network(np.zeros((0, 2)), np.zeros((0, 2)), None, None)  # type: ignore[arg-type]


def test_the_river_makes_the_walk_longer_than_the_crow_flies():
    network, demand = river_town()
    point = lonlat((0, 0))
    walked = coverage(network, demand, point, max_walk_m=2000)
    assert walked.walks.along_network
    assert walked.walks.metres == pytest.approx([1810, 310], abs=0.5)
    straight = coverage(NO_NETWORK, demand, point, max_walk_m=2000)
    assert not straight.walks.along_network
    assert straight.walks.metres == pytest.approx([210, np.hypot(300, 10)], abs=0.5)


def test_coverage_is_weighted_by_residents_and_sums_over_streets():
    network, demand = river_town()
    walked = coverage(network, demand, lonlat((0, 0)), max_walk_m=500)
    assert walked.share == pytest.approx(0.1)  # by residents; by buildings it would be 0.5
    assert coverage(NO_NETWORK, demand, lonlat((0, 0)), max_walk_m=500).share == pytest.approx(1.0)
    streets = walked.by("street")
    assert streets["residents"].sum() == 1000 and streets["covered"].sum() == 100
    assert list(streets["street"]) == [7, 8] and list(streets["beyond"]) == [900, 0]  # worst first
    villages = walked.by("village").set_index("village")
    assert villages.loc[True, "share"] == 0 and villages.loc[False, "share"] == 1


def test_a_what_if_point_raises_coverage_by_the_known_amount():
    network, demand = river_town()
    before = coverage(network, demand, lonlat((0, 0)), max_walk_m=500)
    after = coverage(network, demand, lonlat((0, 0), (0, 200)), max_walk_m=500)
    assert after.share - before.share == pytest.approx(0.9)
    removed = coverage(network, demand, lonlat((0, 200)), max_walk_m=500)
    assert removed.share == pytest.approx(0.9)


def test_the_suggested_site_for_k_1_is_the_known_best():
    network, demand = river_town()
    current = coverage(network, demand, lonlat((300, 0)), max_walk_m=500)  # covers S only
    sites = lonlat((600, 0), (0, 200), (800, 100))  # south bank, north bank by N, on the bridge
    assert np.isfinite(cost_matrix(network, demand, sites, limit=500)).tolist() == [
        [False, True, False], [True, False, False]]  # N only from its bank; S from 300 m east  # fmt: skip
    best = suggest(network, current, sites, k=1, seconds=5)
    assert best.chosen == (1,) and best.gains == (900.0,) and best.status == "Optimal" and best.gap == 0
    assert best.covered_after == pytest.approx(1.0) and best.minimum_points == 1 and best.unreachable == 0
