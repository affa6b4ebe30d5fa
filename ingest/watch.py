"""`gridgov ingest watch`: load each file that lands in a drop folder, once, with the ordinary job.

Each pass first takes again the files a watcher died on (in ``processing/``: its job's
transaction rolled back, so it runs again), then looks at the folder (``ingest/dropfolder.py``)
and runs the job (``ingest/job.py``, the same as `gridgov ingest KIND FILE`) on each ready file,
oldest first. A file the job refuses (``InputError``: unreadable, wrong columns, no rows) goes to
``failed/`` with the reason; one whose rows were loaded or quarantined goes to ``done/``. When the
database cannot be reached the file stays where it is and the pass ends; the next pass retries.
A stop request (SIGTERM) is honoured between files: a job that has begun ends first.
Everything is logged as JSON lines with an ``event``: watching, waiting, progress, done, failed,
retry, stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError

from geo.errors import GridgovError, InputError
from ingest.dropfolder import DropFolder
from ingest.job import JobResult
from ingest.progress import Progress, Step

Load = Callable[[Path, Progress], JobResult]  # the job on one file, reporting its steps
NoteFailure = Callable[[Path, str], int]  # a ledger line for a failure the job did not record
_UNREACHABLE = (OperationalError, InterfaceError)  # the database cannot be reached


@dataclass(frozen=True)
class Watcher:
    folder: DropFolder
    load: Load
    note_failure: NoteFailure
    log: logging.Logger
    stop: threading.Event

    def run(self, *, once: bool, interval: float) -> int:
        """Pass after pass every ``interval`` seconds until stopped (``once``: one pass). The exit
        status: 1 when the last pass could not reach the database, else 0."""
        self._event("watching", f"watching {self.folder.root}", dir=str(self.folder.root), interval=interval)
        while True:
            reached = self.one_pass()
            if once or self.stop.wait(interval):
                break
        self._event("stopped", "stopped" if not once else "one pass done")
        return 0 if reached else 1

    def one_pass(self) -> bool:
        """Resume, look, load; False if the database could not be reached."""
        for claimed in self.folder.resumable():
            if self.stop.is_set():
                return True
            self._event("resumed", f"taking {claimed.name} again", file=claimed.name)
            if not self._handle(claimed):
                return False
        seen = self.folder.look()
        for path in seen.changing:
            self._event(
                "waiting", f"{path.name} may still be written", file=path.name, size=seen.looks[path.name][0]
            )
        for path in seen.ready:
            if self.stop.is_set():
                return True
            taken = self.folder.claim(path)
            if taken is not None and not self._handle(taken):
                return False
        return True

    def _handle(self, claimed: Path) -> bool:
        """Run the job on a claimed file and move it; False (file left in place) if the database
        could not be reached."""
        steps: list[Step] = []

        def progress(step: Step) -> None:
            steps.append(step)
            self._event("progress", f"{claimed.name}: {step.phase}", file=claimed.name, **_fields(step))

        try:
            result = self.load(claimed, progress)
        except (*_UNREACHABLE, GridgovError) as exc:
            if not isinstance(exc, InputError):  # the database, not the file: try again later
                self._retry(claimed, exc)
                return False
            return self._fail(
                claimed, str(exc), run=next((s.run for s in steps if s.phase == "failed"), None)
            )
        except Exception as exc:  # a bug must not make the file come back forever
            self.log.exception("unexpected error", extra={"event": "error", "file": claimed.name})
            return self._fail(claimed, f"unexpected error ({type(exc).__name__}): {exc}", run=None)
        self._done(claimed, result)
        return True

    def _done(self, claimed: Path, result: JobResult) -> None:
        moved = self.folder.finish(claimed, run_id=result.run_id)
        counts = {k: getattr(result, k) for k in ("read", "inserted", "updated", "unchanged", "quarantined")}
        message = f"{claimed.name} loaded as run {result.run_id}"
        self._event("done", message, file=claimed.name, run=result.run_id, moved_to=str(moved), **counts)

    def _fail(self, claimed: Path, reason: str, *, run: int | None) -> bool:
        try:
            run = self.note_failure(claimed, reason) if run is None else run
        except _UNREACHABLE as exc:
            self._retry(claimed, exc)
            return False
        moved = self.folder.finish(claimed, run_id=run, reason=reason)
        self._event(
            "failed",
            f"{claimed.name} refused: {reason}",
            file=claimed.name,
            run=run,
            moved_to=str(moved),
            reason=reason,
        )
        return True

    def _retry(self, claimed: Path, exc: Exception) -> None:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.log.warning(
            f"{claimed.name}: will retry: {reason}",
            extra={"event": "retry", "file": claimed.name, "reason": reason},
        )

    def _event(self, event: str, message: str, **fields: object) -> None:
        self.log.info(message, extra={"event": event, **fields})


def _fields(step: Step) -> dict[str, object]:
    """A step's non-empty fields (``message`` as ``reason``: ``message`` is the log line's own)."""
    out: dict[str, object] = {"phase": step.phase}
    for name in ("run", "batches", "read", "quarantined"):
        if getattr(step, name):
            out[name] = getattr(step, name)
    if step.message:
        out["reason"] = step.message
    return out
