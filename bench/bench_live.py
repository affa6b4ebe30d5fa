"""Live-intake benchmark (#17): wall screens and desks in use while a feeder posts to the API.

Run on demand (never in the test suite):
    .venv/bin/python -m bench.bench_live [--users 50] [--seconds 60] [--rate 50] [--events 50]

Uses bench_monitor's database (``gridgov_bench_monitor``: the demo district plus ``--rows``
generated incidents) and the real ``gridgov serve`` on it, as ``bench_load`` does, after
removing what earlier runs' feeders posted (else every run measures a heavier today). Two phases
on the same warm server, ``--seconds`` each:

1. *baseline*: the ``bench_load`` users alone (same mix, same think time);
2. *live*: the same users while a feeder POSTs ``--rate`` incidents/s to ``/api/v1/incidents``
   and ``--events`` steps/s (签收, 派遣, 办结 of incidents it posted) to
   ``/api/v1/incident-events``, ``--batch`` items per request, with a key of its own; and a
   wall screen (kiosk) polls the change counter as the page does and, when it moved, refreshes
   and reads its 今日新增 (new today) tile. Feeder and wall run in a process of their own (as
   the systems feeding gridgov do), the wall until 15 s after the feeder's last 2xx.

Prints the feed's acceptance latency (p50/p95 from sending to the 2xx), the time from a 2xx to
the incident counted on the wall screen (p95; the m-th incident acknowledged is counted when
the tile first shows m more than before the phase), the users' p50/p95 in both phases and
their ratio (and as the server timed them, from its access log's ``ms``: without the time a
request waited for a worker thread or for the host's CPU on the bench's side), errors, the
server's RSS every 10 s, the CPU its requests took in each phase (from its access log's
``cpu_ms``: the intake API, the wall screens, everyone else), which says what the feed costs
the server however fast or busy the host is that day, and the host's CPU per phase by process
(server, PostgreSQL, the bench): how near the host is to saturation, where latency stops
growing in proportion to the work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import requests
import sqlalchemy as sa

from bench import bench_load as B
from bench import load_user as U
from bench.bench_ingest import bench_engine
from bench.bench_monitor import DB, fill
from dashboard.monitor import layout as M
from geo import api_keys
from geo.settings import Settings

FEED = "bench-live"
RUN = f"{time.time():.0f}"  # ticket numbers new in every run: the wall counts insertions
TZ = dt.timezone(dt.timedelta(hours=8))
POLL_OUTPUT = f"{M.CHANGES}.data"  # the change-counter poll's callback, as the access log names it
STEPS = ("signed", "dispatched", "handled")
DEPARTMENTS = ("区城管局", "区住建局", "区市场监管局", "街道办事处")


@dataclass
class Feed:
    """What the feeder sent and when each was acknowledged."""

    acked: list[tuple[str, float]] = field(default_factory=list)  # (ticket, monotonic time of the 2xx)
    latency: dict[str, list[float]] = field(default_factory=lambda: {"incidents": [], "incident-events": []})
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    late: float = 0.0  # seconds from the phase's end to the last 2xx


def feed_key(engine: sa.engine.Engine) -> str:
    """A fresh key for the feeder's source, throttled far above what the bench sends."""
    with engine.begin() as conn:
        if any(k.source == FEED for k in api_keys.keys(conn)):
            api_keys.revoke(conn, FEED)
        return api_keys.add(conn, FEED, per_minute=60_000, burst=10_000)


def clear_feed(engine: sa.engine.Engine) -> int:
    """Remove what earlier runs' feeders left (their incidents and steps), so every run starts
    from the same incidents: each run adds ``--rate`` × ``--seconds`` incidents to today, which
    the wall screens' tiles, lists and trend then count (after a day of runs, 147,455 of them,
    two days at 25 times their generated ~3,000). The number of incidents removed."""
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE incident SET duplicate_of = NULL WHERE source <> :s AND duplicate_of IN "
                             "(SELECT id FROM incident WHERE source = :s)"), {"s": FEED})  # fmt: skip
        conn.execute(sa.text("DELETE FROM incident_event WHERE incident_source = :s"), {"s": FEED})
        gone = conn.execute(sa.text("DELETE FROM incident WHERE source = :s"), {"s": FEED}).rowcount
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE incident, incident_event"))
    return int(gone)


def points(engine: sa.engine.Engine) -> list[tuple[float, float]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM building"))
        return [(float(x), float(y)) for x, y in rows]


def _post(http: requests.Session, url: str, body: dict[str, Any], feed: Feed, kind: str) -> float | None:
    """POST until acknowledged (the API is idempotent, so a retry doubles nothing); the monotonic
    time of the 2xx, or None when the phase ended first."""
    started = time.monotonic()
    for _attempt in range(20):
        try:
            answer = http.post(url + f"api/v1/{kind}", json=body, timeout=60)
        except requests.RequestException as exc:
            feed.errors.append(f"{kind}: {type(exc).__name__}")
            continue
        if answer.ok:
            done = time.monotonic()
            feed.latency[kind].append(done - started)
            return done
        feed.errors.append(f"{kind}: HTTP {answer.status_code} {answer.text[:120]}")
    return None


def _paced(rate: float, batch: int, deadline: float) -> Iterator[int]:
    """Tick numbers at ``rate / batch`` per second until ``deadline``; a tick whose time has
    passed (the last request took longer than a period) comes at once, so the feed keeps its
    rate on average and its last ticks may come after ``deadline``."""
    period, start, n = batch / rate, time.monotonic(), 0
    while (due := start + n * period) < deadline:
        time.sleep(max(0.0, due - time.monotonic()))
        yield n
        n += 1


def incident_items(tick: int, *, batch: int, where: list[tuple[float, float]], rng: random.Random) -> list[dict[str, Any]]:  # fmt: skip
    now = dt.datetime.now(TZ).isoformat(timespec="seconds")
    out = []
    for k in range(batch):
        lon, lat = rng.choice(where)
        out.append({"source_id": f"L{RUN}-{tick:06d}-{k}", "category": "environment", "reported_at": now,
                    "lon": round(lon, 7), "lat": round(lat, 7), "description": "bench"})  # fmt: skip
    return out


def feed_incidents(url: str, key: str, args: argparse.Namespace, feed: Feed, where: list[tuple[float, float]], deadline: float) -> None:  # fmt: skip
    http, rng = _session(key), random.Random(7)
    for tick in _paced(args.rate, args.batch, deadline):
        items = incident_items(tick, batch=args.batch, where=where, rng=rng)
        done = _post(http, url, {"items": items, "crs": "wgs84"}, feed, "incidents")
        if done is not None:
            with feed.lock:
                feed.acked += [(item["source_id"], done) for item in items]


def event_items(tickets: list[str], *, rng: random.Random, sent: dict[str, int]) -> list[dict[str, Any]]:
    now = dt.datetime.now(TZ).isoformat(timespec="seconds")
    out = []
    for ticket in tickets:
        step = STEPS[sent.get(ticket, 0)]
        sent[ticket] = sent.get(ticket, 0) + 1
        item = {"ticket": ticket, "step": step, "at": now}
        out.append(item | ({"department": rng.choice(DEPARTMENTS)} if step == "dispatched" else {}))
    return out


def feed_events(url: str, key: str, args: argparse.Namespace, feed: Feed, deadline: float) -> None:
    """Steps of incidents already acknowledged, oldest first, each ticket's steps in order."""
    http, rng, sent = _session(key), random.Random(11), dict[str, int]()
    for _tick in _paced(args.events, args.batch, deadline):
        with feed.lock:
            waiting = [t for t, _ in feed.acked if sent.get(t, 0) < len(STEPS)]
        tickets = list(dict.fromkeys(waiting))[: args.batch]  # one step per ticket per request
        if tickets:
            _post(http, url, {"items": event_items(tickets, rng=rng, sent=sent)}, feed, "incident-events")


def _session(key: str) -> requests.Session:
    http = requests.Session()
    http.headers["X-Api-Key"] = key
    return http


def _new_today(page: U.Page) -> int | None:
    """The number on the 今日新增 tile of the wall screen's last answer."""
    found: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == "kpi-new_today":
                first = props.get("children", [None])[0]
                found.append(int(str(first).replace(",", "")))
            for value in props.values():
                walk(value)

    walk(page.values.get((M.KPIS, "children")))
    return found[0] if found else None


def open_wall(url: str, logins: B.Logins, *, seen: list[tuple[float, int]]) -> tuple[U.User, U.Page]:
    """A kiosk wall screen, opened and showing its first count before the feeder starts (that
    count is the base the feeder's incidents are counted from)."""
    user = U.User(url, rng=random.Random(3), samples=[])
    user.kiosk(logins.kiosk_token)
    page = user.load("/monitor")
    page.values[(M.HASHES, "data")] = {}  # nothing shown yet: the first refresh sends every panel
    U.interval_refresh(user, page)  # as the slow refresh does (a redraw on the counter the page
    _count(page, seen)  # was made at brings nothing new)
    if not seen:
        raise SystemExit("the wall screen's first refresh showed no 今日新增 tile")
    return user, page


def watch_wall(wall: tuple[U.User, U.Page], *, poll: float, fed: threading.Event, seen: list[tuple[float, int]], linger: float = 15.0) -> None:  # fmt: skip
    """The wall screen's change counter every ``poll`` s (counted from when each poll is sent,
    as the page's interval fires, not from when the last redraw ended), a refresh when it moved,
    until ``linger`` s after ``fed`` is set (the feeder's last 2xx, which may come after the
    phase: it posts one request at a time and catches up when the server fell behind)."""
    user, page = wall
    due, end = time.monotonic() + poll, math.inf
    while due < end:
        time.sleep(max(0.0, due - time.monotonic()))
        due = max(due + poll, time.monotonic())
        if U.poll_changes(user, page, action="wall: poll"):
            _refresh(user, page, seen)
        if end == math.inf and fed.is_set():
            end = time.monotonic() + linger


def _refresh(user: U.User, page: U.Page, seen: list[tuple[float, int]]) -> None:
    U.redraw(user, page, action="wall: refresh")
    _count(page, seen)


def _count(page: U.Page, seen: list[tuple[float, int]]) -> None:
    """Note the wall's 今日新增 as it shows now."""
    value = _new_today(page)
    if value is not None:
        seen.append((time.monotonic(), value))


def counted_after(acked: list[float], seen: list[tuple[float, int]], *, base: int) -> list[float]:
    """For the m-th acknowledged incident (by ack time), seconds from its 2xx to the first
    refresh whose tile showed at least ``base + m``."""
    out = []
    for m, at in enumerate(sorted(acked), start=1):
        shown = next((t for t, value in seen if value >= base + m and t >= at), None)
        if shown is not None:
            out.append(shown - at)
    return out


def not_duplicates(engine: sa.engine.Engine, tickets: list[str]) -> set[str]:
    """The feeder's incidents that count (a probable duplicate of another source's report does not)."""
    query = sa.text("SELECT source_id FROM incident WHERE source = :s AND duplicate_of IS NULL")
    with engine.connect() as conn:
        return set(conn.execute(query, {"s": FEED}).scalars()) & set(tickets)


def _ms(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q) * 1000:,.0f} ms" if values else "—"


def phase(url: str, server_pid: int, logins: B.Logins, args: argparse.Namespace, *, extra: list[Callable[[float], None]]) -> list[U.Sample]:  # fmt: skip
    """The users for ``args.seconds`` with ``extra`` jobs beside them; RSS every 10 s."""
    samples: list[U.Sample] = []
    rss: list[float] = []
    stop = threading.Event()
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=B.sample_rss, args=(server_pid, stop, rss), daemon=True)]
    threads += [threading.Thread(target=job, args=(deadline,)) for job in extra]
    start_rss, ticks = B.rss_mb(server_pid), B.cpu_ticks()
    for t in threads:
        t.start()
    B.run_users(url, logins, args, deadline=deadline, samples=samples)
    cpu = B.cpu_since(ticks, server=server_pid)  # over the users' seconds, not the wall's last ones
    for t in threads[1:]:
        t.join()
    stop.set()
    print(f"  host CPU in the phase: {', '.join(f'{k} {v:.0f} s' for k, v in cpu.items())}; {sum(cpu.values()):.0f} s of {os.cpu_count()} CPUs × {args.seconds:.0f} s")  # fmt: skip
    print(f"  server RSS: start {start_rss:.0f} MB, every 10 s {[round(x) for x in rss]}, end {B.rss_mb(server_pid):.0f} MB")  # fmt: skip
    return samples


def main() -> None:
    defaults = Settings.from_env()
    parser = B.user_arguments(__doc__, defaults)
    parser.add_argument("--rate", type=float, default=50.0, help="incidents per second")
    parser.add_argument("--events", type=float, default=50.0, help="lifecycle steps per second")
    parser.add_argument("--batch", type=int, default=1, help="items per request")
    args = parser.parse_args()
    engine = bench_engine(DB)
    fill(engine, args.rows)
    print(f"removed {clear_feed(engine):,} incidents left by earlier runs' feeders")
    logins, key, where = B.prepare(engine), feed_key(engine), points(engine)
    log = Path(tempfile.mkdtemp(prefix="gridgov-live-")) / "serve.log"
    server, url = B.start_server(engine, args, log)
    print(f"{args.users} users, {args.seconds} s per phase, think {args.think} s, {args.workers} workers × {args.threads} threads, {args.rows:,} incidents")  # fmt: skip
    try:
        spans = run(engine, url, server.pid, logins, key, where, args, poll=args.poll)
        print_cpu(log, spans)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"server-side 5xx responses: {B.server_errors(log)} (log: {log})")


def run(engine: sa.engine.Engine, url: str, pid: int, logins: B.Logins, key: str, where: list[tuple[float, float]], args: argparse.Namespace, *, poll: float) -> list[tuple[float, float]]:  # fmt: skip
    """Both phases; the users' (start, end) of each, in seconds since the epoch."""
    print("phase 1: users alone")
    started = time.time()
    quiet = phase(url, pid, logins, args, extra=[])
    spans = [(started, started + args.seconds)]
    B.report(quiet, args.seconds)
    feeder = Feeder(url, key, args, where, logins, poll=poll)
    print(f"phase 2: users + feeder ({args.rate:g} incidents/s, {args.events:g} steps/s, {args.batch} per request) + a wall screen polling every {poll:g} s")  # fmt: skip
    started = time.time()
    busy = phase(url, pid, logins, args, extra=[feeder.run])
    spans.append((started, started + args.seconds))  # not the wall's last 15 s after the users
    B.report(busy, args.seconds)
    feeder.process.join()
    summarise(engine, quiet, busy, feeder.feed, feeder.seen)
    return spans


class Feeder:
    """The feeder and the wall screen in a process of their own, as the systems that feed gridgov
    and the screens that show it are: their threads never hold up the users' (one interpreter
    lock each). The wall is opened, and shows its first count, before the phase starts."""

    def __init__(self, url: str, key: str, args: argparse.Namespace, where: list[tuple[float, float]], logins: B.Logins, *, poll: float) -> None:  # fmt: skip
        context = multiprocessing.get_context("spawn")
        self.pipe, there = context.Pipe()
        self.process = context.Process(
            target=_feed_and_watch, args=(url, key, args, where, logins, poll, there)
        )
        self.process.start()
        if self._received() != "ready":
            raise SystemExit("the wall screen's first refresh showed no 今日新增 tile")
        self.feed, self.seen = Feed(), list[tuple[float, int]]()

    def run(self, deadline: float) -> None:
        """Feeds until ``deadline`` (the wall until 15 s after the last 2xx); what the process saw
        lands in ``feed`` and ``seen``."""
        self.pipe.send(deadline)
        (self.feed.acked, self.feed.latency, self.feed.errors, self.feed.late), self.seen = self._received()
        # not joined here: its CPU is read from /proc after the phase (a zombie keeps its times)

    def _received(self) -> Any:
        try:
            return self.pipe.recv()
        except EOFError:  # it raised: its traceback is on stderr above
            self.process.join(timeout=10)
            raise SystemExit(f"the feeder's process ended with exit code {self.process.exitcode}") from None


def _feed_and_watch(url: str, key: str, args: argparse.Namespace, where: list[tuple[float, float]], logins: B.Logins, poll: float, pipe: Connection) -> None:  # fmt: skip
    feed, seen = Feed(), list[tuple[float, int]]()
    try:
        wall = open_wall(url, logins, seen=seen)
    except SystemExit:
        pipe.send("no tile")
        return
    pipe.send("ready")
    deadline = pipe.recv()  # monotonic: one clock for every process on the host
    fed = threading.Event()
    feeders = [
        threading.Thread(target=feed_incidents, args=(url, key, args, feed, where, deadline)),
        threading.Thread(target=feed_events, args=(url, key, args, feed, deadline)),
    ]
    watcher = threading.Thread(
        target=watch_wall, args=(wall,), kwargs={"poll": poll, "fed": fed, "seen": seen}
    )
    for job in (*feeders, watcher):
        job.start()
    for job in feeders:
        job.join()
    fed.set()
    watcher.join()
    feed.late = max((at for _, at in feed.acked), default=deadline) - deadline
    pipe.send(((feed.acked, feed.latency, feed.errors, feed.late), seen))


def _access(log: Path, start: float, end: float) -> Iterator[dict[str, Any]]:
    """The server's access-log entries logged between ``start`` and ``end``."""
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("{") and '"gridgov.access"' in line:
                entry = json.loads(line)
                if start <= dt.datetime.fromisoformat(entry["time"]).timestamp() < end:
                    yield entry


def server_cpu(log: Path, start: float, end: float) -> dict[str, float]:
    """Seconds of CPU the server's requests logged between ``start`` and ``end``, by who asked."""
    out: dict[str, float] = {}
    for entry in _access(log, start, end):
        who = _asker(entry)
        out[who] = out.get(who, 0.0) + (entry.get("cpu_ms") or 0.0) / 1000
    return out


def cpu_by_request(log: Path, start: float, end: float) -> dict[tuple[str, str], tuple[int, float]]:
    """(requests, CPU seconds) by who asked and what: a callback by its first output, else the
    path. CPU per request compares within a run where latency does not: the host's speed moves
    from run to run (the same requests took 20–45 % more CPU in one run than in another)."""
    out: dict[tuple[str, str], tuple[int, float]] = {}
    for entry in _access(log, start, end):
        what = str(entry.get("callback") or entry.get("path", "")).strip(".").split("...")[0]
        n, cpu = out.get((_asker(entry), what), (0, 0.0))
        out[(_asker(entry), what)] = (n + 1, cpu + (entry.get("cpu_ms") or 0.0) / 1000)
    return out


def _print_by_request(log: Path, spans: list[tuple[float, float]], *, top: int = 8) -> None:
    quiet, busy = (cpu_by_request(log, *span) for span in spans)
    print("server CPU by request, alone → with the feed (requests, CPU-s, ms each):")
    for key in sorted(busy, key=lambda k: -busy[k][1])[:top]:
        cells = [f"{n:6,} {cpu:6.1f} s {cpu / n * 1000:6.1f} ms" if n else f"{'—':>25}" for n, cpu in (quiet.get(key, (0, 0.0)), busy[key])]  # fmt: skip
        print(f"  {key[0]:12} {key[1][:28]:28} {cells[0]} → {cells[1]}")


def server_seconds(log: Path, start: float, end: float) -> list[float]:
    """The users' own requests (polls left out) as the server timed them, in seconds: what the
    users wait for less the bench's side (its client threads, the network)."""
    return [
        e["ms"] / 1000
        for e in _access(log, start, end)
        if _asker(e) == "users" and e.get("callback") != POLL_OUTPUT and e.get("ms") is not None
    ]


def _asker(entry: dict[str, Any]) -> str:
    if str(entry.get("path", "")).startswith(("/api/", "/open311/")):
        return "intake API"
    return "wall screens" if entry.get("user") == B.WALL_ACCOUNT else "users"


def print_cpu(log: Path, spans: list[tuple[float, float]]) -> None:
    (quiet, busy) = (server_cpu(log, *span) for span in spans)
    for name in ("users", "wall screens", "intake API"):
        print(
            f"server CPU, {name}: alone {quiet.get(name, 0.0):.1f} s, with the feed {busy.get(name, 0.0):.1f} s"
        )
    times = [server_seconds(log, *span) for span in spans]
    print(f"users' own requests p95 as the server timed them: alone {_ms(times[0], 95)}, with the feed {_ms(times[1], 95)} (× {np.percentile(times[1], 95) / np.percentile(times[0], 95):.2f})")  # fmt: skip
    total_q, total_b = sum(quiet.values()), sum(busy.values())
    print(f"server CPU in requests: alone {total_q:.1f} s, with the feed {total_b:.1f} s (× {total_b / max(total_q, 1e-9):.2f})")  # fmt: skip
    _print_by_request(log, spans)


def summarise(engine: sa.engine.Engine, quiet: list[U.Sample], busy: list[U.Sample], feed: Feed, seen: list[tuple[float, int]]) -> None:  # fmt: skip
    counted = not_duplicates(engine, [t for t, _ in feed.acked])
    base = seen[0][1] if seen else 0
    latencies = counted_after([at for t, at in feed.acked if t in counted], seen, base=base)
    for kind, values in feed.latency.items():
        print(
            f"feed {kind}: {len(values):,} requests acknowledged, p50 {_ms(values, 50)}, p95 {_ms(values, 95)}"
        )
    print(f"feed errors (retried): {len(feed.errors)} {sorted(set(feed.errors))[:5]}; its last 2xx {feed.late:+.1f} s from the phase's end")  # fmt: skip
    print(f"incidents acknowledged {len(feed.acked):,}, counting (not duplicates) {len(counted):,}, seen counted on the wall {len(latencies):,}")  # fmt: skip
    if seen:
        print(f"the wall's 今日新增: {base:,} before the feed, {seen[-1][1]:,} at its last refresh (+{seen[-1][1] - base:,})")  # fmt: skip
    print(
        f"2xx → counted on the wall screen: p50 {_ms(latencies, 50)}, p95 {_ms(latencies, 95)} (goal ≤ 5 s)"
    )
    q, b = (B.own(x) for x in (quiet, busy))
    ratio = np.percentile(b, 95) / np.percentile(q, 95) if q and b else float("nan")
    print(
        f"users' own requests p95 (polls left out): alone {_ms(q, 95)}, with the feed {_ms(b, 95)}"
        f" (× {ratio:.2f}; goal ≤ 1 s and ≤ × 1.2)"
    )


if __name__ == "__main__":
    main()
