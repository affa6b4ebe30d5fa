"""Merging staged lifecycle steps into incident_event, and deriving the incidents' state from them.

The merge inserts new steps and rewrites a known step only if what it carries changed; the
incidents it touched (new or changed steps) are kept in a temporary table. ``derive`` then
recomputes, in one statement, the lifecycle columns of those incidents from their whole
history, and writes only the incidents whose columns come out different: an incident whose
steps were all resent is not touched, so no UPDATE is issued and no change trigger fires.

Rules (ties at one instant sort in the order of ``geo.schema.EVENT_KINDS``):

- registered_at: the first 受理; signed_at: the first 签收;
- dispatched_at, department: the last 派遣 and its 承办单位;
- rework_count: the number of 重办 (never below the count the incident came with);
- handled_at, closed_at: the first 办结 / 结案 after the last 重办 (none yet: cleared); with no
  重办 the first 办结 / 结案; verified_at is cleared by a later 重办;
- deadline_at: the last 延期's new deadline, or the deadline before any event moved it
  (kept in deadline_base), plus the time spent suspended: each 挂起 up to the 恢复 that follows
  it (round the clock); suspended_at: a 挂起 with no 恢复 after it;
- satisfaction, resolved: the last 回访.

A column no step speaks to keeps the value the incident was loaded with.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy.engine import Connection

from geo.schema import EVENT_KINDS
from ingest.upsert import STAGE, raw_connection

TOUCHED = "incident_event_touched"
TOUCHED_TABLE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED} (inserted boolean, incident_id integer, incident_source text) "
    "ON COMMIT DROP"
)
_PAYLOAD = ("incident_id", "department", "satisfaction", "resolved", "deadline_at", "note")
_COLUMNS = ("incident_id", "incident_source", "ticket", "kind", "at", *_PAYLOAD[1:], "source", "run_id")
_MERGE = f"""
WITH up AS (
    INSERT INTO incident_event AS t ({", ".join(_COLUMNS)}) SELECT {", ".join(_COLUMNS)} FROM {STAGE}
    ON CONFLICT (incident_source, ticket, kind, at) DO UPDATE SET
        ({", ".join(_PAYLOAD)}, source, run_id) = ({", ".join(f"EXCLUDED.{c}" for c in _PAYLOAD)},
                                                   EXCLUDED.source, EXCLUDED.run_id)
    WHERE ({", ".join(f"t.{c}" for c in _PAYLOAD)}) IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _PAYLOAD)})
    RETURNING t.xmax = 0 AS inserted, t.incident_id, t.incident_source
)
INSERT INTO {TOUCHED} SELECT inserted, incident_id, incident_source FROM up
"""  # noqa: S608 (constants only)
_ORDER = "array_position(ARRAY[{}]::text[], kind)".format(", ".join(f"'{k}'" for k in EVENT_KINDS))

_DERIVED = f"""
WITH touched AS (SELECT DISTINCT incident_id, incident_source FROM {TOUCHED}),
ev AS (
    SELECT e.*, {_ORDER} AS step_order,
           max(e.at) FILTER (WHERE e.kind = 'reopened')
               OVER (PARTITION BY e.incident_id, e.incident_source) AS last_reopen
    FROM incident_event e JOIN touched t USING (incident_id, incident_source)
),
pauses AS (
    SELECT incident_id, incident_source, kind, at,
           lead(kind) OVER w AS next_kind, lead(at) OVER w AS next_at
    FROM ev WHERE kind IN ('suspended', 'resumed')
    WINDOW w AS (PARTITION BY incident_id, incident_source ORDER BY at, step_order)
),
paused AS (
    SELECT incident_id, incident_source,
           sum(next_at - at) FILTER (WHERE kind = 'suspended' AND next_kind = 'resumed') AS paused_for,
           max(at) FILTER (WHERE kind = 'suspended' AND next_kind IS NULL) AS suspended_at
    FROM pauses GROUP BY incident_id, incident_source
),
steps AS (
    SELECT incident_id, incident_source, max(last_reopen) AS last_reopen,
           min(at) FILTER (WHERE kind = 'registered') AS registered_at,
           min(at) FILTER (WHERE kind = 'signed') AS signed_at,
           max(at) FILTER (WHERE kind = 'dispatched') AS dispatched_at,
           (array_agg(department ORDER BY at DESC, step_order DESC, id DESC)
               FILTER (WHERE kind = 'dispatched'))[1] AS department,
           count(*) FILTER (WHERE kind = 'reopened') AS reworks,
           min(at) FILTER (WHERE kind = 'handled' AND at > coalesce(last_reopen, '-infinity')) AS handled_at,
           min(at) FILTER (WHERE kind = 'closed' AND at > coalesce(last_reopen, '-infinity')) AS closed_at,
           (array_agg(deadline_at ORDER BY at DESC, id DESC) FILTER (WHERE kind = 'extended'))[1] AS extended_to,
           (array_agg(satisfaction ORDER BY at DESC, id DESC) FILTER (WHERE kind = 'callback'))[1] AS satisfaction,
           (array_agg(resolved ORDER BY at DESC, id DESC) FILTER (WHERE kind = 'callback'))[1] AS resolved,
           bool_or(kind = 'callback') AS called_back
    FROM ev GROUP BY incident_id, incident_source
),
derived AS (
    SELECT i.id, i.source,
        coalesce(s.registered_at, i.registered_at) AS registered_at,
        coalesce(s.signed_at, i.signed_at) AS signed_at,
        coalesce(s.dispatched_at, i.dispatched_at) AS dispatched_at,
        CASE WHEN s.dispatched_at IS NULL THEN i.department ELSE s.department END AS department,
        CASE WHEN s.last_reopen IS NULL THEN coalesce(s.handled_at, i.handled_at) ELSE s.handled_at END
            AS handled_at,
        CASE WHEN s.last_reopen IS NULL OR i.verified_at > s.last_reopen THEN i.verified_at END AS verified_at,
        CASE WHEN s.last_reopen IS NULL THEN coalesce(s.closed_at, i.closed_at) ELSE s.closed_at END AS closed_at,
        greatest(i.rework_count, s.reworks) AS rework_count,
        CASE WHEN s.extended_to IS NULL AND p.paused_for IS NULL THEN coalesce(i.deadline_base, i.deadline_at)
             ELSE coalesce(s.extended_to, i.deadline_base, i.deadline_at) + coalesce(p.paused_for, interval '0')
        END AS deadline_at,
        CASE WHEN s.extended_to IS NULL AND p.paused_for IS NULL THEN NULL
             ELSE coalesce(i.deadline_base, i.deadline_at) END AS deadline_base,
        p.suspended_at,
        CASE WHEN s.called_back THEN s.satisfaction ELSE i.satisfaction END AS satisfaction,
        CASE WHEN s.called_back THEN s.resolved ELSE i.resolved END AS resolved
    FROM steps s
    JOIN incident i ON i.id = s.incident_id AND i.source = s.incident_source
    LEFT JOIN paused p USING (incident_id, incident_source)
)"""  # noqa: S608 (constants only)
_LIFECYCLE = (
    "registered_at",
    "signed_at",
    "dispatched_at",
    "department",
    "handled_at",
    "verified_at",
    "closed_at",
    "rework_count",
    "deadline_at",
    "deadline_base",
    "suspended_at",
    "satisfaction",
    "resolved",
)
_DIFFERENT = "({}) IS DISTINCT FROM ({})".format(
    ", ".join(f"i.{c}" for c in _LIFECYCLE), ", ".join(f"d.{c}" for c in _LIFECYCLE)
)
_COUNT = f"{_DERIVED} SELECT count(*) FILTER (WHERE {_DIFFERENT}), count(*) FROM derived d JOIN incident i USING (id, source)"  # noqa: S608 (constants only)
_UPDATE = f"""{_DERIVED}
UPDATE incident i SET ({", ".join(_LIFECYCLE)}) = ({", ".join(f"d.{c}" for c in _LIFECYCLE)})
FROM derived d WHERE i.id = d.id AND i.source = d.source AND {_DIFFERENT}
"""  # noqa: S608 (constants only)


def _one(raw: psycopg.Connection[Any], query: str, params: tuple[Any, ...] | None = None) -> tuple[Any, ...]:
    row = raw.execute(query, params).fetchone()
    assert row is not None
    return tuple(row)


def merge_events(conn: Connection) -> tuple[int, int]:
    """Staged steps into incident_event: (inserted, updated); touched incidents noted in TOUCHED."""
    raw = raw_connection(conn)
    raw.execute(TOUCHED_TABLE)
    raw.execute(_MERGE)
    inserted, total = _one(raw, f"SELECT count(*) FILTER (WHERE inserted), count(*) FROM {TOUCHED}")  # noqa: S608 (constants only)
    return int(inserted), int(total) - int(inserted)


_HAS_EVENTS = "SELECT EXISTS (SELECT FROM incident_event WHERE incident_source = %s)"
_RELOADED = f"""
INSERT INTO {TOUCHED} SELECT DISTINCT false, e.incident_id, e.incident_source
FROM unnest(%s::text[]) AS k(ticket) JOIN incident_event e
  ON e.incident_source = %s AND e.ticket = k.ticket COLLATE "C"
"""  # noqa: S608 (constants only)


def rederive(conn: Connection, *, source: str, tickets: list[str]) -> int:
    """After an incidents file rewrote some of ``source``'s incidents: derive those with steps
    again (the file's lifecycle columns give way to the steps'); the number changed."""
    raw = raw_connection(conn)
    if not tickets or not _one(raw, _HAS_EVENTS, (source,))[0]:
        return 0
    raw.execute(TOUCHED_TABLE)
    raw.execute(_RELOADED, (tickets, source))
    return derive(conn)[0]


def derive(conn: Connection) -> tuple[int, int]:
    """Recompute the touched incidents' lifecycle: (incidents changed, incidents touched but the
    same). No statement changes ``incident`` unless some incident's columns differ."""
    raw = raw_connection(conn)
    changed, touched = (int(n) for n in _one(raw, _COUNT))
    if changed:
        raw.execute(_UPDATE)
    return changed, touched - changed
