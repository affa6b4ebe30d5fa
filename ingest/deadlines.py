"""Recompute the deadlines gridgov set (``deadline_rule`` not NULL) after the SLA rules change.

Deadlines a source gave stay as they are. One transaction: rows are read, their deadlines
recomputed vectorised, staged by COPY and written back with one UPDATE that skips unchanged rows.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.results import result_frame
from geo.sla import SlaRules
from ingest.bulk import copy_frame

_READ = """
SELECT id, category, coalesce(registered_at, reported_at) AS start_at FROM incident
WHERE deadline_rule IS NOT NULL
"""
_WRITE = """
UPDATE incident i SET deadline_at = s.deadline_at, deadline_rule = s.deadline_rule
FROM deadline_stage s WHERE i.id = s.id
  AND (i.deadline_at, i.deadline_rule) IS DISTINCT FROM (s.deadline_at, s.deadline_rule)
"""


def apply_rules(engine: Engine, rules: SlaRules) -> tuple[int, int]:
    """(incidents with a computed deadline, deadlines changed)."""
    with engine.begin() as conn:
        rows = result_frame(conn.execute(sa.text(_READ))).set_axis(["id", "category", "start_at"], axis=1)
        if rows.empty:
            return 0, 0
        start = pd.to_datetime(rows["start_at"], utc=True)
        stage = pd.DataFrame(
            {
                "id": rows["id"],
                "deadline_at": rules.due(rows["category"], start),
                "deadline_rule": rules.rule_text(rows["category"]),
            }
        )
        conn.execute(
            sa.text(
                "CREATE TEMP TABLE deadline_stage ON COMMIT DROP AS "
                "SELECT id, deadline_at, deadline_rule FROM incident WITH NO DATA"
            )
        )
        copy_frame(conn, "deadline_stage", stage)
        changed = conn.execute(sa.text(_WRITE)).rowcount
    return len(rows), changed
