"""Report benchmark (#19): a district's 月报 at a million incidents.

Run on demand (never in the test suite):
    .venv/bin/python -m bench.bench_report [--rows 1000000] [--period 2026-11] [--repeat 3]

Uses bench_monitor's database (``gridgov_bench_monitor``: the demo district plus ``--rows``
generated incidents) and runs ``gridgov report monthly --out FILE`` as a user does, for Word, PDF
and Excel, in a process of its own each time: prints the median wall seconds and the peak
resident memory (the process's ru_maxrss), beside the simplest baseline that a report cannot
beat: a process's start-up plus the load of the facts a report reads (the incidents that can
count in the month, the month before and the month a year before), no report built. Goal: ≤ 10 s for a district monthly report.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_ingest import bench_engine
from bench.bench_monitor import DB, fill

_FACTS_ONLY = """
import sys
from geo.db import make_engine
from geo.settings import Settings
from geo.sla import SlaRules
from layers.facts import load, with_sign_off
from layers.report_period import month
engine = make_engine(sys.argv[1], pool_size=1)
period = month(sys.argv[2])
with engine.connect() as conn:
    counted = [(p.since, p.until) for p in (period, period.previous(), period.last_year())]
    with_sign_off(load(conn, counting_in=counted), SlaRules.from_file(Settings.from_env().district_file))
"""


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS (MB) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = bench_engine(DB)
    fill(engine, args.rows)
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url}
    folder = Path(tempfile.mkdtemp(prefix="gridgov-report-"))
    report = [sys.executable, "-m", "gridgov", "report", "monthly", "--period", args.period, "--out"]
    runs = {
        "baseline (start-up + facts load)": [sys.executable, "-c", _FACTS_ONLY, url, args.period],
        "monthly report, Word": [*report, str(folder / "r.docx")],
        "monthly report, PDF": [*report, str(folder / "r.pdf")],
        "monthly report, Excel": [*report, str(folder / "r.xlsx")],
    }
    print(f"{args.rows:,} incidents, period {args.period}, {args.repeat} runs each (median)")
    medians = {}
    for name, command in runs.items():
        times = [_run(command, env) for _ in range(args.repeat)]
        medians[name] = statistics.median(t for t, _ in times)
        print(
            f"  {name:34s} {medians[name]:6.2f} s   peak RSS of all runs so far {max(m for _, m in times):,.0f} MB"
        )
    base = medians["baseline (start-up + facts load)"]
    for name in list(runs)[1:]:
        print(f"  {name}: × {medians[name] / base:.2f} the baseline (goal ≤ 10 s: {'met' if medians[name] <= 10 else 'not met'})")  # fmt: skip


if __name__ == "__main__":
    main()
