"""The live list (newest incidents) and the alert lists (超期 longest overdue first, 临期 soonest due).

Each list has its query (``latest``, ``overdue``, ``due_soon``: the definition) and its
``held_*`` twin that picks the same incidents from the facts a worker holds, whose rows are then
read by id (``rows_of``): a wall screen redraws them on every change, and a scan per list per
redraw was most of the database's time under a live feed.

Rows carry text straight from the data (descriptions, addresses): the page renders them as text,
never as HTML. Reporters' phone numbers are masked before they leave the database layer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
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
    return points_at(facts, held_overdue(facts, f, limit=limit))


def points_at(facts: Facts, at: NDArray[np.intp]) -> list[Point]:
    """lon, lat, category and grid id of the held incidents at positions ``at``."""
    names = facts.categories
    return [
        (float(x), float(y), names[c] if c >= 0 else "", int(g))
        for x, y, c, g in zip(facts.lon[at].tolist(), facts.lat[at].tolist(), facts.category[at].tolist(), facts.grid[at].tolist(), strict=True)
    ]  # fmt: skip


def held_overdue(facts: Facts, f: IncidentFilter, *, limit: int = 12) -> NDArray[np.intp]:
    """Positions in ``facts`` of :func:`overdue`'s incidents, in its order."""
    assert f.now is not None
    idx = _open(facts, f)
    idx = idx[facts.deadline[idx] < f.now.timestamp()]
    return _first(idx, facts.deadline[idx], facts.ids[idx], limit=limit)


def held_due_soon(facts: Facts, f: IncidentFilter, *, until: dt.datetime, limit: int = 12) -> NDArray[np.intp]:  # fmt: skip
    """Positions in ``facts`` of :func:`due_soon`'s incidents, in its order."""
    assert f.now is not None
    idx = _open(facts, f)
    due = facts.deadline[idx]
    idx = idx[(due >= f.now.timestamp()) & (due <= until.timestamp())]
    return _first(idx, facts.deadline[idx], facts.ids[idx], limit=limit)


def held_latest(facts: Facts, f: IncidentFilter, *, limit: int = 12) -> NDArray[np.intp]:
    """Positions in ``facts`` of :func:`latest`'s incidents, in its order (newest first)."""
    idx = f.rows(facts)
    return _first(idx, -facts.reported[idx], -facts.ids[idx], limit=limit)


Point = tuple[float, float, str, int]  # lon, lat, category, grid id


@dataclass(frozen=True)
class Recent:
    """The newest incidents (by id: ids only grow) a view counts, where they are, and the newest
    id held at all: what a screen needs to mark the incidents new since its last figures."""

    ids: NDArray[np.int64]  # ascending
    points: list[Point]
    newest: int | None

    def newer(self, after_id: int) -> list[int]:
        return [int(i) for i in self.ids[self.ids > after_id]]

    def where(self, ids: Sequence[int]) -> list[Point]:
        """The points of those of ``ids`` that are among these (the others left out)."""
        at = {int(i): k for k, i in enumerate(self.ids)}
        return [self.points[at[i]] for i in ids if i in at]


def held_recent(facts: Facts, f: IncidentFilter, *, limit: int) -> Recent:
    """The newest ``limit`` incidents ``f`` selects, looked for from the end of the held arrays
    (ascending ids) in growing stretches, so a view does not pass over every incident."""
    n, size = len(facts), 4096
    while True:
        start = max(0, n - size)
        idx = f.select(facts, np.arange(start, n))
        if len(idx) >= limit or start == 0:
            break
        size *= 16
    at = idx[len(idx) - limit :] if limit > 0 else idx[:0]
    return Recent(facts.ids[at], points_at(facts, at), int(facts.ids[-1]) if n else None)


def _open(facts: Facts, f: IncidentFilter) -> NDArray[np.intp]:
    """Positions of the open, not suspended incidents ``f`` selects at any report time."""
    late = f.window(None, None).mask(facts) & np.isnan(facts.closed) & np.isnan(facts.suspended)
    return np.flatnonzero(late)


def _first(idx: NDArray[np.intp], key: NDArray[Any], ids: NDArray[Any], *, limit: int) -> NDArray[np.intp]:  # fmt: skip
    """The ``limit`` positions of ``idx`` that come first by ``key``, then ``ids`` (both aligned
    with ``idx``): a partial selection (ties at the cut kept), then a sort of what is left."""
    if len(idx) > limit:
        keep = key <= np.partition(key, limit - 1)[limit - 1]
        idx, key, ids = idx[keep], key[keep], ids[keep]
    return idx[np.lexsort((ids, key))][:limit]


def rows_of(conn: Connection, ids: Sequence[int]) -> list[FeedRow]:
    """The list rows of the incidents ``ids``, in that order (one missing from the database or
    outside this transaction's row scope is left out)."""
    if not ids:
        return []
    query = compose(_FEED, where="i.id = ANY(:ids)", extra="", order="i.id")
    found = {r[0]: _row(list(r)) for r in conn.execute(query, {"ids": list(ids), "limit": len(ids)})}
    return [found[i] for i in ids if i in found]
