"""Recompute the deadlines gridgov set (``deadline_rule`` not NULL) after the SLA rules change.

Deadlines a source gave stay as they are. A deadline the lifecycle moved (a 延期, time spent 挂起)
keeps the move: the rule's deadline becomes its ``deadline_base`` and the lifecycle is derived
again from the steps. One transaction: rows are read, their deadlines recomputed vectorised,
staged by COPY and written back with UPDATEs that skip unchanged rows.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.results import result_frame
from geo.sla import SlaRules
from ingest.bulk import copy_frame
from ingest.kinds._lifecycle import TOUCHED, TOUCHED_TABLE, derive

_READ = """
SELECT id, source, category, nature, urgency, coalesce(registered_at, reported_at) AS start_at,
       deadline_base IS NOT NULL AS moved
FROM incident WHERE deadline_rule IS NOT NULL
"""
_WRITE = """
UPDATE incident i SET deadline_at = s.deadline_at, deadline_rule = s.deadline_rule
FROM deadline_stage s WHERE i.id = s.id AND NOT s.moved
  AND (i.deadline_at, i.deadline_rule) IS DISTINCT FROM (s.deadline_at, s.deadline_rule)
"""
_WRITE_MOVED = """
UPDATE incident i SET deadline_base = s.deadline_at, deadline_rule = s.deadline_rule
FROM deadline_stage s WHERE i.id = s.id AND s.moved
  AND (i.deadline_base, i.deadline_rule) IS DISTINCT FROM (s.deadline_at, s.deadline_rule)
"""
_TOUCH_MOVED = f"INSERT INTO {TOUCHED} SELECT false, s.id, s.source FROM deadline_stage s WHERE s.moved"  # noqa: S608 (constants)
_COLUMNS = ["id", "source", "category", "nature", "urgency", "start_at", "moved"]


def apply_rules(engine: Engine, rules: SlaRules) -> tuple[int, int]:
    """(incidents with a computed deadline, deadlines changed)."""
    with engine.begin() as conn:
        rows = result_frame(conn.execute(sa.text(_READ))).set_axis(_COLUMNS, axis=1)
        if rows.empty:
            return 0, 0
        start = pd.to_datetime(rows["start_at"], utc=True)
        due, rule = rules.due_and_rule(
            rows["category"], start, natures=rows["nature"], urgencies=rows["urgency"]
        )
        stage = pd.DataFrame({"id": rows["id"], "source": rows["source"], "deadline_at": due, "deadline_rule": rule,
                              "moved": rows["moved"].astype(bool)})  # fmt: skip
        conn.execute(
            sa.text(
                "CREATE TEMP TABLE deadline_stage ON COMMIT DROP AS "
                "SELECT id, source, deadline_at, deadline_rule, false AS moved FROM incident WITH NO DATA"
            )
        )
        copy_frame(conn, "deadline_stage", stage)
        changed = conn.execute(sa.text(_WRITE)).rowcount
        if conn.execute(sa.text(_WRITE_MOVED)).rowcount:
            conn.execute(sa.text(TOUCHED_TABLE))
            conn.execute(sa.text(_TOUCH_MOVED))
            changed += derive(conn)[0]
    return len(rows), changed
