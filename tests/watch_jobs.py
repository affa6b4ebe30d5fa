"""`gridgov ingest watch` in a process of its own, followed by the JSON lines it logs.

A test waits on what the watcher reports (its ``event`` lines) and on the files it moves, never
on the clock; ``LIMIT`` only bounds a wait that should end long before it.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from tests.small_district import EAST, NORTH, SOUTH, WEST

LIMIT = 300.0


def _env(engine: Engine) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {"DATABASE_URL": engine.url.render_as_string(hide_password=False)}


def _command(folder: Path, source: str, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "gridgov", "ingest", "watch", str(folder), "--kind", "incidents"]
    return [*cmd, "--source", source, "--crs", "wgs84", *extra]


def events(stderr: str) -> list[dict[str, Any]]:
    """The watcher's log lines (JSON objects with an ``event``), in order."""
    lines = (json.loads(line) for line in stderr.splitlines() if line.startswith("{"))
    return [line for line in lines if "event" in line]


def watch_once(
    engine: Engine, folder: Path, source: str, *extra: str
) -> tuple[int, list[dict[str, Any]], str]:
    """`gridgov ingest watch FOLDER --once`: exit status, events, and stderr (for messages)."""
    done = subprocess.run(
        _command(folder, source, "--once", *extra),
        env=_env(engine),
        capture_output=True,
        text=True,
        timeout=LIMIT,
    )
    return done.returncode, events(done.stderr), done.stderr


class Watching:
    """`gridgov ingest watch FOLDER` left running; its events read as they come."""

    def __init__(self, engine: Engine, folder: Path, source: str, *extra: str) -> None:
        self.events: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            _command(folder, source, *extra), env=_env(engine), stderr=subprocess.PIPE, text=True
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._lines.put(line)
        self._lines.put(None)

    def __enter__(self) -> Watching:
        return self

    def __exit__(self, *exc: object) -> None:
        """A watcher left running (the test failed on the way) is killed; its pipe closed."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=LIMIT)
        self._reader.join(timeout=LIMIT)
        assert self.process.stderr is not None
        self.process.stderr.close()

    def until(self, event: str, **fields: object) -> dict[str, Any]:
        """Read events until one named ``event`` with ``fields``; fails if the watcher ends first."""
        while (line := self._lines.get(timeout=LIMIT)) is not None:
            found = events(line)
            self.events += found
            for item in found:
                if item["event"] == event and all(item.get(k) == v for k, v in fields.items()):
                    return item
        raise AssertionError(f"the watcher ended before {event} {fields}: {self.events}")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=LIMIT)

    def exit_status(self) -> int:
        """Read to the end of its output; its exit status."""
        while (line := self._lines.get(timeout=LIMIT)) is not None:
            self.events += events(line)
        return self.process.wait(timeout=LIMIT)


def incidents(prefix: str, n: int) -> pd.DataFrame:
    """``n`` incidents inside the small district (tests/small_district.py), WGS-84 points."""
    return pd.DataFrame(
        {
            "工单编号": [f"{prefix}-{i:04d}" for i in range(n)],
            "诉求类型": ["环境卫生", "物业", "街面秩序", "安全隐患"] * (n // 4) + ["其他"] * (n % 4),
            "诉求内容": [f"测试事件 {i}" for i in range(n)],
            "经度": [WEST + (EAST - WEST) * (i + 0.5) / n for i in range(n)],
            "纬度": [SOUTH + (NORTH - SOUTH) * ((i * 7) % n + 0.5) / n for i in range(n)],
            "受理时间": [f"2026-11-{1 + i % 28:02d} 08:{i % 60:02d}:00" for i in range(n)],
        }
    )


def csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")
