"""Helpers for tests of incident lifecycles: incidents to hang steps on, event files written as a
12345 platform exports them, and the `incident-events` job run on them.

    add_incidents(engine, "12345", [case("T1", reported="2026-11-02 09:00")])
    path = write_events(tmp_path / "steps.csv", [step("T1", "签收", "2026-11-02 09:30")])
    result = ingest_events(engine, path, source="12345")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo import partitions
from ingest.job import JobOptions, JobResult, run_file
from ingest.kinds import get_kind

TZ = ZoneInfo("Asia/Shanghai")
# field → the header a 12345 platform's export gives it
HEADERS_ZH = {
    "ticket": "工单编号",
    "step": "环节",
    "at": "操作时间",
    "department": "承办单位",
    "satisfaction": "满意度",
    "resolved": "是否解决",
    "deadline_at": "新办理时限",
    "note": "备注",
    "incident_source": "来源",
}
HEADERS_EN = {name: name for name in HEADERS_ZH}
_INSERT = sa.text(
    "INSERT INTO incident (source, source_id, category, reported_at, deadline_at, street_id, geom) "
    "VALUES (:source, :ticket, :category, :reported, :deadline, :street, "
    "ST_SetSRID(ST_MakePoint(116.47, 39.92), 4326)) RETURNING id"
)


def when(text: str) -> dt.datetime:
    """'2026-11-02 09:00' as Beijing time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def case(
    ticket: str,
    *,
    reported: str,
    deadline: str | None = None,
    category: str = "other",
    street: int | None = None,
) -> dict[str, Any]:
    """An incident to load with :func:`add_incidents`."""
    return {
        "ticket": ticket,
        "reported": when(reported),
        "deadline": when(deadline) if deadline else None,
        "category": category,
        "street": street,
    }


def add_incidents(engine: Engine, source: str, cases: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Insert ``cases`` into ``source``'s partition (made if missing): ticket → incident id."""
    ids = {}
    with engine.begin() as conn:
        partitions.ensure(conn, source)
        for row in cases:
            ids[row["ticket"]] = conn.execute(_INSERT, {"source": source, **row}).scalar_one()
    return ids


def step(ticket: str, kind: str, at: str, **payload: object) -> dict[str, object]:
    """One row of an event file: ticket, step (受理, 签收, … or a key), time and what it carries
    (department, satisfaction, resolved, deadline_at, note, incident_source)."""
    return {"ticket": ticket, "step": kind, "at": at, **payload}


def write_events(
    path: Path, rows: Iterable[Mapping[str, object]], *, headers: Mapping[str, str] = HEADERS_ZH
) -> Path:
    """Rows as a CSV file (UTF-8) or XLSX (by the suffix) with ``headers``."""
    frame = pd.DataFrame(list(rows)).rename(columns=dict(headers))
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def ingest_events(engine: Engine, path: Path, *, source: str, **options: Any) -> JobResult:
    """Run the `incident-events` job on ``path`` as ``gridgov ingest`` does."""
    return run_file(
        engine, kind=get_kind("incident-events"), path=path, options=JobOptions(source=source, **options)
    )


LIFECYCLE = (
    "registered_at",
    "signed_at",
    "dispatched_at",
    "department",
    "handled_at",
    "closed_at",
    "rework_count",
    "deadline_at",
    "suspended_at",
    "satisfaction",
    "resolved",
    "status",
)


def lifecycle(engine: Engine, source: str, ticket: str) -> dict[str, Any]:
    """The incident's derived lifecycle columns."""
    query = sa.text(f"SELECT {', '.join(LIFECYCLE)} FROM incident WHERE source = :s AND source_id = :t")
    with engine.connect() as conn:
        return dict(conn.execute(query, {"s": source, "t": ticket}).mappings().one())
