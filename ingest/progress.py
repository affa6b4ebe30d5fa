"""What a running ingest job reports: each phase it reaches, in order.

A job calls its ``progress`` hook with a :class:`Step` when it has

- to wait (``waiting``, with ``message``): another job on the same kind and source holds their
  lock; it goes on by itself once that job has ended;
- ``begun``: its transaction holds the source's lock and the ledger row (``run``) is written;
- copied a ``batch`` (``batches`` so far, ``read`` rows so far, ``quarantined`` so far);
- reached the ``merge``: every batch is copied, the rows are being merged into the table (or
  the source's fresh partition attached, its indexes built);
- ``merged``: what is left is the kind's follow-up (duplicate links, topology) and the ledger;
- ``commit`` (``rollback`` for a dry run): the last statement is being sent;
- ``done``: committed (or rolled back); or ``failed``: refused with ``message``, nothing written
  (``run``: the ledger's line saying so; none for a dry run).

Everything before ``done`` is inside one transaction, so a job that dies there leaves the
database as it was. `gridgov ingest --progress-json` prints each step as a line of JSON on stderr
(for a scheduler or a log collector); the progress bar counts the batches' rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

Phase = Literal["waiting", "begun", "batch", "merge", "merged", "commit", "rollback", "done", "failed"]


@dataclass(frozen=True)
class Step:
    phase: Phase
    run: int | None = None  # the ingest_run row (None before it exists)
    batches: int = 0  # batches copied so far
    read: int = 0  # rows read so far
    quarantined: int = 0  # rows quarantined so far
    rows: int = 0  # rows read in this step (a batch's), for a progress bar
    message: str = ""  # why a failed job was refused, or what a waiting one waits for

    def json(self) -> str:
        """One line of JSON: the phase first, empty fields left out."""
        fields = {k: v for k, v in asdict(self).items() if v or k == "phase"}
        return json.dumps(fields, ensure_ascii=False)


Progress = Callable[[Step], None]
