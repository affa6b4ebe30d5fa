"""Load benchmark: N concurrent logged-in dashboard users on loopback, for a bounded time.

Run on demand (never in the test suite):
    .venv/bin/python -m bench.bench_load [--users 50] [--seconds 60] [--rows 1000000] [--think 2]

Uses bench_monitor's database (``gridgov_bench_monitor``: the demo district plus ``--rows``
generated incidents) and starts the real ``gridgov serve`` on it (``--workers``/``--threads``,
default: the settings' defaults). Each user logs in (wall screens with a kiosk token, desks
with a password), loads a page as the browser does and then posts what its browser would
(bench/load_user.py): the person's clicks, ``--think`` seconds apart on average (random,
exponential), now and then reloading the page; on the wall screen also the page's own
intervals: the change-counter poll every ``--poll`` s (a redraw when it moved) and the refresh
every ``--refresh`` s (both default to the settings'). Wall screens only poll and refresh;
nobody clicks on them. Mix of 10: 3 wall screens and 3 admins on the wall screen, 1 planner
on the layer map, 2 planners on coverage, 1 street leader planning. Prints requests, errors
(HTTP ≥ 400 or no answer), p50/p95/p99 overall, of the users' own requests (the background
polls left out) and per action, the server's RSS (gunicorn, its workers and their solver
processes) at start, during and at the end, and the load average.
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
WALL_ACCOUNT = "load_screen"  # the wall screens' kiosk account


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
    ensure_account(engine, WALL_ACCOUNT, "wall_screen")
    with engine.begin() as conn:
        token = sessions.new_kiosk_token(conn, WALL_ACCOUNT)
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


def cpu_ticks() -> dict[int, tuple[str, int]]:
    """Every process's name and CPU so far (user + system, in clock ticks)."""
    out: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                head, tail = (entry / "stat").read_text().rsplit(")", 1)
                fields = tail.split()
                out[int(entry.name)] = (head.split("(", 1)[1], int(fields[11]) + int(fields[12]))
            except (OSError, IndexError, ValueError):
                continue
    return out


def _tree(pid: int, parents: dict[int, int]) -> set[int]:
    pids = [pid]
    for p in pids:  # grows while it is walked: children, then theirs
        pids += [child for child, parent in parents.items() if parent == p]
    return set(pids)


def cpu_since(before: dict[int, tuple[str, int]], *, server: int) -> dict[str, float]:
    """CPU seconds since ``before`` (``cpu_ticks()``) of the server (``server`` and its
    descendants), PostgreSQL, this bench (with its own processes) and everything else on the host."""
    parents, tick = _parents(), os.sysconf("SC_CLK_TCK")
    served, ours = _tree(server, parents), _tree(os.getpid(), parents)
    out = dict.fromkeys(("server", "PostgreSQL", "bench", "other"), 0.0)
    for pid, (name, ticks) in cpu_ticks().items():
        group = (
            "server"
            if pid in served
            else "PostgreSQL"
            if name == "postgres"
            else "bench"
            if pid in ours
            else "other"
        )
        out[group] += (ticks - before.get(pid, (name, 0))[1]) / tick
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (gunicorn's master, its workers and
    their route-solver processes), in MB."""
    total = 0
    for p in _tree(pid, _parents()):
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
    i: int, *, url: str, logins: Logins, deadline: float, args: argparse.Namespace, samples: list[U.Sample]
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
    time.sleep(rng.uniform(0, args.think))  # users do not all arrive in the same millisecond
    page = user.load(path)
    browser = Browser(rng, args, clicks=kind != "wall", polls=path == "/monitor")
    while (step := browser.next(deadline)) is not None:
        if step == "poll":
            if U.poll_changes(user, page):
                U.redraw(user, page)
        elif step == "refresh":
            U.interval_refresh(user, page)
        elif rng.random() < RELOAD_CHANCE:
            page = user.load(path)
        else:
            act(user, page)


class Browser:
    """When a user's browser posts what: the person's clicks (``think`` s apart on average,
    random), and on the wall screen its change-counter poll and slow refresh intervals."""

    def __init__(self, rng: random.Random, args: argparse.Namespace, *, clicks: bool, polls: bool) -> None:
        self.rng, self.args, now = rng, args, time.monotonic()
        self.due = {
            "click": now + rng.expovariate(1 / args.think) if clicks else float("inf"),
            "poll": now + args.poll if polls else float("inf"),
            "refresh": now + args.refresh if polls else float("inf"),
        }

    def next(self, deadline: float) -> str | None:
        """Wait for the next step and name it (None: the deadline comes first)."""
        step = min(self.due, key=lambda k: self.due[k])
        if self.due[step] >= deadline:
            return None
        time.sleep(max(0.0, self.due[step] - time.monotonic()))
        wait = {"click": self.rng.expovariate(1 / self.args.think), "poll": self.args.poll}
        self.due[step] = time.monotonic() + wait.get(step, self.args.refresh)  # from when it is sent
        return step


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else 0.0


def own(samples: list[U.Sample]) -> list[float]:
    """Seconds of the requests a person waits for (the background polls left out)."""
    return [s.seconds for s in samples if s.action != U.POLL_ACTION]


def report(samples: list[U.Sample], seconds: float) -> None:
    times = [s.seconds for s in samples]
    mine = own(samples)
    errors = [s for s in samples if s.status == 0 or s.status >= 400]
    print(
        f"requests {len(samples):,} in {seconds:.0f} s ({len(samples) / seconds:.1f}/s), errors {len(errors)}"
    )
    print(
        f"latency p50 {_ms(times, 50):.0f} ms, p95 {_ms(times, 95):.0f} ms, p99 {_ms(times, 99):.0f} ms, max {_ms(times, 100):.0f} ms"
    )
    print(
        f"users' own requests (polls left out) {len(mine):,}: p50 {_ms(mine, 50):.0f} ms, p95 {_ms(mine, 95):.0f} ms, p99 {_ms(mine, 99):.0f} ms"
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
        run = partial(run_user, url=url, logins=logins, deadline=deadline, args=args, samples=samples)
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
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a person's clicks")
    parser.add_argument(
        "--poll", type=float, default=defaults.change_poll_seconds, help="wall screen's change poll, s"
    )
    parser.add_argument(
        "--refresh", type=float, default=defaults.refresh_seconds, help="wall screen's refresh, s"
    )
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
