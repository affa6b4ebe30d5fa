"""A token that changes whenever the current boundaries change, for what is derived from them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_TABLES = ("district", "street", "community", "grid")
# count and newest id see rows added and closed; the newest xmin sees a boundary redrawn in place
# (a second load on the same day updates the row rather than closing it)
_QUERY = sa.text(
    "SELECT "
    + ", ".join(
        f"(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(max(xmin::text::bigint), 0) "  # noqa: S608 (constants)
        f"FROM {table} WHERE valid_to IS NULL)"
        for table in _TABLES
    )
)


def boundary_version(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever the current district, streets, communities or grids change (in what
    ``conn``'s transaction sees)."""
    return tuple(conn.execute(_QUERY).one())
