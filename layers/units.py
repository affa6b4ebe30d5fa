"""The district's current units (``valid_to IS NULL``): the one query behind every list of
streets, communities / villages or grids a page shows, and how a grid is named."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from layers._sql import compose

# a grid's display name: its sequence number (the last 3 digits of a 15-digit code, the usual
# county+street+community+grid scheme; any other code whole) and its worker, e.g. "007 · 张伟"
GRID_NAME = (
    "CASE WHEN g.code ~ '^[0-9]{15}$' THEN right(g.code, 3) ELSE g.code END"
    " || coalesce(' · ' || nullif(btrim(g.worker_name), ''), '')"
)
_CURRENT = {
    "street": "SELECT s.id, s.code, s.name FROM street s WHERE s.valid_to IS NULL",
    "community": "SELECT c.id, c.code, c.name FROM community c WHERE c.valid_to IS NULL",
    "grid": "SELECT g.id, g.code, {grid_name} FROM grid g WHERE g.valid_to IS NULL",
}
# the unit one level up that ``within`` names
_WITHIN = {"community": " AND c.street_id = :within", "grid": " AND g.community_id = :within"}
_AMONG = {"street": " AND s.id = ANY(:among)", "community": " AND c.id = ANY(:among)", "grid": " AND g.id = ANY(:among)"}  # fmt: skip


@dataclass(frozen=True)
class CurrentUnit:
    unit_id: int
    code: str
    name: str  # a grid's is GRID_NAME's


def current_units(
    conn: Connection, level: str, *, within: int | None = None, among: Collection[int] | None = None
) -> list[CurrentUnit]:
    """The current units of ``level`` ("street", "community" or "grid") in code order; only
    those inside the unit ``within`` (a street's communities, a community's grids) and only
    those whose ids are in ``among``, when given."""
    sql = _CURRENT[level]
    if within is not None:
        sql += _WITHIN[level]
    if among is not None:
        sql += _AMONG[level]
    rows = conn.execute(
        compose(sql + " ORDER BY 2, 1", grid_name=GRID_NAME), {"within": within, "among": list(among or ())}
    )
    return [CurrentUnit(int(i), str(c), str(n)) for i, c, n in rows]


def unit_names(conn: Connection, level: str) -> dict[int, str]:
    """Each current unit of ``level``'s name by id."""
    return {u.unit_id: u.name for u in current_units(conn, level)}
