"""The live list (newest incidents) and the overdue alert list (longest overdue first).

Rows carry text straight from the data (descriptions, addresses): the page renders them as text,
never as HTML. Reporters' phone numbers are masked before they leave the database layer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from layers._sql import compose
from layers.facts import Facts
from layers.incident_filter import IncidentFilter

_DIGITS = re.compile(r"\d")
_FEED = """
SELECT i.id, i.reported_at, i.category, i.source, left(i.description, 60), i.raw_address, i.reporter_phone,
       s.name, c.name, g.code, i.deadline_at, i.closed_at
FROM incident i LEFT JOIN street s ON s.id = i.street_id LEFT JOIN community c ON c.id = i.community_id
LEFT JOIN grid g ON g.id = i.grid_id
WHERE {where} {extra} ORDER BY {order} LIMIT :limit"""


@dataclass(frozen=True)
class FeedRow:
    incident_id: int
    reported_at: dt.datetime
    category: str
    source: str
    description: str | None
    address: str | None
    phone: str | None  # masked
    street: str | None
    community: str | None
    grid: str | None
    deadline_at: dt.datetime | None
    closed_at: dt.datetime | None


def mask_phone(phone: str | None) -> str | None:
    """138****5678: keep the first 3 and last 4 digits of a number, mask every other digit."""
    if not phone:
        return None
    positions = [m.start() for m in _DIGITS.finditer(phone)]
    hidden = set(positions[3:-4]) if len(positions) > 7 else set(positions[:-2])
    return "".join("*" if k in hidden else ch for k, ch in enumerate(phone))


def _rows(conn: Connection, f: IncidentFilter, *, extra: str, order: str, limit: int) -> list[FeedRow]:
    where, params = f.where()
    query = compose(_FEED, where=where, extra=extra, order=order)
    return [_row(list(r)) for r in conn.execute(query, {**params, "now": f.now, "limit": limit})]


def _row(values: list[Any]) -> FeedRow:
    values[6] = mask_phone(values[6])
    return FeedRow(*values)


def latest(conn: Connection, f: IncidentFilter, *, limit: int = 12) -> list[FeedRow]:
    return _rows(conn, f, extra="", order="i.reported_at DESC, i.id DESC", limit=limit)


def overdue(conn: Connection, f: IncidentFilter, *, limit: int = 12) -> list[FeedRow]:
    """Open incidents past their deadline at ``f.now``, longest overdue first (any report time);
    a suspended case (挂起) is not overdue while it stays suspended."""
    extra = "AND i.closed_at IS NULL AND i.suspended_at IS NULL AND i.deadline_at < :now"
    return _rows(conn, f.window(None, None), extra=extra, order="i.deadline_at, i.id", limit=limit)


def due_soon(conn: Connection, f: IncidentFilter, *, until: dt.datetime, limit: int = 12) -> list[FeedRow]:
    """临期: open incidents not yet overdue at ``f.now`` and due by ``until`` (the district's
    warning horizon in working hours, ``SlaRules.warn_until``), soonest first; a suspended case's
    clock stands still, so it is left out."""
    extra = "AND i.closed_at IS NULL AND i.suspended_at IS NULL AND i.deadline_at >= :now AND i.deadline_at <= :until"
    where, params = f.window(None, None).where()
    query = compose(_FEED, where=where, extra=extra, order="i.deadline_at, i.id")
    rows = conn.execute(query, {**params, "now": f.now, "until": until, "limit": limit})
    return [_row(list(r)) for r in rows]


_POINTS = """
SELECT ST_X(i.geom), ST_Y(i.geom), i.category, i.grid_id FROM incident i
WHERE {where} AND i.closed_at IS NULL AND i.suspended_at IS NULL AND i.deadline_at < :now ORDER BY i.deadline_at, i.id LIMIT :limit"""


def overdue_points(
    conn: Connection, f: IncidentFilter, *, limit: int = 2000
) -> list[tuple[float, float, str, int]]:
    """Where the (at most ``limit``) longest-overdue open incidents are: lon, lat, category, grid id."""
    where, params = f.window(None, None).where()
    rows = conn.execute(compose(_POINTS, where=where), {**params, "now": f.now, "limit": limit}).all()
    return [(float(x), float(y), str(c), int(g or 0)) for x, y, c, g in rows]


def held_overdue_points(facts: Facts, f: IncidentFilter, *, limit: int = 2000) -> list[tuple[float, float, str, int]]:  # fmt: skip
    """:func:`overdue_points` from the incidents the server holds (a mask and a partial sort
    instead of a query on every redraw; coordinates as held, to about a metre)."""
    assert f.now is not None
    now = f.now.timestamp()
    late = f.window(None, None).mask(facts) & np.isnan(facts.closed) & np.isnan(facts.suspended)
    idx = np.flatnonzero(late & (facts.deadline < now))
    if len(idx) > limit:  # those due no later than the ``limit``-th longest overdue (ties kept)
        idx = idx[facts.deadline[idx] <= np.partition(facts.deadline[idx], limit - 1)[limit - 1]]
    idx = idx[np.lexsort((facts.ids[idx], facts.deadline[idx]))][:limit]
    names = facts.categories
    return [
        (float(x), float(y), names[c] if c >= 0 else "", int(g))
        for x, y, c, g in zip(facts.lon[idx].tolist(), facts.lat[idx].tolist(), facts.category[idx].tolist(), facts.grid[idx].tolist(), strict=True)
    ]  # fmt: skip
