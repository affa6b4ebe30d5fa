"""What the database holds: whether each kind of data is there (cheap, for the pages' empty
states) and how much of it (for `gridgov status`). Read outside any row scope: a page must say
"load incidents" only when the database has none, not when one account may see none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.schema import EVENT_KINDS

LEVELS = ("district", "street", "community", "grid")
KINDS = ("buildings", "roads", "incidents", "targets", "service_points")
# every table name below is from this fixed list, never from input
_EXISTS = {
    **{level: f"SELECT EXISTS (SELECT 1 FROM {level} WHERE valid_to IS NULL)" for level in LEVELS},  # noqa: S608
    "buildings": "SELECT EXISTS (SELECT 1 FROM building WHERE residents > 0)",
    "roads": "SELECT EXISTS (SELECT 1 FROM road_segment)",
    "incidents": "SELECT EXISTS (SELECT 1 FROM incident)",
    "targets": "SELECT EXISTS (SELECT 1 FROM inspection_target)",
    "service_points": "SELECT EXISTS (SELECT 1 FROM service_point)",
}
_PRESENCE = sa.text("SELECT " + ", ".join(f"({q}) AS {key}" for key, q in _EXISTS.items()))


@dataclass(frozen=True)
class Presence:
    """Which kinds of data are loaded: each boundary level and each kind of :data:`KINDS`."""

    held: frozenset[str]

    def has(self, what: str) -> bool:
        return what in self.held

    @property
    def missing_levels(self) -> tuple[str, ...]:
        return tuple(level for level in LEVELS if level not in self.held)


def presence(conn: Connection) -> Presence:
    """One round trip of EXISTS queries (milliseconds, whatever the tables hold)."""
    row = conn.execute(_PRESENCE).mappings().one()
    return Presence(frozenset(key for key, there in row.items() if there))


_LEVEL_COUNTS = " UNION ALL ".join(
    f"SELECT '{level}', count(*) FROM {level} WHERE valid_to IS NULL"  # noqa: S608
    for level in LEVELS
)
_VILLAGES = "SELECT count(*) FROM community WHERE valid_to IS NULL AND kind = 'village'"
_BUILDINGS = "SELECT count(*), coalesce(sum(households), 0), coalesce(sum(residents), 0) FROM building"
_ROADS = "SELECT count(*), coalesce(sum(length_m), 0) / 1000 FROM road_segment"
_INCIDENTS = (
    "SELECT source, count(*), count(*) FILTER (WHERE closed_at IS NULL) FROM incident GROUP BY source"
)
_TARGETS = "SELECT kind, count(*) FROM inspection_target GROUP BY 1 ORDER BY 1"
_VISITS = "SELECT count(*) FROM inspection"
_STEPS = "SELECT kind, count(*) FROM incident_event GROUP BY 1"
_POINTS = "SELECT kind, count(*) FROM service_point GROUP BY 1 ORDER BY 1"


def _in_order(counts: dict[Any, Any]) -> dict[str, int]:
    return {k: int(counts[k]) for k in EVENT_KINDS if k in counts}


@dataclass(frozen=True)
class Inventory:
    """Counts of everything loaded (current boundaries only)."""

    levels: dict[str, int]
    villages: int
    buildings: int
    households: int
    residents: int
    roads: int
    road_km: float
    incidents: dict[str, tuple[int, int]]  # source → (rows, open)
    steps: dict[str, int]  # lifecycle step (geo.lifecycle.STEPS key) → events, in lifecycle order
    targets: dict[str, int]  # kind → rows
    visits: int
    service_points: dict[str, int]  # type → rows


def inventory(conn: Connection) -> Inventory:
    """Counts of every table the pages read (a few aggregate queries; incidents are scanned once)."""

    def rows(query: str) -> Sequence[Any]:
        return conn.execute(sa.text(query)).all()

    def one(query: str) -> Any:
        return conn.execute(sa.text(query)).one()

    buildings, roads = one(_BUILDINGS), one(_ROADS)
    return Inventory(
        levels={str(level): int(n) for level, n in rows(_LEVEL_COUNTS)},
        villages=int(one(_VILLAGES)[0]),
        buildings=int(buildings[0]), households=int(buildings[1]), residents=int(buildings[2]),
        roads=int(roads[0]), road_km=float(roads[1]),
        incidents={str(s): (int(n), int(o)) for s, n, o in rows(_INCIDENTS)},
        steps=_in_order(dict(rows(_STEPS))),
        targets={str(k): int(n) for k, n in rows(_TARGETS)},
        visits=int(one(_VISITS)[0]),
        service_points={str(k): int(n) for k, n in rows(_POINTS)},
    )  # fmt: skip
