"""Buildings, roads, service points, inspection targets and ledgers, loaded into an empty
database whose boundaries came in through the boundaries job."""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

from geo import migrate
from geo.db import make_engine
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from tests.sql import one

EXPORT = {
    "district": "SELECT code AS 区划代码, name AS 名称, geom FROM district",
    "street": "SELECT code AS 区划代码, name AS 名称, geom FROM street",
    "community": "SELECT code AS 区划代码, name AS 名称, geom FROM community",
    "grid": "SELECT code AS 网格编码, name AS 网格名称, geom FROM grid",
    "buildings": "SELECT b.source_id AS 楼栋编号, compound AS 小区, number AS 楼号, households AS 户数, geom FROM building b "
    "WHERE b.community_id IN (SELECT id FROM community WHERE street_id = 1)",
    "roads": "SELECT source_id AS 编号, name AS 名称, kind AS 道路等级, geom FROM road_segment ORDER BY id LIMIT 3000",
}


@pytest.fixture(scope="module")
def district(demo, cluster, tmp_path_factory):
    """An empty database, migrated, with the demo's boundaries ingested from GeoPackages."""
    folder = tmp_path_factory.mktemp("kinds")
    with demo.connect() as conn:
        for name, query in EXPORT.items():
            gpd.read_postgis(sa.text(query), conn, geom_col="geom").to_file(
                folder / f"{name}.gpkg", engine="pyogrio"
            )
    conninfo = f"host={cluster.socket_dir} port=5432 user=gridgov dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS kinds WITH (FORCE)")
        conn.execute("CREATE DATABASE kinds TEMPLATE template0 ENCODING 'UTF8'")
    engine = make_engine(cluster.url.replace("/gridgov?", "/kinds?"))
    migrate.upgrade(engine)
    for level in ("district", "street", "community", "grid"):
        run_file(
            engine,
            kind=get_kind("boundaries", level),
            path=folder / f"{level}.gpkg",
            options=JobOptions(source="survey"),
        )
    yield engine, folder
    engine.dispose()


def ingest(engine, kind, path, **options):
    return run_file(
        engine, kind=get_kind(kind), path=Path(path), options=JobOptions(**{"source": "t", **options})
    )


def test_buildings_get_their_grid_and_estimated_residents(district):
    engine, folder = district
    result = ingest(engine, "buildings", folder / "buildings.gpkg")
    assert result.quarantined == 0 and result.inserted > 500
    assert result.notes["residents estimated as households × 2.5"] == result.inserted
    assert one(engine, "SELECT count(*) FROM building WHERE grid_id IS NULL OR community_id IS NULL") == 0
    assert (
        one(
            engine,
            "SELECT count(*) FROM building b JOIN grid g ON g.id = b.grid_id WHERE NOT ST_Within(b.geom, g.geom)",
        )
        == 0
    )
    assert ingest(engine, "buildings", folder / "buildings.gpkg").unchanged == result.inserted


def test_roads_get_shared_nodes_and_lengths(district):
    engine, folder = district
    result = ingest(engine, "roads", folder / "roads.gpkg")
    assert result.inserted == 3000
    assert one(engine, "SELECT round(min(length_m)::numeric, 1) FROM road_segment") == pytest.approx(
        50.0, abs=0.2
    )
    shared = one(
        engine,
        "SELECT count(*) FROM (SELECT n FROM (SELECT source_node n FROM road_segment UNION ALL "
        "SELECT target_node FROM road_segment) x GROUP BY n HAVING count(*) > 1) y",
    )
    assert shared > 1000  # segments meet at nodes, so pgRouting can walk the network
    route = one(
        engine,
        "SELECT count(*) FROM pgr_dijkstra('SELECT id, source_node AS source, target_node AS target, "
        "length_m AS cost, length_m AS reverse_cost FROM road_segment', "
        "(SELECT source_node FROM road_segment ORDER BY id LIMIT 1), "
        "(SELECT target_node FROM road_segment ORDER BY id LIMIT 1))",
    )
    assert route >= 1


def test_service_points_from_a_hand_typed_sheet(district, tmp_path):
    engine, _ = district
    with engine.connect() as conn:
        x, y = conn.execute(
            sa.text(
                "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM community LIMIT 1) q"
            )
        ).one()
    sheet = pd.DataFrame(
        {
            "编号": ["S1", "S2", "S3"],
            "服务类型": ["就业社保服务点", "助老服务站", "宠物医院"],
            "名称": ["某社区就业社保服务点", "某社区助老服务站", "某宠物医院"],
            "级别": ["社区", "社区", "社区"],
            "经度": [x, x, x],
            "纬度": [y, y, y],
        }
    )
    sheet.to_excel(tmp_path / "points.xlsx", index=False)
    result = ingest(engine, "service-points", tmp_path / "points.xlsx", crs="wgs84")
    assert (result.inserted, result.quarantined) == (2, 1)
    assert one(
        engine, "SELECT string_agg(kind || ':' || opening_hours, ',' ORDER BY kind) FROM service_point"
    ) == ("elder_care:08:00-18:00,employment:08:30-17:30")
    assert one(engine, "SELECT count(*) FROM service_point WHERE community_id IS NULL") == 0


def test_targets_then_their_ledger(district, tmp_path):
    engine, _ = district
    with engine.connect() as conn:
        x, y = conn.execute(
            sa.text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM grid LIMIT 1) q")
        ).one()
    targets = pd.DataFrame(
        {
            "对象编号": ["T1", "T2"],
            "对象类型": ["废品收购站", "民宿"],
            "名称": ["老王废品站", "古城民宿"],
            "风险等级": ["高", "低"],
            "经度": [x, x],
            "纬度": [y, y],
        }
    )
    targets.to_csv(tmp_path / "targets.csv", index=False)
    assert ingest(engine, "inspection-targets", tmp_path / "targets.csv", crs="wgs84").inserted == 2
    assert one(
        engine,
        "SELECT string_agg(kind || risk_level || '/' || interval_days, ',' ORDER BY source_id) FROM inspection_target",
    ) == ("scrap_station3/30,homestay1/30")
    ledger = pd.DataFrame(
        {
            "记录编号": ["I1", "I2", "I3"],
            "对象编号": ["T1", "T2", "T9"],
            "检查时间": ["2025-06-01 09:00", "2025-06-02 10:00", "2025-06-03 10:00"],
            "是否合格": ["不合格", "合格", "合格"],
            "发现问题": ["灭火器过期；废品堆放混乱", "", ""],
        }
    )
    ledger.to_csv(tmp_path / "ledger.csv", index=False)
    result = ingest(engine, "inspections", tmp_path / "ledger.csv")
    assert (result.inserted, result.quarantined) == (2, 1)
    findings = one(engine, "SELECT findings FROM inspection WHERE source_id = 'I1'")
    assert findings == ["灭火器过期", "废品堆放混乱"]
