"""Ingest jobs in processes of their own, followed by what they report, for tests that kill them.

A test waits on what the job and the server say, never on the clock: the job's progress
lines (`gridgov ingest --progress-json`, see ingest/progress.py), its session in
``pg_stat_activity`` (named by ``PGAPPNAME``) and the locks it holds or waits for in ``pg_locks``.
The time limits below only bound a wait that should end long before them.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.sql import one

LIMIT = 300.0  # seconds: a job that reports nothing for this long is stuck, not slow


class IngestJob:
    """`gridgov ingest incidents FILE --progress-json` against ``engine``'s database, named
    ``app`` on the server; its progress steps are read as they come."""

    def __init__(self, engine: Engine, path: Path, *, source: str, app: str, batch_size: int) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env |= {"DATABASE_URL": engine.url.render_as_string(hide_password=False), "PGAPPNAME": app}
        cmd = [sys.executable, "-m", "gridgov", "ingest", "incidents", str(path), "--source", source]
        cmd += ["--crs", "wgs84", "--progress-json", "--batch-size", str(batch_size)]
        self.app, self.steps, self.other_lines = app, list[dict[str, Any]](), list[str]()
        self.process = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def __enter__(self) -> IngestJob:
        return self

    def __exit__(self, *exc: object) -> None:
        """A job left running (the test failed on the way) is killed, never left to commit."""
        if self.process.poll() is None:
            self.kill()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._lines.put(line)
        self._lines.put(None)

    def next_step(self) -> dict[str, Any] | None:
        """The job's next progress step; None when it has ended (its stderr closed)."""
        while (line := self._lines.get(timeout=LIMIT)) is not None:
            if line.startswith("{"):
                self.steps.append(json.loads(line))
                return self.steps[-1]
            self.other_lines.append(line)
        return None

    def reach(self, phase: str, *, batches: int = 0) -> dict[str, Any]:
        """Read steps until the job reports ``phase`` (for ``batch``, the ``batches``-th)."""
        while (step := self.next_step()) is not None:
            if step["phase"] == phase and step.get("batches", 0) >= batches:
                return step
            assert step["phase"] not in ("done", "failed"), f"the job ended before {phase}: {self.steps}"
        raise AssertionError(f"the job ended before {phase}: {self.steps} {''.join(self.other_lines)}")

    def kill(self) -> None:
        """kill -9, and wait for the process to be gone."""
        self.process.kill()
        self.process.wait(timeout=LIMIT)
        self._close()

    def _close(self) -> str:
        """Close the pipes once the process has ended; what it wrote on stdout."""
        self._reader.join(timeout=LIMIT)
        assert self.process.stdout is not None and self.process.stderr is not None
        with self.process.stdout, self.process.stderr:
            return self.process.stdout.read()

    def end(self) -> tuple[int, str]:
        """Wait for the job's end: its exit status and what it wrote on stdout."""
        while self.next_step() is not None:
            pass
        out = self._close()
        return self.process.wait(timeout=LIMIT), out

    def finish(self) -> str:
        """Wait for the job's end; its summary (stdout). It must have succeeded."""
        status, out = self.end()
        assert status == 0, "".join(self.other_lines)
        assert self.steps[-1]["phase"] == "done", self.steps
        return out


def wait_until(check: Callable[[], bool], *, what: str) -> None:
    """Poll the server's own report (pg_locks) until ``check`` holds. A session starting to wait
    for a lock sends no event anyone could block on, so this asks every 10 ms; nothing depends on
    how long the job takes (``LIMIT`` only ends a stuck job's test)."""
    deadline = time.monotonic() + LIMIT
    while not check():
        assert time.monotonic() < deadline, f"waited {LIMIT:.0f} s for {what}"
        time.sleep(0.01)


def wait_rolled_back(engine: Engine, *, source: str, kind: str = "incidents") -> None:
    """Block until a killed job's transaction has ended (rolled back: a dead client cannot
    commit): take the advisory lock it held on its kind and source (ingest/job.py) and wait for
    it, without polling."""
    with engine.begin() as conn:
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(LIMIT)}s'"))
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"ingest:{kind}:{source}"})


def waiting_for(engine: Engine, app: str, *, relation: str) -> bool:
    """The session named ``app`` waits for a lock on ``relation``."""
    sql = (
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE a.application_name = :app AND NOT l.granted AND l.relation = to_regclass(:rel)"
    )
    return one(engine, sql, app=app, rel=relation) > 0


@contextmanager
def holding_back_commits(engine: Engine) -> Iterator[None]:
    """Hold the lock every write to ``incident`` takes at its end (its ``incident_change`` row,
    which tells caches the table changed; migrations 0004/0005, geo/partitions.attach): while
    it is held, a job copies all its batches and starts its merge but waits there, inside its
    transaction, so it cannot commit. Readers are not blocked. Released (rolled back) after."""
    with engine.connect() as conn:
        conn.execute(sa.text("LOCK TABLE incident_change IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()
