"""Facts benchmark: a full reload against a delta, at a million incidents (layers/facts.py).

Run on demand (never in the test suite):
    .venv/bin/python -m bench.bench_facts [--rows 1000000] [--changes 1 100 10000] [--repeat 3] [--ingest]

It uses a database of its own, ``gridgov_bench_facts``, on the configured server (the embedded
cluster unless DATABASE_URL is set), fills one source with ``--rows`` incidents (SQL, once) and
prints the median seconds of a full reload, then for each count of changed rows (updated:
closed; inserted: new) the median seconds of the delta that brings a held copy up to date and
the ratio. ``--ingest`` also times, with the triggers of migration 0015 (before 0017) and of
0017: an INSERT of ``--rows`` new incidents into the source's existing partition (the path where
the statement triggers read their transition tables), and in ``bench_ingest``'s database (the
demo district) ``gridgov ingest incidents`` of a ``--rows`` CSV as a new source's first load and
as new rows into that source's existing partition.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import sqlalchemy as sa

from bench import bench_ingest
from geo import migrate, partitions
from geo.db import database_url, make_engine
from geo.settings import Settings
from layers.facts import FactsCache, load

DB = "gridgov_bench_facts"
SOURCE = "bench"
_FILL = """
INSERT INTO incident (source, source_id, category, reported_at, deadline_at, closed_at, geom)
SELECT :source, :prefix || n, (ARRAY['环境卫生', '物业', '街面秩序', '噪声'])[1 + n % 4],
       timestamptz '2025-01-01' + n * interval '30 seconds', timestamptz '2025-01-03' + n * interval '30 seconds',
       CASE WHEN n % 3 = 0 THEN NULL ELSE timestamptz '2025-01-02' + n * interval '30 seconds' END,
       ST_SetSRID(ST_MakePoint(113.2 + (n % 1000) * 1e-4, 40.0 + (n / 1000) * 1e-5), 4326)
FROM generate_series(1, :n) AS n"""
_CLOSE = "UPDATE incident SET closed_at = now() WHERE id IN (SELECT id FROM incident WHERE closed_at IS NULL ORDER BY id DESC LIMIT :n)"


def bench_engine() -> sa.engine.Engine:
    url = sa.engine.make_url(database_url(Settings.from_env()))
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DB}).first():
            conn.execute(sa.text(f"CREATE DATABASE {DB} TEMPLATE template0 ENCODING 'UTF8'"))
    admin.dispose()
    engine = make_engine(url.set(database=DB).render_as_string(hide_password=False))
    migrate.upgrade(engine)
    return engine


def fill(engine: sa.engine.Engine, rows: int) -> None:
    with engine.begin() as conn:
        partitions.ensure(conn, SOURCE)
        have = conn.execute(sa.text("SELECT count(*) FROM incident")).scalar_one()
        if have < rows:
            conn.execute(sa.text(_FILL), {"source": SOURCE, "prefix": f"fill-{have}-", "n": rows - have})
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE incident"))


def _median(times: list[float]) -> float:
    return statistics.median(times)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def full_reload(engine: sa.engine.Engine, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        with engine.begin() as conn:
            times.append(timed(partial(load, conn)))
    return _median(times)


def delta(engine: sa.engine.Engine, cache: FactsCache, change: str, n: int, tag: str) -> float:
    """Seconds for the cache to take ``n`` changed rows (closed or inserted)."""
    with engine.begin() as conn:
        if change == "closed":
            conn.execute(sa.text(_CLOSE), {"n": n})
        else:
            conn.execute(sa.text(_FILL), {"source": SOURCE, "prefix": f"new-{tag}-{time.time_ns()}-", "n": n})
    with engine.begin() as conn:
        started = time.perf_counter()
        result = cache.sync(conn)
        seconds = time.perf_counter() - started
    assert result.how == "delta" and result.changed == n, result.how
    return seconds


def ingest(engine: sa.engine.Engine, rows: int, revision: str) -> float:
    """Seconds to insert ``rows`` new incidents into the existing partition at ``revision``."""
    _at(engine, revision)
    with engine.begin() as conn:
        started = time.perf_counter()
        conn.execute(
            sa.text(_FILL), {"source": SOURCE, "prefix": f"ingest-{revision}-{time.time()}-", "n": rows}
        )
        seconds = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM incident WHERE source_id LIKE 'ingest-%'"))
    return seconds


def _at(engine: sa.engine.Engine, revision: str) -> None:
    if revision == "head":
        migrate.upgrade(engine)
    else:
        migrate.downgrade(engine, revision=revision)


def ingest_files(rows: int, repeat: int) -> None:
    """``gridgov ingest incidents`` timings at 0015 and at 0017, alternated (bench_ingest's database)."""
    engine = bench_ingest.bench_engine()
    firsts: dict[str, list[float]] = {"0015": [], "head": []}
    with tempfile.TemporaryDirectory() as folder:
        first, more = (bench_ingest.write_csv(engine, n, Path(folder)) for n in (rows, rows + 1))
        for k in range(repeat):
            for revision in ("0015", "head"):
                _at(engine, revision)
                bench_ingest.forget(engine, "bench")
                bench_ingest._checkpoint(engine)
                firsts[revision].append(bench_ingest._load(engine, first, expect_inserted=rows))
                if k == repeat - 1:
                    bench_ingest._checkpoint(engine)
                    added = bench_ingest._load(engine, more, expect_inserted=rows + 1)
                    print(
                        f"ingest incidents at {revision}: {rows + 1:,} new rows into the existing partition {added:.1f} s"
                    )
    for revision, times in firsts.items():
        print(f"ingest incidents at {revision}: first load of {rows:,} rows, median {_median(times):.1f} s "
              f"({', '.join(f'{t:.1f}' for t in times)})")  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, nargs="+", default=[1, 100, 10_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ingest", action="store_true")
    args = parser.parse_args()
    engine = bench_engine()
    fill(engine, args.rows)
    full = full_reload(engine, args.repeat)
    print(f"full reload of {args.rows:,} incidents: {full:.3f} s (median of {args.repeat})")
    cache = FactsCache()
    with engine.begin() as conn:
        cache.sync(conn)
    for change in ("closed", "inserted"):
        for n in args.changes:
            times = [delta(engine, cache, change, n, f"{n}-{k}") for k in range(args.repeat)]
            d = _median(times)
            print(f"delta of {n:>6,} {change:<8} rows: {d:.4f} s   full/delta = {full / d:,.0f}×")
    if args.ingest:
        ingest_files(args.rows, args.repeat)
        for revision in ("0015", "head"):
            times = [ingest(engine, args.rows, revision) for _ in range(args.repeat)]
            print(
                f"insert {args.rows:,} rows into the existing partition at {revision}: {_median(times):.2f} s"
            )
    engine.dispose()


if __name__ == "__main__":
    main()
