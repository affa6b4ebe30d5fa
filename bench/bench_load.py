"""Load benchmark: N concurrent logged-in dashboard users on loopback, for a bounded time.

Run on demand (never in the test suite):
    .venv/bin/python -m bench.bench_load [--users 50] [--seconds 60] [--rows 1000000] [--think 2]

Uses bench_monitor's database (``gridgov_bench_monitor``: the demo district plus ``--rows``
generated incidents) and starts the real ``gridgov serve`` on it (``--workers``/``--threads``,
default: the settings' defaults). Each user logs in (wall screens with a kiosk token, desks
with a password), loads a page as the browser does and posts that page's real callback
requests (bench/load_user.py), waiting ``--think`` seconds on average between them (random,
exponential) and reloading its page now and then. Mix of 10: 3 wall screens and 3 admins on
the wall screen, 1 planner on the layer map, 2 planners on coverage, 1 street leader planning.
Prints requests, errors (HTTP ≥ 400 or no answer), p50/p95/p99 overall and per action, the
server's RSS (gunicorn, its workers and their solver processes) at start, during and at the end,
and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench import load_user as U
from bench.bench_ingest import bench_engine
from bench.bench_monitor import DB, fill
from geo import sessions
from geo.settings import Settings
from tests.auth import ensure_account

MIX = ["wall", "wall", "wall", "admin", "admin", "admin", "map", "coverage", "coverage", "leader"]
PAGES = {
    "wall": "/monitor",
    "admin": "/monitor",
    "map": "/map",
    "coverage": "/coverage",
    "leader": "/inspections",
}
RELOAD_CHANCE = 0.05


@dataclass(frozen=True)
class Logins:
    accounts: dict[str, tuple[str, str]]
    kiosk_token: str
    streets: list[int]


def prepare(engine: sa.engine.Engine) -> Logins:
    with engine.connect() as conn:
        streets = list(
            conn.execute(sa.text("SELECT id FROM street WHERE valid_to IS NULL ORDER BY code")).scalars()
        )
        code = conn.execute(sa.text("SELECT min(code) FROM street WHERE valid_to IS NULL")).scalar_one()
    accounts = {
        "admin": ensure_account(engine, "load_admin", "admin"),
        "planner": ensure_account(engine, "load_planner", "planner"),
        "leader": ensure_account(engine, "load_leader", "street_leader", streets=[code]),
    }
    ensure_account(engine, "load_screen", "wall_screen")
    with engine.begin() as conn:
        token = sessions.new_kiosk_token(conn, "load_screen")
    return Logins(accounts, token, streets)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    engine: sa.engine.Engine, args: argparse.Namespace, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
    }
    env |= {"GRIDGOV_WORKERS": str(args.workers), "GRIDGOV_THREADS": str(args.threads)}
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "gridgov", "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "readyz", timeout=5) as answer:
                if answer.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"the server did not become ready; see {log}")


def _parents() -> dict[int, int]:
    out: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (gunicorn's master, its workers and
    their route-solver processes), in MB."""
    parents, pids, total = _parents(), [pid], 0
    for p in pids:  # grows while it is walked: children, then theirs
        pids += [child for child, parent in parents.items() if parent == p]
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total / 1024


ACTIONS: dict[str, Callable[..., None]] = {
    "/monitor": U.monitor_action,
    "/map": U.map_action,
    "/coverage": U.coverage_action,
    "/inspections": U.inspections_action,
}


def run_user(
    i: int, *, url: str, logins: Logins, deadline: float, think: float, samples: list[U.Sample]
) -> None:
    kind, rng = MIX[i % len(MIX)], random.Random(i)
    user = U.User(url, rng=rng, samples=samples)
    if kind == "wall":
        user.kiosk(logins.kiosk_token)
    else:
        user.log_in(
            logins.accounts[
                "admin" if kind == "admin" else "planner" if kind in ("map", "coverage") else "leader"
            ]
        )
    path = PAGES[kind]
    act = partial(U.monitor_action, streets=logins.streets) if path == "/monitor" else ACTIONS[path]
    time.sleep(rng.uniform(0, think))  # users do not all arrive in the same millisecond
    page = user.load(path)
    while time.monotonic() < deadline:
        if rng.random() < RELOAD_CHANCE:
            page = user.load(path)
        else:
            act(user, page)
        time.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else 0.0


def report(samples: list[U.Sample], seconds: float) -> None:
    times = [s.seconds for s in samples]
    errors = [s for s in samples if s.status == 0 or s.status >= 400]
    print(
        f"requests {len(samples):,} in {seconds:.0f} s ({len(samples) / seconds:.1f}/s), errors {len(errors)}"
    )
    print(
        f"latency p50 {_ms(times, 50):.0f} ms, p95 {_ms(times, 95):.0f} ms, p99 {_ms(times, 99):.0f} ms, max {_ms(times, 100):.0f} ms"
    )
    for action in sorted({s.action for s in samples}):
        mine = [s.seconds for s in samples if s.action == action]
        print(
            f"  {action:32s} {len(mine):6d}  p50 {_ms(mine, 50):6.0f} ms  p95 {_ms(mine, 95):6.0f} ms  p99 {_ms(mine, 99):6.0f} ms"
        )
    for status in sorted({s.status for s in errors}):
        print(f"  errors with status {status}: {sum(1 for s in errors if s.status == status)}")
    for text in sorted({s.error for s in errors if s.error})[:5]:
        print(f"    {text}")


def server_errors(log: Path) -> int:
    """Responses the server itself logged with a 5xx status."""
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"gridgov.access"' in line and json.loads(line).get("status", 0) >= 500:
            count += 1
    return count


def sample_rss(pid: int, stop: threading.Event, out: list[float]) -> None:
    while not stop.wait(10):
        out.append(rss_mb(pid))


def run_users(
    url: str, logins: Logins, args: argparse.Namespace, *, deadline: float, samples: list[U.Sample]
) -> None:
    """``args.users`` users until ``deadline``, their requests in ``samples``."""
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        run = partial(run_user, url=url, logins=logins, deadline=deadline, think=args.think, samples=samples)
        list(pool.map(run, range(args.users)))


def load(
    url: str, server: subprocess.Popen[bytes], logins: Logins, args: argparse.Namespace
) -> list[U.Sample]:
    samples: list[U.Sample] = []
    during: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=sample_rss, args=(server.pid, stop, during), daemon=True)
    start_rss, load_before = rss_mb(server.pid), os.getloadavg()
    watcher.start()
    started = time.monotonic()
    deadline = started + args.seconds
    run_users(url, logins, args, deadline=deadline, samples=samples)
    elapsed = time.monotonic() - started
    stop.set()
    report(samples, elapsed)
    print(
        f"server RSS: start {start_rss:.0f} MB, every 10 s {[round(x) for x in during]}, end {rss_mb(server.pid):.0f} MB"
    )
    print(f"load average (1/5/15 min) before {load_before}, after {os.getloadavg()}; {os.cpu_count()} CPUs")
    return samples


def user_arguments(description: str | None, defaults: Settings) -> argparse.ArgumentParser:
    """The options of a benchmark that runs :func:`run_users` against ``gridgov serve``."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a user's requests")
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    return parser


def main() -> None:
    args = user_arguments(__doc__, Settings.from_env()).parse_args()
    engine = bench_engine(DB)
    fill(engine, args.rows)
    logins = prepare(engine)
    log = Path(tempfile.mkdtemp(prefix="gridgov-load-")) / "serve.log"
    server, url = start_server(engine, args, log)
    print(
        f"{args.users} users for {args.seconds} s, think {args.think} s, {args.workers} workers × {args.threads} threads, {args.rows:,} incidents"
    )
    try:
        load(url, server, logins, args)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"server-side 5xx responses: {server_errors(log)} (log: {log})")


if __name__ == "__main__":
    main()
