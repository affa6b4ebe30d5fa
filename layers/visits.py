"""Recording a visit from the planning page, what it sets in motion, and reading visits back.

A visit ends in one of ``geo.visit_outcomes.OUTCOMES``:

- passed: closes the target's open rectifications (``rectified_at``);
- hazard found, or referred to law enforcement: the target becomes a mandatory revisit, due on
  the date given or ``recheck_days`` ahead (the planner reads open rectifications);
- rectification ordered: the same, with a due date required;
- fixed on the spot: a hazard found and put right during the visit (rectified at once, no revisit);
- closed down: the site is closed (``inspection_target.closed_at``): it leaves the register and
  the rounds, and its open rectifications are closed.

The kind's checklist is recorded item by item in ``findings`` (``[{"item", "ok"}]``): the items
ticked as having a problem are not ok; a passed visit can have none.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError
from geo.visit_outcomes import OUTCOMES as TERMS

OUTCOMES = {key: (t.zh, t.en) for key, t in TERMS.items()}
REVISITED = ("hazard", "rectify", "referred")  # outcomes that make the target a mandatory revisit
SOURCE = "web"
_INSERT = """
INSERT INTO inspection (source, source_id, target_id, inspected_at, inspector, passed, outcome, findings,
                        rectify_deadline, rectified_at, notes)
VALUES (:source, :sid, :target, :at, :inspector, :passed, :outcome, CAST(:findings AS jsonb), :deadline,
        :rectified, :notes)
RETURNING id
"""
_CLOSE = """
UPDATE inspection SET rectified_at = :at
WHERE target_id = :target AND rectify_deadline IS NOT NULL AND rectified_at IS NULL AND inspected_at <= :at
"""
_CLOSE_SITE = "UPDATE inspection_target SET closed_at = :at WHERE id = :target"
_HISTORY = """
SELECT inspected_at, outcome, inspector, findings, rectify_deadline, rectified_at, notes
FROM inspection WHERE target_id = :target ORDER BY inspected_at DESC, id DESC LIMIT :limit
"""


@dataclass(frozen=True)
class VisitRecord:
    target: int
    at: dt.datetime
    outcome: str  # a key of OUTCOMES
    inspector: str = ""
    notes: str = ""
    due: dt.date | None = None  # rectification deadline
    failed: tuple[str, ...] = ()  # checklist items found with a problem

    def deadline(self, recheck_days: int) -> dt.date | None:
        if self.outcome == "fixed":
            return self.at.date()
        if self.outcome not in REVISITED:
            return None
        return self.due or (self.at.date() + dt.timedelta(days=recheck_days))


def _check(record: VisitRecord, checks: Sequence[str]) -> None:
    if record.outcome not in OUTCOMES:
        raise InputError(f"unknown outcome {record.outcome!r}; one of {', '.join(OUTCOMES)}")
    if record.outcome == "rectify" and record.due is None:
        raise InputError("a rectification needs a due date (整改期限)")
    if record.due is not None and record.due < record.at.date():
        raise InputError("the rectification due date is before the visit")
    if len(record.notes) > 4000 or len(record.inspector) > 100:
        raise InputError("notes are limited to 4,000 characters and the inspector's name to 100")
    unknown = [item for item in record.failed if item not in checks]
    if unknown:
        raise InputError(f"「{'、'.join(unknown)}」不在该类对象的检查项中 (not on this kind's checklist)")
    if record.outcome == "passed" and record.failed:
        raise InputError(
            "合格的检查不能有问题项 (a passed visit has no item with a problem): choose another result"
        )


def findings(checks: Sequence[str], failed: Sequence[str]) -> list[dict[str, Any]]:
    """The checklist as recorded: every item of the kind with whether it was found ok."""
    return [{"item": item, "ok": item not in failed} for item in checks]


def record_visit(
    conn: Connection, record: VisitRecord, *, recheck_days: int, checks: Sequence[str] = ()
) -> int:
    """Store the visit (in the caller's transaction), its checklist ``checks`` (the target's kind's)
    item by item; return its id."""
    _check(record, checks)
    if (
        conn.execute(sa.text("SELECT 1 FROM inspection_target WHERE id = :t"), {"t": record.target}).first()
        is None
    ):
        raise InputError(f"no inspection target {record.target}")
    if record.outcome in ("passed", "closed"):
        conn.execute(sa.text(_CLOSE), {"target": record.target, "at": record.at})
    if record.outcome == "closed":
        conn.execute(sa.text(_CLOSE_SITE), {"target": record.target, "at": record.at})
    params = {
        "source": SOURCE,
        "sid": uuid.uuid4().hex,
        "target": record.target,
        "at": record.at,
        "inspector": record.inspector.strip() or None,
        "passed": record.outcome == "passed",
        "outcome": record.outcome,
        "findings": json.dumps(findings(checks, record.failed), ensure_ascii=False),
        "deadline": record.deadline(recheck_days),
        "rectified": record.at if record.outcome == "fixed" else None,
        "notes": record.notes.strip() or None,
    }
    return int(conn.execute(sa.text(_INSERT), params).scalar_one())


def target_kind(conn: Connection, target: int) -> str | None:
    """The kind of a target this transaction's row scope sees (None: none it sees)."""
    row = conn.execute(sa.text("SELECT kind FROM inspection_target WHERE id = :t"), {"t": target}).first()
    return None if row is None else str(row[0])


def history(conn: Connection, target: int, *, limit: int = 5) -> list[dict[str, Any]]:
    """The target's latest visits, newest first, as recorded."""
    rows = conn.execute(sa.text(_HISTORY), {"target": target, "limit": limit}).mappings().all()
    return [dict(r) for r in rows]
