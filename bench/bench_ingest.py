"""Ingest benchmark: coordinates CSV → PostGIS with grid assignment, and address geocoding.

Run on demand (never in the test suite):
    .venv/bin/python -m bench.bench_ingest [--rows 100000 1000000] [--repeat 3] [--addresses 20000]

It uses a database of its own, ``gridgov_bench``, on the configured server (the embedded
cluster unless DATABASE_URL is set), loads the demo district into it once, and prints rows/s
and the ratio against a simple baseline: geopandas ``read_csv`` + ``sjoin`` + ``to_postgis``.
A new source's first load is timed ``--repeat`` times (after a CHECKPOINT, so one run's
writes are not flushed during the next) and the median is reported with every run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from rapidfuzz import fuzz, process

from geo import migrate
from geo.db import database_url, make_engine
from geo.partitions import partition_name
from geo.settings import Settings
from ingest.demo import load_demo
from ingest.demo._reference import ALIASES_CSV
from ingest.demo.noisy import noisy_addresses
from ingest.geocode.gazetteer import read_aliases
from ingest.geocode.matcher import AddressMatcher
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind

DB = "gridgov_bench"


def bench_engine(name: str = DB) -> sa.engine.Engine:
    """A database of the benchmark's own on the configured server, migrated, with the demo loaded."""
    url = sa.engine.make_url(database_url(Settings.from_env()))
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": name}).first():
            conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"))
    admin.dispose()
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    migrate.upgrade(engine)
    load_demo(engine)
    return engine


def write_csv(engine: sa.engine.Engine, rows: int, folder: Path) -> Path:
    with engine.connect() as conn:
        b = pd.read_sql(
            sa.text("SELECT ST_X(ST_Centroid(geom)) lon, ST_Y(ST_Centroid(geom)) lat FROM building"), conn
        )
    rng = np.random.default_rng(rows)
    pick = b.iloc[rng.integers(0, len(b), rows)].reset_index(drop=True)
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, 365 * 24, rows), unit="h")
    frame = pd.DataFrame({
        "工单编号": [f"B{rows}-{i:08d}" for i in range(rows)], "诉求类型": rng.choice(["环境卫生", "物业", "街面秩序"], rows),
        "受理时间": start.strftime("%Y-%m-%d %H:%M:%S"), "经度": (pick.lon + rng.uniform(-1e-4, 1e-4, rows)).round(7),
        "纬度": (pick.lat + rng.uniform(-1e-4, 1e-4, rows)).round(7),
    })  # fmt: skip
    path = folder / f"incidents_{rows}.csv"
    frame.to_csv(path, index=False)
    return path


def forget(engine: sa.engine.Engine, source: str) -> None:
    """Drop a source's partition (and the links pointing into it) so it loads as new again."""
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{partition_name(source)}"'))
        conn.execute(sa.text(
            "UPDATE incident i SET duplicate_of = NULL WHERE duplicate_of IS NOT NULL "
            "AND NOT EXISTS (SELECT FROM incident o WHERE o.id = i.duplicate_of)"))  # fmt: skip


def _checkpoint(engine: sa.engine.Engine) -> None:
    """Flush the last run's writes now, not during the next run (needs pg_checkpoint or
    superuser, as the embedded cluster's user has; elsewhere runs go without)."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CHECKPOINT"))
    except sa.exc.DBAPIError:
        pass


def _load(engine: sa.engine.Engine, path: Path, *, expect_inserted: int) -> float:
    started = time.perf_counter()
    result = run_file(
        engine, kind=get_kind("incidents"), path=path, options=JobOptions(source="bench", crs="wgs84")
    )
    seconds = time.perf_counter() - started
    assert result.inserted == expect_inserted and result.quarantined == 0, result
    return seconds


def ours(engine: sa.engine.Engine, path: Path, rows: int, *, repeat: int) -> tuple[list[float], float]:
    """Seconds for each of ``repeat`` first loads of a new source (the source is dropped in
    between), then for loading the same file once more on top of the last (all unchanged)."""
    firsts = []
    for _ in range(repeat):
        forget(engine, "bench")
        _checkpoint(engine)
        firsts.append(_load(engine, path, expect_inserted=rows))
    return firsts, _load(engine, path, expect_inserted=0)


def baseline(engine: sa.engine.Engine, path: Path, rows: int) -> float:
    """What one would write first: pandas → GeoDataFrame → sjoin to grids → to_postgis."""
    started = time.perf_counter()
    frame = pd.read_csv(path)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["经度"], frame["纬度"]), crs=4326)
    with engine.connect() as conn:
        grids = gpd.read_postgis(
            sa.text("SELECT id AS grid_id, geom FROM grid WHERE valid_to IS NULL"), conn, geom_col="geom"
        )
    joined = gpd.sjoin(points, grids, how="left", predicate="within").drop(columns="index_right")
    joined.to_postgis("bench_baseline", engine, if_exists="replace", index=False)
    seconds = time.perf_counter() - started
    assert len(joined) >= rows
    return seconds


def geocoding(engine: sa.engine.Engine, n: int) -> None:
    with engine.connect() as conn:
        b = pd.read_sql(sa.text(
            "SELECT b.id, s.name street, c.name community, b.compound, b.number, c.kind = 'village' village, b.address "
            "FROM building b JOIN community c ON c.id = b.community_id JOIN street s ON s.id = c.street_id"), conn)  # fmt: skip
        matcher = AddressMatcher.load(conn, aliases=read_aliases(ALIASES_CSV))
    noisy = noisy_addresses(b, n, np.random.default_rng(7))
    truth_point = {bid: p for (_, _, _), (bid, p) in matcher.gazetteer.buildings.items()}
    started = time.perf_counter()
    matches = [matcher.match(a) for a in noisy.address]
    ours_s = time.perf_counter() - started
    right = sum(
        m.reason() is None and m.level == "building" and m.point == truth_point[t]
        for m, t in zip(matches, noisy.building_id, strict=True)
    )
    wrong = sum(
        m.reason() is None and m.level == "building" and m.point != truth_point[t]
        for m, t in zip(matches, noisy.building_id, strict=True)
    )
    sample = noisy.iloc[: min(n, 2000)]
    started = time.perf_counter()
    naive = [process.extractOne(a, b.address.tolist(), scorer=fuzz.ratio) for a in sample.address]
    naive_s = (time.perf_counter() - started) * n / len(sample)
    id_of = dict(zip(b.address, b.id, strict=True))
    naive_right = sum(id_of[hit[0]] == t for hit, t in zip(naive, sample.building_id, strict=True))
    naive_wrong = sum(
        hit[1] >= 80 and id_of[hit[0]] != t for hit, t in zip(naive, sample.building_id, strict=True)
    )
    print(
        f"geocoding {n} noisy addresses: {n / ours_s:,.0f} addr/s, right building {right / n:.2%}, wrong {wrong}"
    )
    print(f"  baseline (rapidfuzz ratio over every address): {n / naive_s:,.0f} addr/s, right {naive_right / len(sample):.2%}, "
          f"wrong with score ≥ 80: {naive_wrong / len(sample):.2%}; speed ratio {naive_s / ours_s:.1f}×")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--addresses", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="first loads per size; the median is reported")
    args = parser.parse_args()
    engine = bench_engine()
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            path = write_csv(engine, rows, Path(folder))
            (firsts, again_s), base_s = (
                ours(engine, path, rows, repeat=args.repeat),
                baseline(engine, path, rows),
            )
            ours_s = statistics.median(firsts)
            print(f"coordinates CSV → PostGIS with grid, {rows:,} rows: gridgov {rows / ours_s:,.0f} rows/s "
                  f"(median {ours_s:.2f} s of {len(firsts)}: {', '.join(f'{t:.2f}' for t in firsts)}); "
                  f"baseline {rows / base_s:,.0f} rows/s ({base_s:.1f} s); ratio {base_s / ours_s:.1f}×")  # fmt: skip
            print(f"  the same file again (all unchanged): {rows / again_s:,.0f} rows/s ({again_s:.1f} s)")
    geocoding(engine, args.addresses)


if __name__ == "__main__":
    main()
