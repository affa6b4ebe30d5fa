"""Walking coverage on a hand-built network whose answers are known by hand.

A river runs east–west between two banks 200 m apart; the only bridge is 800 m east. A service
point stands on the south bank at x = 0. Building N (900 residents) is just across the river,
210 m away as the crow flies but 1,810 m on foot; building S (100 residents) is 310 m along the
south bank. With a 500 m threshold: by network only S is covered (10 %), by straight lines both.
"""

import datetime as dt
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy.sparse import csr_matrix

from dashboard.coverage.views import WhatIf, threshold_m
from geo.crs import metric_transformer
from geo.errors import ConfigError, InputError
from geo.service_types import SERVICE_TYPES, service_types_from_file
from layers.coverage import Demand, catchments, coverage, link_homes
from layers.coverage_export import UNIT_HEADERS, coverage_html, coverage_workbook, gaps_geojson
from layers.export_heading import Heading
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


def test_with_no_network_loaded_homes_join_nothing_and_walks_are_straight_lines():
    """What the page's cache does with a database holding no roads (it joins the buildings to
    the network ahead): once a broadcasting error, a 500 and a failed warm-up."""
    _, demand = river_town()
    empty = Network(np.zeros((0, 2)), np.zeros((0, 2)), csr_matrix((0, 0)), None)  # as Network.load gives
    homes = link_homes(empty, demand)
    assert homes.a.tolist() == [-1, -1] and np.isinf(homes.to_a).all() and np.isinf(homes.to_b).all()
    result = coverage(empty, demand, lonlat((0, 0)), max_walk_m=500, homes=homes)
    assert not result.walks.along_network
    assert result.walks.metres == pytest.approx([210, np.hypot(300, 10)], abs=0.5)
    assert catchments(empty, demand, lonlat((0, 0)), limit=250, homes=homes).tolist() == [0, -1]


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


EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_exports_list_the_gaps_load_nothing_from_outside_and_escape_names():

    network, demand = river_town()
    result = coverage(network, demand, lonlat((0, 0)), max_walk_m=500)
    site = (*lonlat((0, 200))[0], EVIL, 900.0)
    data = json.loads(gaps_geojson(result, [site]))
    kinds = [(f["properties"]["kind"], f["properties"].get("building")) for f in data["features"]]
    assert kinds == [("uncovered", 1), ("suggested", None)] and data["gridgov"][
        "covered_share"
    ] == pytest.approx(0.1)
    points = pd.DataFrame(
        {
            "id": [1],
            "name": [EVIL],
            "lon": [lonlat((0, 0))[0, 0]],
            "lat": [lonlat((0, 0))[0, 1]],
            "removed": [False],
        }
    )
    heading = Heading("某区", "全区", "截至 2026-06-11", "王五", dt.datetime(2026, 6, 11, tzinfo=dt.UTC))
    page = coverage_html(
        result, points, np.zeros((0, 2)), [site], heading=heading, subject="养老", summary="步行 500 米"
    )
    assert EVIL not in page and "&lt;script&gt;" in page and "L.map(" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert (
        "服务覆盖 养老" in page
        and "步行 500 米" in page
        and "服务范围 catchment" in page
        and 'class=\\"site\\"\\u003e1\\u003c' in page
    )
    streets = result.by("street").assign(name=["=1+1", "东街"])
    book = load_workbook(io.BytesIO(coverage_workbook(heading=heading, subject="养老", summary="步行 500 米",
                                                       streets=streets, communities=streets, suggested=[site])))  # fmt: skip
    rows = list(book["街道"].values)
    assert (
        rows[0][0] == "服务覆盖 养老 · 街道" and rows[1][0] == "某区 · 全区" and rows[4][0] == "步行 500 米"
    )
    head = rows.index(UNIT_HEADERS)
    assert [r[0] for r in rows[head + 1 :]] == ["'=1+1", "东街"] and book.sheetnames == [
        "街道",
        "社区村",
        "建议点位",
    ]
    assert list(book["建议点位"].values)[-1][:2] == (1, site[2])


def test_a_new_service_type_needs_only_the_district_file(tmp_path):

    settings = tmp_path / "district.toml"
    settings.write_text('[service_types.legal_aid]\nzh = "法律服务站"\nen = "Legal aid"\nwalk_minutes = 12\n'
                        '[service_types.employment]\nwalk_minutes = 10\n', encoding="utf-8")  # fmt: skip
    types = service_types_from_file(settings)
    assert types["legal_aid"].zh == "法律服务站" and types["legal_aid"].walk_minutes == 12
    assert (
        types["employment"].walk_minutes == 10 and SERVICE_TYPES["employment"].walk_minutes == 15
    )  # registry untouched
    assert (
        types["employment"].levels == ("street", "community", "village") and types["legal_aid"].levels == ()
    )
    settings.write_text('[service_types.legal_aid]\nlevels = ["street", "village"]\n', encoding="utf-8")
    assert service_types_from_file(settings)["legal_aid"].levels == ("street", "village")
    settings.write_text("[service_types.bad]\ncolour = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="may set zh, en"):
        service_types_from_file(settings)
    settings.write_text('[service_types.bad]\nlevels = ["town"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="levels must be a list of street, community, village"):
        service_types_from_file(settings)


def test_page_inputs_are_checked_on_the_server():

    assert threshold_m(15, "min") == 1200 and threshold_m("500", "m") == 500
    for bad in ("1e9", "x", None, -5):
        with pytest.raises(InputError):
            threshold_m(bad, "m")
    parsed = WhatIf.parse(
        {
            "added": [[113.3, 40.1], "junk", [1], [float("nan"), 40], [0, 0], ["113", 40]],
            "removed": [3, "4; DROP TABLE x", None],
        }
    )
    assert parsed.added == ((113.3, 40.1),) and parsed.removed == frozenset({3})
    assert WhatIf.parse("nonsense") == WhatIf()


def test_a_building_as_near_two_streets_walks_by_the_shorter_way_whatever_the_noise():
    """Halfway between the river's banks (100 m from each), 300 m along from a point on the south
    bank: 400 m by the south bank, 1,600 m by the north bank and the bridge. Which bank is
    "nearest" is floating-point noise, so a millimetre either way must not change the walk."""
    network, _ = river_town()
    demand = Demand.of(ids=[1, 2, 3], lonlat=lonlat((300, 100), (300, 100.001), (300, 99.999)), residents=[1, 1, 1],
                       street=[1, 1, 1], community=[1, 1, 1], village=[False] * 3)  # fmt: skip
    walked = coverage(network, demand, lonlat((0, 0)), max_walk_m=450)
    assert walked.walks.metres == pytest.approx([400, 400, 400], abs=0.01) and walked.covered.all()
    assert catchments(network, demand, lonlat((0, 0)), limit=450).tolist() == [0, 0, 0]


def test_a_walk_on_the_threshold_is_within_it():
    network, _ = river_town()
    demand = Demand.of(ids=[1, 2], lonlat=lonlat((300, 0), (300.05, 0)), residents=[1, 1], street=[1, 1],
                       community=[1, 1], village=[False, False])  # fmt: skip
    walked = coverage(network, demand, lonlat((0, 0)), max_walk_m=300)
    assert walked.covered.tolist() == [True, False]  # 300 m (give or take the sums' noise), 300.05 m
    assert (catchments(network, demand, lonlat((0, 0)), limit=300) >= 0).tolist() == [True, False]


def test_catchments_and_coverage_join_the_network_the_same_way():
    """Every building drawn inside a point's catchment is covered, and walks to that point as far
    as coverage with that point alone says; every other building is not covered."""
    network, _ = river_town()
    rng = np.random.default_rng(7)
    spots = np.column_stack([rng.uniform(0, 800, 300), rng.uniform(-40, 240, 300)])
    demand = Demand.of(ids=np.arange(300), lonlat=lonlat(*spots), residents=np.ones(300), street=np.ones(300),
                       community=np.ones(300), village=np.zeros(300, bool))  # fmt: skip
    points = lonlat((0, 0), (450, 200), (790, 30))
    owner = catchments(network, demand, points, limit=500)
    walked = coverage(network, demand, points, max_walk_m=500)
    assert ((owner >= 0) == walked.covered).all() and 0 < walked.covered.sum() < 300
    for p in range(3):
        alone = coverage(network, demand, points[p : p + 1], max_walk_m=500).walks.metres
        mine = owner == p
        assert mine.any() and alone[mine] == pytest.approx(walked.walks.metres[mine], abs=1e-6)
