"""A district the demo never saw, loaded by running README's "Bring your own district" lines as
a user would (subprocesses of the real CLI) into a database of its own.

The files come from tests/second_district.py: Wuhou District's real outline, synthetic
boundaries and buildings in one multi-layer GeoPackage with the bureau's own names, buildings
with a full address only, incidents in WGS-84, GCJ-02 and as noisy addresses.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.databases import fresh_database
from tests.second_district import write_all

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def readme_commands() -> list[str]:
    """The ```sh block of README's "Bring your own district" section, a command a line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Bring your own district", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's Bring your own district section has no sh block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def run(line: str, *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def district(cluster, settings, tmp_path_factory):
    """The files, a private database, and what README's commands printed."""
    work = tmp_path_factory.mktemp("wuhou")
    truth = write_all(work)
    with fresh_database(cluster) as engine:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "GRIDGOV_DATA_DIR": str(settings.data_dir),
            "PATH": f"{BIN}:{os.environ['PATH']}",
        }
        results = {line: run(line, cwd=work, env=env) for line in readme_commands()}
        yield engine, work, truth, results, env


def test_every_readme_command_succeeds(district):
    _, _, _, results, _ = district
    assert len(results) >= 8
    for line, result in results.items():
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, line


def test_the_hierarchy_is_loaded_with_every_parent(district):
    engine, _, truth, results, _ = district
    with engine.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE valid_to IS NULL")).scalar_one()
            for t in ("district", "street", "community", "grid")
        }
        orphans = conn.execute(
            sa.text(
                "SELECT count(*) FROM grid g LEFT JOIN community c ON c.id = g.community_id WHERE c.id IS NULL"
            )
        ).scalar_one()
        name = conn.execute(sa.text("SELECT name FROM district")).scalar_one()
        workers = conn.execute(
            sa.text("SELECT count(*) FROM grid WHERE worker_phone IS NOT NULL")
        ).scalar_one()
    assert counts == {"district": 1, "street": len(truth.streets), "community": len(truth.communities),
                      "grid": len(truth.grids)}  # fmt: skip
    assert orphans == 0 and name == "武侯区" and workers == len(truth.grids)
    buildings_line = next(line for line in results if "ingest buildings" in line)
    assert (
        f"compound and number read from the address: {len(truth.buildings)}" in results[buildings_line].stdout
    )


@pytest.mark.parametrize(("source", "key"), [("grid-app", "wgs84"), ("mini-program", "gcj02")])
def test_points_land_in_their_true_grid(district, source, key):
    engine, work, _, _, _ = district
    truth = json.loads((work / "truth.json").read_text(encoding="utf-8"))[key]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.source_id, g.code FROM incident i LEFT JOIN grid g ON g.id = i.grid_id WHERE i.source = :s"
            ),
            {"s": source},
        ).all()
    right = sum(truth[sid] == code for sid, code in rows)
    assert len(rows) == len(truth)
    assert right / len(truth) >= 0.999, (right, len(truth))


def test_addresses_reach_the_right_building_and_never_a_wrong_one(district):
    engine, work, _, _, _ = district
    truth = json.loads((work / "truth.json").read_text(encoding="utf-8"))["address"]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.source_id, b.source_id FROM incident i "
                "LEFT JOIN building b ON ST_Contains(b.geom, i.geom) WHERE i.source = '12345'"
            )
        ).all()
    right = sum(truth[sid] == building for sid, building in rows)
    wrong = sum(building is not None and truth[sid] != building for sid, building in rows)
    inside_nothing = sum(building is None for _, building in rows)
    assert wrong == 0 and inside_nothing == 0
    assert right / len(truth) >= 0.95, (right, len(truth))


def test_addresses_of_other_districts_match_nothing(district):
    _, work, _, _, env = district
    result = run(
        "gridgov ingest incidents incidents_other_district.csv --source other --quiet", cwd=work, env=env
    )
    assert result.returncode == 0, result.stderr
    read, inserted = re.search(r"read (\d+), inserted (\d+)", result.stdout).groups()  # type: ignore[union-attr]
    assert int(read) == 300 and int(inserted) == 0
    run_id = re.search(r"ingest report (\d+)", result.stdout).group(1)  # type: ignore[union-attr]
    report = run(f"gridgov ingest report {run_id}", cwd=work, env=env).stdout
    for named in ("锦江区", "青羊区", "山西省大同市平城区", "北京市东城区"):
        assert f"another district: {named}" in report, report


def test_a_multi_layer_file_without_layer_is_refused_with_its_layers(district):
    _, work, _, _, env = district
    result = run("gridgov ingest boundaries district.gpkg --level street", cwd=work, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for layer in ("区县界", "街道界", "社区界", "网格", "楼栋"):
        assert layer in result.stderr
    assert "--layer" in result.stderr and "features" in result.stderr


def test_streets_loaded_as_communities_are_refused(district):
    _, work, _, _, env = district
    copy = work / "streets-as-communities.gpkg"
    import geopandas as gpd

    streets = gpd.read_file(work / "district.gpkg", layer="街道界")
    streets.rename(columns={"街道代码": "代码", "街道名称": "名称"}).to_file(copy, driver="GPKG")
    result = run(f"gridgov ingest boundaries {shlex.quote(copy.name)} --level community", cwd=work, env=env)
    assert result.returncode == 2, result.stdout
    assert "street code" in result.stderr and "--level community" in result.stderr
