"""One case (事件) in full, for the detail panel: its fields, where it is, its timeline and its
linked duplicates (``duplicate_of``, both ways).

Read through the caller's connection, so the database's row scope holds (a street leader gets
None for another street's case, and no duplicate from another street). The reporter's phone
number is masked here, before it leaves the database layer; free text is returned as text, for
the page to render as text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers.case_search import CaseKey
from layers.case_timeline import Step, timeline
from layers.feeds import mask_phone

_CASE = sa.text("""
SELECT i.source, i.id, i.source_id, i.category, i.status, i.description, i.reporter_phone,
       i.reported_at, i.registered_at, i.dispatched_at, i.handled_at, i.verified_at, i.closed_at,
       i.deadline_at, i.rework_count, i.raw_address, i.match_level, i.duplicate_of,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, s.name AS street, c.name AS community, g.code AS grid,
       bd.address AS building_address
FROM incident i
LEFT JOIN street s ON s.id = i.street_id
LEFT JOIN community c ON c.id = i.community_id
LEFT JOIN grid g ON g.id = i.grid_id
LEFT JOIN LATERAL (SELECT b.address FROM building b WHERE ST_Intersects(b.geom, i.geom)
                   ORDER BY b.id LIMIT 1) bd ON true
WHERE i.source = :source AND i.id = :id""")

# the report this case duplicates, and the reports that duplicate it
_LINKED = sa.text("""
SELECT i.source, i.id, i.source_id, i.status, i.reported_at, true AS original
FROM incident i WHERE i.id = :of
UNION ALL
SELECT i.source, i.id, i.source_id, i.status, i.reported_at, false
FROM incident i WHERE i.duplicate_of = :id AND NOT (i.source = :source AND i.id = :id)
ORDER BY 6 DESC, 5, 1, 2""")


@dataclass(frozen=True)
class LinkedCase:
    key: CaseKey
    ticket: str
    status: str
    reported_at: dt.datetime
    original: bool  # the earlier report this case duplicates (else a later duplicate of it)


@dataclass(frozen=True)
class CaseDetail:
    key: CaseKey
    ticket: str
    category: str  # the vocabulary's key: the page shows its name
    status: str
    description: str | None
    phone: str | None  # masked
    reported_at: dt.datetime
    deadline_at: dt.datetime | None
    closed_at: dt.datetime | None
    rework_count: int
    address: str | None  # as reported
    building_address: str | None  # of the building the case lies in, if any
    match_level: str | None
    street: str | None
    community: str | None
    grid: str | None
    lon: float
    lat: float
    timeline: list[Step]
    linked: list[LinkedCase]
    deadline_state: str  # see deadline_state()


def deadline_state(
    *, deadline_at: dt.datetime | None, closed_at: dt.datetime | None, now: dt.datetime
) -> str:
    """``none`` (no deadline), ``overdue`` (open past it at ``now``), ``open`` (open, not yet
    due), ``late`` (closed after it) or ``on_time`` (closed by it)."""
    if deadline_at is None:
        return "none"
    if closed_at is None or closed_at > now:
        return "overdue" if deadline_at < now else "open"
    return "late" if closed_at > deadline_at else "on_time"


def case_detail(conn: Connection, key: CaseKey, *, now: dt.datetime) -> CaseDetail | None:
    """The case ``key`` as the caller may see it, or None (no such case, or not in their scope)."""
    found = conn.execute(_CASE, {"source": key.source, "id": key.incident_id}).mappings().first()
    if found is None:
        return None
    case = dict(found)
    return _detail(case, timeline(conn, case), _linked(conn, case), now=now)


def _linked(conn: Connection, case: Any) -> list[LinkedCase]:
    params = {"of": case["duplicate_of"], "id": case["id"], "source": case["source"]}
    return [
        LinkedCase(CaseKey(source, int(ident)), ticket, status, reported_at, bool(original))
        for source, ident, ticket, status, reported_at, original in conn.execute(_LINKED, params)
    ]


def _detail(
    case: dict[str, Any], steps: list[Step], linked: list[LinkedCase], *, now: dt.datetime
) -> CaseDetail:
    return CaseDetail(
        key=CaseKey(case["source"], int(case["id"])),
        ticket=case["source_id"],
        category=case["category"],
        status=case["status"],
        description=case["description"],
        phone=mask_phone(case["reporter_phone"]),
        reported_at=case["reported_at"],
        deadline_at=case["deadline_at"],
        closed_at=case["closed_at"],
        rework_count=int(case["rework_count"] or 0),
        address=case["raw_address"] or None,
        building_address=case["building_address"],
        match_level=case["match_level"],
        street=case["street"],
        community=case["community"],
        grid=case["grid"],
        lon=float(case["lon"]),
        lat=float(case["lat"]),
        timeline=steps,
        linked=linked,
        deadline_state=deadline_state(deadline_at=case["deadline_at"], closed_at=case["closed_at"], now=now),
    )
