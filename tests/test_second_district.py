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
    printed = results[buildings_line].stdout
    assert f"compound and number read from the address: {len(truth.buildings)}" in printed
    assert "address gave no compound or building number (the geocoder cannot find these): 1" in printed
    assert "B-NO-NUMBER: 四川省成都市武侯区浆洗街道旁的仓库" in printed


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


def test_the_demo_is_never_loaded_over_this_district(district):
    """./serve.sh runs `gridgov demo`: on a database holding a district of its own it loads nothing."""
    engine, work, _, _, env = district
    result = run("gridgov demo", cwd=work, env=env)
    assert result.returncode == 0 and "holds 武侯区, not the demo; nothing loaded" in result.stdout
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM district")).scalar_one() == 1


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


PAGES = ("monitor", "map", "inspections", "coverage", "audit")


@pytest.mark.browser
def test_every_page_shows_this_district_in_a_browser_with_a_clean_console(district, settings, tmp_path):
    """Every page, as an admin: HTTP 200 and no 5xx from any callback, the district's own name, no
    demo name, nothing fetched from another host, no console error."""
    from playwright.sync_api import sync_playwright

    from tests.auth import make_account
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, serving, sign_in
    from tests.browser import host as _host

    engine, _, _, _, env = district
    admin = make_account(engine, "wuhou_admin", "admin")
    problems: list[str] = []
    requests: list[str] = []
    with (
        serving(settings, tmp_path, DATABASE_URL=env["DATABASE_URL"]) as (url, _log),
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        sign_in(page, url, admin, then="monitor")
        for path in PAGES:
            response = page.goto(f"{url}{path}")
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("networkidle")
            text = page.inner_text("body")
            assert "武侯区" in page.title() + text, (path, text[:500])
            assert "平城" not in page.content(), path
        browser.close()
    assert not problems, problems
    assert {_host(r) for r in requests} <= LOCAL_HOSTS
