"""Helpers that write real input files (every supported format and CRS) from demo buildings."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from geo import crs

HEADERS_ZH = {
    "source_id": "工单编号",
    "category": "诉求类型",
    "description": "诉求内容",
    "reported_at": "受理时间",
    "closed_at": "办结时间",
    "lon": "经度",
    "lat": "纬度",
    "address": "事发地址",
}
HEADERS_EN = {
    "source_id": "ticket_id",
    "category": "category",
    "description": "content",
    "reported_at": "report_time",
    "closed_at": "close_time",
    "lon": "longitude",
    "lat": "latitude",
    "address": "address",
}


def sample_buildings(engine, n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` demo buildings: id, address, centroid lon/lat (WGS-84), grid id."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, address, grid_id, ST_X(ST_Centroid(geom)) lon, ST_Y(ST_Centroid(geom)) lat FROM building "
                "ORDER BY md5(id::text || :seed) LIMIT :n"
            ),
            {"seed": str(seed), "n": n},
        ).all()
    return pd.DataFrame(rows, columns=["id", "address", "grid_id", "lon", "lat"])


def incident_rows(buildings: pd.DataFrame, *, prefix: str) -> pd.DataFrame:
    n = len(buildings)
    start = pd.Timestamp("2025-03-01 08:00")
    return pd.DataFrame(
        {
            "source_id": [f"{prefix}-{i:05d}" for i in range(n)],
            "category": np.resize(["环境卫生", "物业", "街面秩序", "安全隐患"], n),
            "description": [f"测试事件 {i}" for i in range(n)],
            "reported_at": [(start + pd.Timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(n)],
            "closed_at": [(start + pd.Timedelta(hours=i + 30)).strftime("%Y/%m/%d %H:%M") for i in range(n)],
            "lon": buildings.lon.to_numpy(),
            "lat": buildings.lat.to_numpy(),
            "address": buildings.address.to_numpy(),
        }
    )


def in_crs(frame: pd.DataFrame, system: str) -> pd.DataFrame:
    """Coordinates of ``frame`` (WGS-84) expressed in ``system``."""
    out = frame.copy()
    lon, lat = frame.lon.to_numpy(), frame.lat.to_numpy()
    if system == "gcj02":
        lon, lat = crs.wgs84_to_gcj02(lon, lat)
    elif system == "bd09":
        lon, lat = crs.wgs84_to_bd09(lon, lat)
    elif system == "EPSG:4547":
        lon, lat = crs.metric_transformer().transform(lon, lat)
    out["lon"], out["lat"] = np.round(lon, 8), np.round(lat, 8)
    return out


def write(
    frame: pd.DataFrame,
    path: Path,
    *,
    headers: dict[str, str] = HEADERS_ZH,
    encoding: str = "utf-8",
    system: str = "wgs84",
) -> Path:
    """Write ``frame`` as the format ``path``'s suffix names (vector formats carry the CRS)."""
    table = frame.rename(columns=headers)
    suffix = path.suffix
    if suffix == ".csv":
        table.to_csv(path, index=False, encoding=encoding)
    elif suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        lon, lat = table.pop(headers["lon"]), table.pop(headers["lat"])
        epsg = {"wgs84": 4326, "EPSG:4547": 4547}.get(system)
        gdf = gpd.GeoDataFrame(table, geometry=shapely.points(lon, lat), crs=epsg)
        if suffix == ".parquet":
            gdf.to_parquet(path)
        elif suffix == ".zip":
            shp = path.with_suffix(".shp")
            gdf.to_file(shp, engine="pyogrio", encoding="gbk")  # DBF names hold 10 bytes: GBK, as surveys do
            with zipfile.ZipFile(path, "w") as z:
                for part in path.parent.glob(shp.stem + ".*"):
                    if part.suffix != ".zip":
                        z.write(part, part.name)
        else:
            gdf.to_file(path, engine="pyogrio")
    return path


def many_incidents(buildings: pd.DataFrame, n: int, *, prefix: str, seed: int = 0) -> pd.DataFrame:
    """``n`` incidents spread over the given buildings and over a year (a realistic big file)."""
    rng = np.random.default_rng(seed)
    pick = buildings.iloc[rng.integers(0, len(buildings), n)].reset_index(drop=True)
    rows = incident_rows(pick, prefix=prefix)
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, 365 * 24, n), unit="h")
    rows["reported_at"] = start.strftime("%Y-%m-%d %H:%M:%S")
    rows["closed_at"] = (start + pd.to_timedelta(rng.uniform(1, 72, n), unit="h")).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    rows["lon"] += rng.uniform(-1e-4, 1e-4, n)
    rows["lat"] += rng.uniform(-1e-4, 1e-4, n)
    return rows
