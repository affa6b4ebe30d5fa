"""A drop folder another system exports files into, as `gridgov ingest watch DIR` sees it.

A file is *ready* when a ``NAME.done`` marker stands beside it, or when two looks in a row
found it with the same size and modification time (the looks are kept in ``DIR/.gridgov-watch.json``,
so a run started by cron looks once and the next run compares). A ready file is *claimed* by
renaming it into ``DIR/processing/`` (one rename: two watchers never take the same file), and
after its job it is moved to ``DIR/done/`` or ``DIR/failed/`` with its run id in the name
(``export.csv`` → ``export.run42.csv``), a failed one with ``export.run42.csv.reason.txt`` beside
it. A file left in ``processing/`` by a watcher that died is taken again first.

Never picked up: hidden files (``.…``), Office lock files (``~$…``), the markers, and names an
exporter writes to before renaming (``….part``, ``….tmp``, ``….partial``, ``….crdownload``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InputError

MARKER = ".done"
STATE = ".gridgov-watch.json"
PROCESSING, DONE, FAILED = "processing", "done", "failed"
_UNFINISHED = (".part", ".tmp", ".partial", ".crdownload", MARKER)

Look = tuple[int, int]  # (size in bytes, modification time in ns)


@dataclass(frozen=True)
class Seen:
    """What one look found: each candidate's (size, mtime), the ready ones, the ones still changing."""

    looks: dict[str, Look]
    ready: list[Path]
    changing: list[Path]


@dataclass(frozen=True)
class DropFolder:
    root: Path

    @classmethod
    def open(cls, root: Path) -> DropFolder:
        """The folder, with its ``processing/``, ``done/`` and ``failed/`` made if missing."""
        if not root.is_dir():
            raise InputError(
                f"{root} is not a directory; create it or point `gridgov ingest watch` at the export folder"
            )
        for name in (PROCESSING, DONE, FAILED):
            (root / name).mkdir(exist_ok=True)
        return cls(root)

    def candidates(self) -> list[Path]:
        """Files in the folder that may be data, oldest first."""
        found = [p for p in self.root.iterdir() if _candidate(p)]
        return sorted(found, key=lambda p: (_stat(p)[1], p.name))

    def resumable(self) -> list[Path]:
        """Files a watcher claimed and did not finish (it died), oldest first."""
        found = [p for p in (self.root / PROCESSING).iterdir() if p.is_file()]
        return sorted(found, key=lambda p: (_stat(p)[1], p.name))

    def look(self) -> Seen:
        """Look once: ready files (marker, or unchanged since the previous look) and changing ones."""
        before = self._previous()
        looks, ready, changing = {}, [], []
        for path in self.candidates():
            now = _stat(path)
            looks[path.name] = now
            marked = path.with_name(path.name + MARKER).exists()
            if marked or tuple(before.get(path.name, ())) == now:
                ready.append(path)
            else:
                changing.append(path)
        if looks != {name: tuple(look) for name, look in before.items()}:
            self._remember(looks)
        return Seen(looks, ready, changing)

    def claim(self, path: Path) -> Path | None:
        """Move a ready file into ``processing/``; None if it is gone (another watcher took it) or
        a file of that name is still being processed."""
        target = self.root / PROCESSING / path.name
        if target.exists():
            return None
        try:
            path.rename(target)
        except FileNotFoundError:
            return None
        path.with_name(path.name + MARKER).unlink(missing_ok=True)
        return target

    def finish(self, claimed: Path, *, run_id: int | None, reason: str | None = None) -> Path:
        """Move a claimed file to ``done/`` (no reason) or ``failed/`` (with ``reason.txt``)."""
        folder = self.root / (DONE if reason is None else FAILED)
        target = folder / _run_name(claimed.name, run_id)
        if reason is not None:
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        claimed.rename(target)
        return target

    def _previous(self) -> dict[str, list[int]]:
        try:
            found = json.loads((self.root / STATE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def _remember(self, looks: dict[str, Look]) -> None:
        """Write the looks atomically (a watcher killed while writing leaves the old ones)."""
        path, spare = self.root / STATE, self.root / (STATE + ".new")
        spare.write_text(json.dumps(looks), encoding="utf-8")
        os.replace(spare, path)


def _candidate(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "~$")) or name.lower().endswith(_UNFINISHED):
        return False
    return path.is_file()


def _stat(path: Path) -> Look:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


def _run_name(name: str, run_id: int | None) -> str:
    """``export.csv`` → ``export.run42.csv`` (``export.norun.csv`` if no run was recorded)."""
    stem, dot, suffix = name.rpartition(".")
    tag = f"run{run_id}" if run_id is not None else "norun"
    return f"{stem}.{tag}.{suffix}" if dot and stem else f"{name}.{tag}"
