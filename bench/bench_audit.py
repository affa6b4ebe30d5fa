"""Audit page benchmark: the reads behind ``/audit`` on a large log, against the page's former
reads (the newest 500 entries of a kind, and the list of kinds by ``SELECT DISTINCT``).

Run on demand (never in the test suite):
    .venv/bin/python -m bench.bench_audit [--entries 2000000] [--repeat 5]

Uses a database of its own (``gridgov_bench_audit``: migrated, the demo loaded) and fills its
audit log once with ``--entries`` entries (12 kinds, 300 accounts, two years; the log is
append-only, so a larger ``--entries`` adds to it). Prints the median of ``--repeat`` runs of
each read in milliseconds, and the ratio of the old reads to the new.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa

from bench.bench_ingest import bench_engine
from layers.audit import AuditFilter, Streets, accounts, entries, kinds

DB = "gridgov_bench_audit"
_FILL = """
INSERT INTO audit_log (at, username, action, detail)
SELECT now() - make_interval(secs => (:n - g) * 63072000.0 / :n),
       'user' || (g % 300),
       (ARRAY['login','logout','view','export','change','api.write','login.failed','data.load',
              'user.add','data.upload','api.throttled','login.throttled'])[1 + g % 12],
       jsonb_build_object('what', 'bench', 'street', 1 + g % 18, 'n', g)
FROM generate_series(:first, :n) g"""
_OLD_KINDS = "SELECT DISTINCT action FROM audit_log ORDER BY action"
_OLD_PAGE = (
    "SELECT at, username, action, detail FROM audit_log WHERE CAST(:kind AS text) IS NULL "
    "OR action = CAST(:kind AS text) ORDER BY id DESC LIMIT 500"
)


def fill(engine: sa.engine.Engine, wanted: int) -> int:
    with engine.begin() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
        if have < wanted:
            conn.execute(sa.text(_FILL), {"first": have + 1, "n": wanted})
        conn.execute(sa.text("ANALYZE audit_log"))
    return max(have, wanted)


def _median_ms(engine: sa.engine.Engine, read: Callable[[sa.Connection], object], repeat: int) -> float:
    times = []
    with engine.connect() as conn:
        for _ in range(repeat):
            start = time.perf_counter()
            read(conn)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = bench_engine(DB)
    total = fill(engine, args.entries)
    last_week = dt.date.today() - dt.timedelta(days=7)
    with engine.connect() as conn:
        tenth = entries(conn, AuditFilter(), limit=901)[-1].id  # where the 10th page starts
    reads: dict[str, Callable[[sa.Connection], object]] = {
        "first page, all kinds": lambda c: entries(c, AuditFilter(), limit=101),
        "first page, one kind": lambda c: entries(c, AuditFilter(kind="export"), limit=101),
        "first page, one account": lambda c: entries(c, AuditFilter(user="user7"), limit=101),
        "first page, last week": lambda c: entries(c, AuditFilter(since=last_week), limit=101),
        "10th page, all kinds": lambda c: entries(c, AuditFilter(), before=tenth, limit=101),
        "kinds (loose index scan)": kinds,
        "accounts (loose index scan)": accounts,
        "street names": Streets.read,
    }
    old = {
        "old: newest 500 of one kind": lambda c: c.execute(sa.text(_OLD_PAGE), {"kind": "export"}).all(),
        "old: kinds (SELECT DISTINCT)": lambda c: c.execute(sa.text(_OLD_KINDS)).all(),
    }
    print(f"audit log: {total:,} entries; median of {args.repeat} runs")
    timed = {name: _median_ms(engine, read, args.repeat) for name, read in {**reads, **old}.items()}
    for name, ms in timed.items():
        print(f"  {name:34s} {ms:9.1f} ms")
    first = timed["first page, all kinds"] + timed["kinds (loose index scan)"] + timed["accounts (loose index scan)"] + timed["street names"]  # fmt: skip
    before = timed["old: newest 500 of one kind"] + timed["old: kinds (SELECT DISTINCT)"]
    print(
        f"first screen's reads: {first:.1f} ms (was {before:.1f} ms: × {before / max(first, 1e-9):.0f} faster)"
    )


if __name__ == "__main__":
    main()
