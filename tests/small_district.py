"""A small district the demo never saw (测试区, code 110105), written as a user's files and
loaded by running `gridgov ingest …` as a user does.

The district is a 6 × 4 km rectangle east of Beijing's centre: two streets side by side, each
with a community (north) and a village (south), each of those cut into two grids. Buildings,
service points and inspection targets are optional: ``write_sites`` adds a few of each, and
no road network is ever written (the pages must then use straight lines).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
NAME, CODE = "测试区", "110105"
WEST, SOUTH, EAST, NORTH = 116.44, 39.90, 116.51, 39.936
STREETS = (("110105001000", "东坝街道"), ("110105002000", "金盏街道"))
LEVELS = ("district", "street", "community", "grid")


def _box(west: float, south: float, east: float, north: float) -> shapely.Polygon:
    return shapely.box(west, south, east, north)


def _rows() -> dict[str, list[dict[str, object]]]:
    """Rows of each level: code, name, (kind), geometry."""
    mid_lon, mid_lat = (WEST + EAST) / 2, (SOUTH + NORTH) / 2
    rows: dict[str, list[dict[str, object]]] = {level: [] for level in LEVELS}
    rows["district"].append({"code": CODE, "name": NAME, "geometry": _box(WEST, SOUTH, EAST, NORTH)})
    for (code, name), (w, e) in zip(STREETS, ((WEST, mid_lon), (mid_lon, EAST)), strict=True):
        rows["street"].append({"code": code, "name": name, "geometry": _box(w, SOUTH, e, NORTH)})
        halves = ((code[:9] + "001", name[:2] + "社区", "社区", mid_lat, NORTH),
                  (code[:9] + "201", name[:2] + "村", "村", SOUTH, mid_lat))  # fmt: skip
        for unit, unit_name, kind, s, n in halves:
            rows["community"].append(
                {"code": unit, "name": unit_name, "kind": kind, "geometry": _box(w, s, e, n)}
            )
            cut = (w + e) / 2
            for seq, (gw, ge) in enumerate(((w, cut), (cut, e)), 1):
                rows["grid"].append({"code": f"{unit}{seq:03d}", "name": f"{unit_name}第{seq}网格",
                                     "worker_name": f"网格员{seq}", "geometry": _box(gw, s, ge, n)})  # fmt: skip
    return rows


def write_boundaries(folder: Path) -> dict[str, Path]:
    """One GeoJSON file per level, in WGS-84: level → path."""
    paths = {}
    for level, rows in _rows().items():
        path = folder / f"{level}.geojson"
        gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=4326).to_file(path, engine="pyogrio")
        paths[level] = path
    return paths


def write_sites(folder: Path) -> dict[str, Path]:
    """A few buildings (footprints with households), service points and inspection targets:
    kind → path (ingest them with ``gridgov ingest KIND PATH``)."""
    lons = [WEST + 0.004 + 0.006 * i for i in range(11)]
    lats = [SOUTH + 0.004 + 0.007 * j for j in range(5)]
    centres = [(lon, lat) for lon in lons for lat in lats]
    buildings = gpd.GeoDataFrame(
        {"楼栋编号": [f"B{i:03d}" for i in range(len(centres))], "小区": [f"幸福小区{i // 5}" for i in range(len(centres))],
         "楼号": [str(i % 5 + 1) for i in range(len(centres))], "户数": [40 + i for i in range(len(centres))]},
        geometry=[_box(x - 0.0003, y - 0.0002, x + 0.0003, y + 0.0002) for x, y in centres], crs=4326,
    )  # fmt: skip
    points = pd.DataFrame({"编号": ["S1", "S2", "S3"], "服务类型": ["助老服务站", "助老服务站", "就业社保服务点"],
                           "名称": ["东坝助老站", "金盏助老站", "东坝街道就业社保服务站"], "级别": ["社区", "村", "街道"],
                           "经度": [WEST + 0.01, EAST - 0.01, WEST + 0.02], "纬度": [NORTH - 0.01, SOUTH + 0.01, SOUTH + 0.02]})  # fmt: skip
    targets = pd.DataFrame({"对象编号": [f"T{i}" for i in range(6)], "对象类型": ["民宿", "平房", "废品收购站"] * 2,
                            "名称": [f"测试对象{i}" for i in range(6)], "风险等级": ["高", "中", "低"] * 2,
                            "经度": [WEST + 0.005 + 0.011 * i for i in range(6)], "纬度": [SOUTH + 0.01 + 0.004 * i for i in range(6)]})  # fmt: skip
    paths = {"buildings": folder / "buildings.geojson", "service-points": folder / "points.csv",
             "inspection-targets": folder / "targets.csv"}  # fmt: skip
    buildings.to_file(paths["buildings"], engine="pyogrio")
    points.to_csv(paths["service-points"], index=False)
    targets.to_csv(paths["inspection-targets"], index=False)
    return paths


def gridgov(
    engine: Engine, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m gridgov ARGS`` on ``engine``'s database, as a user runs it."""
    url = engine.url.render_as_string(hide_password=False)
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "gridgov", *args],
        capture_output=True, text=True, cwd=ROOT, env={**base, "DATABASE_URL": url, **(env or {})}, timeout=300,
    )  # fmt: skip


def ingest(engine: Engine, kind: str, path: Path, *extra: str) -> str:
    """``gridgov ingest KIND PATH …`` (checked): its output."""
    result = gridgov(engine, "ingest", kind, str(path), "--quiet", *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def load_boundaries(engine: Engine, folder: Path) -> None:
    """Every level through `gridgov ingest boundaries FILE --level LEVEL`."""
    for level, path in write_boundaries(folder).items():
        ingest(engine, "boundaries", path, "--level", level)


def load_sites(engine: Engine, folder: Path) -> None:
    """Buildings, service points and inspection targets (no roads, no incidents)."""
    for kind, path in write_sites(folder).items():
        ingest(engine, kind, path, *(() if path.suffix == ".geojson" else ("--crs", "wgs84")))
