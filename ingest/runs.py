"""The ``ingest_run`` ledger and quarantine: start, finish, failures, listing, report, export."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from geo.errors import InputError
from geo.spreadsheet import guard_formulas

if TYPE_CHECKING:
    from ingest.job import JobResult


def start(conn: Connection, *, kind: str, source: str, name: str, sha256: str | None) -> int:
    return int(
        conn.execute(
            sa.text(
                "INSERT INTO ingest_run (kind, source, file_name, sha256) VALUES (:k, :s, :f, :h) RETURNING id"
            ),
            {"k": kind, "s": source, "f": name, "h": sha256},
        ).scalar_one()
    )


def finish(conn: Connection, run_id: int, result: JobResult) -> None:
    conn.execute(
        sa.text(
            "UPDATE ingest_run SET status = 'done', finished_at = now(), n_read = :r, n_inserted = :i, n_updated = :u, "
            "n_unchanged = :n, n_quarantined = :q, duration_s = extract(epoch FROM now() - started_at), message = :m "
            "WHERE id = :id"
        ),
        {
            "r": result.read,
            "i": result.inserted,
            "u": result.updated,
            "n": result.unchanged,
            "q": result.quarantined,
            "m": json.dumps({"notes": result.notes, **result.report}, ensure_ascii=False)
            if result.notes or result.report
            else None,
            "id": run_id,
        },
    )


def record_failure(
    engine: Engine, *, kind: str, source: str, name: str, sha256: str | None, message: str
) -> int:
    """A failed job leaves no data, but a line in the ledger saying why: its run id."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                sa.text(
                    "INSERT INTO ingest_run (kind, source, file_name, sha256, status, finished_at, message) "
                    "VALUES (:k, :s, :f, :h, 'failed', now(), :m) RETURNING id"
                ),
                # a message may quote the offending row, NUL bytes and all; PostgreSQL text holds none
                {"k": kind, "s": source, "f": name, "h": sha256, "m": message.replace("\x00", "")},
            ).scalar_one()
        )


@dataclass(frozen=True)
class ReasonGroup:
    """The quarantined rows of one reason kind: how many, and the first few (row, value)."""

    kind: str
    count: int
    samples: tuple[tuple[int, str | None], ...]

    def describe(self) -> list[str]:
        """Two lines: the count and kind, then the sample rows with their values."""
        shown = [
            f"row {row}" + (f"「{_short(value)}」" if value is not None else "")
            for row, value in self.samples
        ]
        return [f"{self.count:>8}  {self.kind}", f"{'':>10}e.g. {', '.join(shown)}"]


def _short(value: str, width: int = 60) -> str:
    """A value on one line, cut to ``width`` characters (a cell may hold a page of text)."""
    line = " ".join(value.split())
    return line if len(line) <= width else line[: width - 1] + "…"


@dataclass(frozen=True)
class RunReport:
    run: dict[str, Any]
    reasons: list[ReasonGroup]  # by kind, most rows first
    sample: list[dict[str, Any]]  # first quarantined rows


_GROUPS = sa.text(
    "WITH q AS (SELECT coalesce(reason_kind, reason) AS kind, row_number AS line, reason_value "
    "FROM quarantine WHERE run_id = :id), "
    "counted AS (SELECT kind, count(*) AS n FROM q GROUP BY kind ORDER BY n DESC, kind LIMIT :kinds), "
    "ranked AS (SELECT kind, line, reason_value, row_number() OVER (PARTITION BY kind ORDER BY line) AS k "
    "FROM q WHERE kind IN (SELECT kind FROM counted)) "
    "SELECT c.kind, c.n, r.line, r.reason_value FROM counted c JOIN ranked r ON r.kind = c.kind AND r.k <= :samples "
    "ORDER BY c.n DESC, c.kind, r.line"
)


def reason_groups(conn: Connection, run_id: int, *, kinds: int = 1000, samples: int = 3) -> list[ReasonGroup]:
    """The run's quarantine by reason kind, most rows first (at most ``kinds`` of them), each
    with its first ``samples`` rows and their offending values."""
    rows = conn.execute(_GROUPS, {"id": run_id, "kinds": kinds, "samples": samples}).all()
    groups: dict[str, tuple[int, list[tuple[int, str | None]]]] = {}
    for kind, n, line, value in rows:
        groups.setdefault(kind, (int(n), []))[1].append((int(line), value))
    return [ReasonGroup(kind, n, tuple(found)) for kind, (n, found) in groups.items()]


def recent(conn: Connection, *, limit: int = 20) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.text(
            "SELECT id, kind, source, file_name, status, started_at, n_read, n_inserted, n_updated, n_unchanged, "
            "n_quarantined, duration_s FROM ingest_run ORDER BY id DESC LIMIT :n"
        ),
        {"n": limit},
    )
    return [dict(r._mapping) for r in rows]


def _run(conn: Connection, run_id: int) -> dict[str, Any]:
    run = conn.execute(sa.text("SELECT * FROM ingest_run WHERE id = :id"), {"id": run_id}).mappings().first()
    if run is None:
        raise InputError(f"there is no ingest run {run_id}; `gridgov ingest runs` lists them")
    return dict(run)


def report(conn: Connection, run_id: int, *, sample: int = 20) -> RunReport:
    run = _run(conn, run_id)
    rows = conn.execute(
        sa.text(
            "SELECT row_number, reason, raw FROM quarantine WHERE run_id = :id ORDER BY row_number LIMIT :n"
        ),
        {"id": run_id, "n": sample},
    )
    return RunReport(run, reason_groups(conn, run_id), [dict(r._mapping) for r in rows])


def quarantine_frame(conn: Connection, run_id: int) -> pd.DataFrame:
    """The run's quarantined rows as they came in, plus 行号 (row) and 原因 (reason) first."""
    rows = conn.execute(
        sa.text("SELECT row_number, reason, raw FROM quarantine WHERE run_id = :id ORDER BY row_number"),
        {"id": run_id},
    ).all()
    raw = pd.DataFrame([r.raw for r in rows])
    raw.insert(0, "原因 reason", [r.reason for r in rows])
    raw.insert(0, "行号 row", [r.row_number for r in rows])
    return raw


def export_quarantine(conn: Connection, run_id: int, path: Path) -> int:
    """Write the quarantine as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX; rows written."""
    _run(conn, run_id)  # a clear error for an unknown run
    frame = quarantine_frame(conn, run_id)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        guard_formulas(frame).to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        guard_formulas(frame).to_excel(path, index=False, sheet_name="quarantine")
    else:
        raise InputError(f"export to {path.name}: use a .csv or .xlsx file name")
    return len(frame)


def format_runs(rows: Sequence[dict[str, Any]]) -> str:
    head = f"{'id':>5}  {'kind':<18} {'source':<14} {'status':<7} {'read':>8} {'ins':>8} {'upd':>7} {'same':>8} {'quar':>6}  file"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['id']:>5}  {r['kind']:<18} {r['source']:<14} {r['status']:<7} {r['n_read']:>8} {r['n_inserted']:>8} "
            f"{r['n_updated']:>7} {r['n_unchanged']:>8} {r['n_quarantined']:>6}  {r['file_name'] or ''}"
        )
    return "\n".join(lines)
