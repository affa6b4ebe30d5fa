"""Find one case (事件) by its ticket number (工单编号, ``incident.source_id``, any source) or by
address text (the address it was reported with, or the address of the building it lies in).

Ranked: the exact ticket first, then tickets starting with the text, then addresses containing
it (newest first within each rank); at most ``limit`` cases. The text is a bound parameter and
``%``, ``_`` and ``\\`` in it are escaped, so it is matched as written, never as a pattern.
Rows come through the caller's connection: in the web app the database's row scope
(``geo/row_scope.py``) keeps a street leader to their streets.

Indexes: the ticket branches use the ``(source_id, source)`` unique index of every partition
(collation C, so a prefix ``LIKE`` is an index range); the address branches use the pg_trgm GIN
indexes of migration 0019 (on ``incident.raw_address`` and ``building.address``) for a text of
three or more characters (``ILIKE`` only when the text has letters with a case: ``LIKE`` is
three times faster where the index cannot help). Incidents have no spatial index, so the
building branch reaches incidents through the matched buildings' grids (``ix_incident_grid``,
also 0019): a case is found by the address of the building it lies in, however its own address
was written, or when it was placed by coordinates alone. Measured figures are in the migration.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from geo.errors import SearchError
from layers._sql import compose

MAX_CHARS = 100
MIN_ADDRESS_CHARS = 2  # one character matches most addresses: tickets only
LIMIT = 12
BUILDINGS = 50  # buildings whose address matches, at most, searched for the incidents inside
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# each branch is limited by itself, so every one can stop early on its index
_SEARCH = r"""
WITH hits AS (
  (SELECT i.source, i.id, 0 AS rank FROM incident i
   WHERE i.source_id = ANY(CAST(:tickets AS text[])) LIMIT :limit)
  UNION ALL
  (SELECT i.source, i.id, 1 FROM incident i
   WHERE i.source_id LIKE :prefix ESCAPE '\' ORDER BY i.source_id DESC LIMIT :limit)
  UNION ALL
  (SELECT i.source, i.id, 2 FROM incident i
   WHERE :address AND i.raw_address {like} :contains ESCAPE '\'
   ORDER BY i.reported_at DESC LIMIT :limit)
  UNION ALL
  (SELECT i.source, i.id, 3
   FROM (SELECT b.geom, b.grid_id FROM building b
         WHERE :address AND b.address {like} :contains ESCAPE '\' AND b.grid_id IS NOT NULL
         LIMIT :buildings) b
   JOIN incident i ON i.grid_id = b.grid_id AND ST_Intersects(i.geom, b.geom)
   ORDER BY i.reported_at DESC LIMIT :limit)
), best AS (SELECT source, id, min(rank) AS rank FROM hits GROUP BY source, id)
SELECT i.source, i.id, i.source_id, best.rank, i.category, i.status, i.reported_at,
       coalesce(nullif(i.raw_address, ''), bd.address), s.name
FROM best JOIN incident i ON i.source = best.source AND i.id = best.id
LEFT JOIN street s ON s.id = i.street_id
LEFT JOIN LATERAL (SELECT b.address FROM building b WHERE ST_Intersects(b.geom, i.geom) LIMIT 1) bd
  ON coalesce(i.raw_address, '') = ''
ORDER BY best.rank, i.reported_at DESC, i.source, i.id
LIMIT :limit"""

RANKS = ("ticket", "prefix", "address", "building")


@dataclass(frozen=True)
class CaseKey:
    """One incident: its source and id (its primary key)."""

    source: str
    incident_id: int


@dataclass(frozen=True)
class CaseHit:
    key: CaseKey
    ticket: str
    match: str  # what matched, one of RANKS
    category: str
    status: str
    reported_at: dt.datetime
    address: str | None
    street: str | None


def like_escape(text: str) -> str:
    """``text`` for a ``LIKE … ESCAPE '\\'`` pattern, matching itself only: ``\\``, ``%`` and ``_``
    escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def normalise(text: object) -> str:
    """The search text as searched: whitespace collapsed and trimmed. SearchError if it is not
    text, holds control characters, or is longer than MAX_CHARS."""
    if not isinstance(text, str):
        raise SearchError("the search text must be text")
    if _CONTROL.search(text.replace("\t", " ").replace("\n", " ")):
        raise SearchError("the search text holds control characters: type a ticket number or an address")
    cleaned = _SPACE.sub(" ", text).strip()
    if len(cleaned) > MAX_CHARS:
        raise SearchError(
            f"the search text is {len(cleaned)} characters long; shorten it to {MAX_CHARS} or fewer"
        )
    return cleaned


def search_cases(conn: Connection, text: object, *, limit: int = LIMIT) -> list[CaseHit]:
    """The cases matching ``text`` (see the module's doc), best first; [] for an empty text."""
    query = normalise(text)
    if not query:
        return []
    escaped = like_escape(query)
    params = {
        "tickets": sorted({query, query.upper()}),
        "prefix": escaped + "%",
        "contains": f"%{escaped}%",
        "address": len(query) >= MIN_ADDRESS_CHARS,
        "limit": limit,
        "buildings": BUILDINGS,
    }
    like = "LIKE" if query.lower() == query.upper() else "ILIKE"  # no cased letters: no need
    return [_hit(row) for row in conn.execute(compose(_SEARCH, like=like), params)]


def _hit(row: Any) -> CaseHit:
    source, incident_id, ticket, rank, category, status, reported_at, address, street = row
    return CaseHit(
        key=CaseKey(source, int(incident_id)),
        ticket=ticket,
        match=RANKS[rank],
        category=category,
        status=status,
        reported_at=reported_at,
        address=address,
        street=street,
    )
