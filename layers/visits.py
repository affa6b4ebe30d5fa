"""Recording a visit from the planning page, and what it sets in motion.

A visit is passed, a hazard found, or a rectification ordered with a due date. A hazard without
a date gets one ``recheck_days`` ahead: either way the target becomes a mandatory revisit due
on that date (the planner reads open rectifications). A passed visit closes the target's open
rectifications (``rectified_at``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError

OUTCOMES = {
    "passed": ("合格", "passed"),
    "hazard": ("发现隐患", "hazard found"),
    "rectify": ("责令整改", "rectification ordered"),
}
SOURCE = "web"
_INSERT = """
INSERT INTO inspection (source, source_id, target_id, inspected_at, inspector, passed, findings, rectify_deadline, notes)
VALUES (:source, :sid, :target, :at, :inspector, :passed, CAST(:findings AS jsonb), :deadline, :notes)
RETURNING id
"""
_CLOSE = """
UPDATE inspection SET rectified_at = :at
WHERE target_id = :target AND rectify_deadline IS NOT NULL AND rectified_at IS NULL AND inspected_at <= :at
"""


@dataclass(frozen=True)
class VisitRecord:
    target: int
    at: dt.datetime
    outcome: str  # a key of OUTCOMES
    inspector: str = ""
    notes: str = ""
    due: dt.date | None = None  # rectification deadline

    def deadline(self, recheck_days: int) -> dt.date | None:
        if self.outcome == "passed":
            return None
        return self.due or (self.at.date() + dt.timedelta(days=recheck_days))


def _check(record: VisitRecord) -> None:
    if record.outcome not in OUTCOMES:
        raise InputError(f"unknown outcome {record.outcome!r}; one of {', '.join(OUTCOMES)}")
    if record.outcome == "rectify" and record.due is None:
        raise InputError("a rectification needs a due date (整改期限)")
    if record.due is not None and record.due < record.at.date():
        raise InputError("the rectification due date is before the visit")
    if len(record.notes) > 4000 or len(record.inspector) > 100:
        raise InputError("notes are limited to 4,000 characters and the inspector's name to 100")


def record_visit(conn: Connection, record: VisitRecord, *, recheck_days: int) -> int:
    """Store the visit (in the caller's transaction); return its id."""
    _check(record)
    if (
        conn.execute(sa.text("SELECT 1 FROM inspection_target WHERE id = :t"), {"t": record.target}).first()
        is None
    ):
        raise InputError(f"no inspection target {record.target}")
    if record.outcome == "passed":
        conn.execute(sa.text(_CLOSE), {"target": record.target, "at": record.at})
    params = {
        "source": SOURCE,
        "sid": uuid.uuid4().hex,
        "target": record.target,
        "at": record.at,
        "inspector": record.inspector.strip() or None,
        "passed": record.outcome == "passed",
        "findings": "[]",
        "deadline": record.deadline(recheck_days),
        "notes": record.notes.strip() or None,
    }
    return int(conn.execute(sa.text(_INSERT), params).scalar_one())
