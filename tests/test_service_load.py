"""Coverage counted in the people a service serves, and the load on each point's staff (#18),
on a hand-built town whose answers are worked out by hand; the groups' columns ingested from a
survey file through `gridgov ingest buildings`, a wrong count quarantined with its reason.

The town is the river town of test_coverage (banks 200 m apart, one bridge at x = 800 m).
Points: P1 (0, 0) with 2 staff, P2 (0, 200) with 1, P3 (800, 0) with none recorded, P4 (400,
200) with 1. Buildings (residents / over 60): A (100, -10) 400 / 100, B (300, -10) 600 / 300,
C (0, 210) 900 / 50, D (700, -10) 200 / 150, F (400, 210) 300 / 290. At 300 m: A walks 110 m to
P1, B 310 m (out), C 10 m to P2, D 110 m to P3, F 10 m to P4.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.coverage.views import CoverageCache, Serving, WhatIf, coverage_view
from geo.errors import ConfigError
from geo.service_types import SERVICE_TYPES, service_types_from_file
from layers.coverage import Demand, catchments, coverage
from layers.service_load import loads
from tests.databases import fresh_database
from tests.small_district import SOUTH, WEST, ingest
from tests.sql import all_rows
from tests.test_coverage import lonlat, river_town

POINTS = pd.DataFrame(
    {"id": [1, 2, 3, 4], "name": ["P1", "P2", "P3", "P4"], "staff": [2.0, 1.0, np.nan, 1.0]}
)
WHERE = lonlat((0, 0), (0, 200), (800, 0), (400, 200))
RESIDENTS, ELDERS = [400, 600, 900, 200, 300], [100, 300, 50, 150, 290]


def town(elders=ELDERS) -> tuple[object, Demand]:
    network, _ = river_town()
    demand = Demand.of(ids=[1, 2, 3, 4, 5], lonlat=lonlat((100, -10), (300, -10), (0, 210), (700, -10), (400, 210)),
                       residents=RESIDENTS, street=[1] * 5, community=[1] * 5, village=[False] * 5)  # fmt: skip
    groups = {
        "aged_60_plus": np.asarray(elders, float),
        "youth": np.full(5, np.nan),
        "working_age": np.full(5, np.nan),
    }
    return network, dataclasses.replace(demand, groups=groups)


def test_coverage_counts_the_people_the_type_serves_when_every_building_has_them():
    network, demand = town()
    elders, counted = demand.counting("aged_60_plus")
    assert counted == "aged_60_plus"
    assert coverage(network, demand, WHERE, max_walk_m=300).share == pytest.approx(1500 / 2000)
    assert coverage(network, elders, WHERE, max_walk_m=300).share == pytest.approx(590 / 890)  # B's 300 out
    _, partly = town([100, 300, np.nan, 150, 290])
    assert partly.counting("aged_60_plus")[1] == "residents"  # one building lacks the count: residents
    assert demand.counting("youth")[1] == "residents" and demand.counting("residents")[1] == "residents"


def test_each_points_load_and_the_overloaded_ones_by_the_median_and_by_a_norm():
    network, demand = town()
    elders, _ = demand.counting("aged_60_plus")
    owner = catchments(network, elders, WHERE, limit=300)
    assert owner.tolist() == [0, -1, 1, 2, 3]
    by_median = loads(POINTS, owner, elders.residents, norm=None).table.set_index("name")
    assert by_median["people"].to_dict() == {"P1": 100, "P2": 50, "P3": 150, "P4": 290}
    assert by_median["per_staff"].dropna().to_dict() == {"P1": 50, "P2": 50, "P4": 290}
    # median of 50, 50, 290 is 50: over 100 is overloaded; P3 has no staff recorded, never flagged
    load = loads(POINTS, owner, elders.residents, norm=None)
    assert (load.rule, load.limit, load.overloaded) == ("median", 100, 1)
    assert (
        load.table["name"].tolist()[0] == "P4" and load.table["name"].tolist()[-1] == "P3"
    )  # most loaded first
    normed = loads(POINTS, owner, elders.residents, norm=40)
    assert (normed.rule, normed.limit) == ("norm", 40)
    assert set(normed.table.loc[normed.table["overloaded"], "name"]) == {"P1", "P2", "P4"}
    by_residents = loads(POINTS, owner, demand.residents, norm=None).table.set_index("name")
    assert by_residents["per_staff"].dropna().to_dict() == {"P1": 200, "P2": 900, "P4": 300}
    assert by_residents.loc[by_residents["overloaded"]].index.tolist() == ["P2"]  # over 2 × 300


def test_a_type_says_whom_it_serves_and_its_norm_in_the_district_file(tmp_path):
    assert (
        SERVICE_TYPES["elder_care"].serves == "aged_60_plus"
        and SERVICE_TYPES["employment"].serves == "working_age"
    )
    path = tmp_path / "district.toml"
    path.write_text('[service_types.elder_care]\npeople_per_staff = 150\n[service_types.legal_aid]\nzh = "法律服务站"\n'
                    'serves = "residents"\n', encoding="utf-8")  # fmt: skip
    types = service_types_from_file(path)
    assert (types["elder_care"].serves, types["elder_care"].people_per_staff) == ("aged_60_plus", 150)
    assert Serving.of(types["elder_care"]) == Serving("aged_60_plus", 150)
    for body, message in (
        ('serves = "pets"', "serves must be one of"),
        ("people_per_staff = 0", "positive whole"),
    ):
        path.write_text(f"[service_types.elder_care]\n{body}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            service_types_from_file(path)


@pytest.fixture(scope="module")
def surveyed(cluster, small_district, tmp_path_factory):
    """The small district with buildings from a survey that counts residents over 60 (one row
    counts more elders than residents) and two elder-care points."""
    folder = tmp_path_factory.mktemp("survey")
    centres = [(WEST + 0.005 + 0.004 * i, SOUTH + 0.005) for i in range(4)]
    survey = gpd.GeoDataFrame(
        {"楼栋编码": ["L1", "L2", "L3", "L4"], "户数": [40, 30, 20, 10], "人数": [100, 80, 50, 30],
         "60岁以上人口": [30, 20, 60, 10]},
        geometry=[shapely.box(x - 0.0002, y - 0.0002, x + 0.0002, y + 0.0002) for x, y in centres], crs=4326,
    )  # fmt: skip
    survey.to_file(folder / "楼栋.geojson", engine="pyogrio")
    points = pd.DataFrame({"编号": ["E1", "E2"], "服务类型": ["助老服务站"] * 2, "名称": ["一站", "二站"],
                           "级别": ["社区", "社区"], "工作人员数": [1, 4],
                           "经度": [centres[0][0], centres[3][0]], "纬度": [centres[0][1], centres[3][1]]})  # fmt: skip
    points.to_csv(folder / "points.csv", index=False)
    with fresh_database(cluster, template=small_district) as engine:
        out = ingest(engine, "buildings", folder / "楼栋.geojson")
        ingest(engine, "service-points", folder / "points.csv", "--crs", "wgs84")
        yield engine, out


def test_the_survey_columns_load_and_a_count_over_the_residents_is_quarantined(surveyed):
    engine, _ = surveyed
    assert all_rows(engine, "SELECT source_id, residents, aged_60_plus FROM building ORDER BY 1") == [
        ("L1", 100, 30), ("L2", 80, 20), ("L4", 30, 10),
    ]  # fmt: skip
    (reason,) = all_rows(engine, "SELECT reason FROM quarantine WHERE raw->>'楼栋编码' = 'L3'")[0]
    assert "60岁以上人口为负或多于人数" in reason


def test_the_coverage_page_counts_elders_for_elder_care(surveyed):
    engine, _ = surveyed
    with engine.connect() as conn:
        view = coverage_view(conn, CoverageCache(), kind="elder_care", metres=200, what_if=WhatIf(),
                             serving=Serving.of(SERVICE_TYPES["elder_care"]))  # fmt: skip
    assert view.counted == "aged_60_plus"
    assert view.result.demand.residents.sum() == 60  # 30 + 20 + 10 elders; not 210 residents
    assert view.load is not None and view.load.table.set_index("name")["staff"].to_dict() == {
        "一站": 1,
        "二站": 4,
    }
