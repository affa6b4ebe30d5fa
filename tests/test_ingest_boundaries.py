"""Boundaries: load a district from survey files, keep history, repair, report topology."""

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import sqlalchemy as sa

from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from tests.sql import one

LEVELS = ("district", "street", "community", "grid")
EXPORT = {
    "district": "SELECT code AS 区划代码, name AS 名称, geom FROM district",
    "street": "SELECT code AS 区划代码, name AS 名称, geom FROM street",
    "community": "SELECT code AS 区划代码, name AS 名称, kind AS 类型, geom FROM community",
    "grid": "SELECT code AS 网格编码, name AS 网格名称, worker_name AS 网格员, geom FROM grid",
}


@pytest.fixture(scope="module")
def survey(demo, tmp_path_factory):
    """The demo's boundaries written out as a clerk's survey files (GeoPackage, one per level)."""
    folder = tmp_path_factory.mktemp("survey")
    with demo.connect() as conn:
        frames = {level: gpd.read_postgis(sa.text(EXPORT[level]), conn, geom_col="geom") for level in LEVELS}
    for level, frame in frames.items():
        frame.to_file(folder / f"{level}.gpkg", engine="pyogrio")
    return folder, frames


def load(engine, path, level):
    return run_file(
        engine, kind=get_kind("boundaries", level), path=Path(path), options=JobOptions(source="survey")
    )


def test_survey_files_load_the_whole_hierarchy_and_reload_unchanged(migrated_engine, survey):
    folder, frames = survey
    for level in LEVELS:
        result = load(migrated_engine, folder / f"{level}.gpkg", level)
        assert (result.inserted, result.quarantined) == (len(frames[level]), 0), level
    assert one(migrated_engine, "SELECT count(*) FROM community WHERE kind = 'village'") == 47
    assert one(migrated_engine, "SELECT count(*) FROM grid g JOIN community c ON c.id = g.community_id "
                               "WHERE left(g.code, 12) <> c.code") == 0  # fmt: skip
    topology = result.report["topology"]
    assert topology["totals_m2"] == {"overlaps": 0.0, "gaps": 0.0, "spills": 0.0}
    again = load(migrated_engine, folder / "grid.gpkg", "grid")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(frames["grid"]))


def test_a_redrawn_boundary_keeps_its_history(migrated_engine, survey, tmp_path):
    folder, frames = survey
    for level in ("district", "street", "community"):
        load(migrated_engine, folder / f"{level}.gpkg", level)
    with migrated_engine.begin() as conn:  # pretend the first load happened last year
        conn.execute(sa.text("UPDATE community SET valid_from = '2024-01-01'"))
    redrawn = frames["community"].copy()
    first = redrawn.index[0]
    redrawn.loc[first, "geom"] = shapely.buffer(
        redrawn.loc[first, "geom"], 0.0005
    )  # grows ~50 m into its neighbours
    redrawn.loc[first + 1, "名称"] = "新名称社区居民委员会"
    path = tmp_path / "community_v2.gpkg"
    redrawn.to_file(path, engine="pyogrio")
    result = load(migrated_engine, path, "community")
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 200)
    code = redrawn.loc[first, "区划代码"]
    versions = one(migrated_engine, "SELECT count(*) FROM community WHERE code = :c", c=code)
    current = one(
        migrated_engine, "SELECT count(*) FROM community WHERE code = :c AND valid_to IS NULL", c=code
    )
    assert (versions, current) == (2, 1)
    assert result.report["topology"]["totals_m2"]["overlaps"] > 1000
    assert result.report["topology"]["totals_m2"]["spills"] > 0


def test_invalid_polygons_are_repaired_and_orphans_quarantined(migrated_engine, survey, tmp_path):
    folder, frames = survey
    for level in ("district", "street"):
        load(migrated_engine, folder / f"{level}.gpkg", level)
    bad = frames["community"].head(3).copy()
    x, y = bad.geometry.iloc[0].centroid.coords[0]
    bowtie = shapely.Polygon([(x, y), (x + 0.002, y + 0.002), (x + 0.002, y), (x, y + 0.002), (x, y)])
    bad.loc[bad.index[0], "geom"] = bowtie
    bad.loc[bad.index[1], "区划代码"] = "140213999001"  # its street does not exist
    bad.loc[bad.index[2], "区划代码"] = "12345"
    path = tmp_path / "bad.gpkg"
    bad.to_file(path, engine="pyogrio")
    result = load(migrated_engine, path, "community")
    assert (result.inserted, result.quarantined) == (1, 2)
    assert result.notes["invalid polygons repaired (make_valid)"] == 1
    assert one(migrated_engine, "SELECT bool_and(ST_IsValid(geom)) FROM community")


def test_parents_by_column_then_by_location_when_codes_do_not_name_them(migrated_engine, survey, tmp_path):
    """A bureau's own 12-digit codes that name no loaded street: the 所属街道 column (a name) places
    the rows that have one, the rest are placed by where they lie; the notes say how many."""
    folder, frames = survey
    for level in ("district", "street"):
        load(migrated_engine, folder / f"{level}.gpkg", level)
    with migrated_engine.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT code, name FROM street")).all())
    local = frames["community"].copy()
    truth = local["区划代码"].str.slice(0, 9) + "000"
    local["所属街道"] = [names[c] if i % 2 == 0 else None for i, c in enumerate(truth)]
    local["区划代码"] = "999999" + local["区划代码"].str.slice(6)
    path = tmp_path / "local.gpkg"
    local.to_file(path, engine="pyogrio")
    result = load(migrated_engine, path, "community")
    half = (len(local) + 1) // 2
    assert (result.inserted, result.quarantined) == (len(local), 0)
    assert result.notes["parent found by parent column"] == half
    assert result.notes["parent found by location"] == len(local) - half
    got = one(migrated_engine, "SELECT count(*) FROM community c JOIN street s ON s.id = c.street_id "
                              "WHERE left(s.code, 9) = '140213' || substr(c.code, 7, 3)")  # fmt: skip
    assert got == len(local)
