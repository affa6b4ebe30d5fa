"""Incidents are partitioned by source (LIST): one table per feed (12345, mini-program, …).

A job for a source that has no partition yet loads into a fresh table with no indexes, and
attaching it builds every index in one sorted pass; so the first, biggest load of a feed costs
what its own rows cost, not what the rest of the table does. Partition names come from a hash
of the source, so any source text is safe as a name.

Row-level security on the parent holds for statements on the parent only: a partition read
directly would show every street's rows. So each partition gets the parent's policy too,
enabled and forced, when it is attached (:func:`secure`; migration 0014 for older ones).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import psycopg
from geoalchemy2 import alembic_helpers
from numpy.typing import NDArray
from psycopg import sql
from sqlalchemy.engine import Connection

PARENT = "incident"
PREFIX = "incident__"


def partition_name(source: str) -> str:
    return PREFIX + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: partitions are data, created by ingest jobs, not by migrations."""
    if type_ == "table" and reflected and name and name.startswith(PREFIX):
        return False
    if type_ in ("index", "unique_constraint", "foreign_key_constraint") and reflected:
        table = getattr(obj, "table", None)
        if table is not None and str(table.name).startswith(PREFIX):
            return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


def _raw(conn: Connection) -> psycopg.Connection[Any]:
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw


def has_partition(conn: Connection, source: str) -> bool:
    row = _raw(conn).execute("SELECT to_regclass(%s) IS NOT NULL", (partition_name(source),)).fetchone()
    return bool(row and row[0])


def create_detached(conn: Connection, source: str) -> str:
    """A bare table shaped like ``incident`` (defaults and generated columns, no indexes)."""
    name = partition_name(source)
    _raw(conn).execute(
        sql.SQL(
            "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING GENERATED, CONSTRAINT {} CHECK (source = {}))"
        ).format(
            sql.Identifier(name),
            sql.Identifier(PARENT),
            sql.Identifier(_check_name(source)),
            sql.Literal(source),
        )
    )
    return name


def _check_name(source: str) -> str:
    """A CHECK that implies the partition's bound: ATTACH then skips its scan to prove it."""
    return f"{partition_name(source)}_source"


# what the statement triggers (migration 0017) would have logged for the attached rows: their ids
# and streets (none for an empty partition: no reader reloads), or unknown above 100,000 rows
_ATTACHED = sql.SQL(
    """SELECT incident_change_log(
        CASE WHEN count(*) <= 100000 THEN coalesce(array_agg(id), '{{}}') END,
        CASE WHEN count(*) <= 100000 THEN coalesce(array_agg(DISTINCT street_id) FILTER (WHERE street_id IS NOT NULL), '{{}}') END)
    FROM {}"""
)


def attach(conn: Connection, source: str) -> None:
    """Attach the source's table: PostgreSQL builds the parent's indexes on it and checks its
    keys; readers are not blocked (SHARE UPDATE EXCLUSIVE on the parent)."""
    raw = _raw(conn)
    raw.execute(
        sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES IN ({})").format(
            sql.Identifier(PARENT), sql.Identifier(partition_name(source)), sql.Literal(source)
        )
    )
    raw.execute(
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            sql.Identifier(partition_name(source)), sql.Identifier(_check_name(source))
        )
    )  # the partition bound says the same from now on
    raw.execute(_ATTACHED.format(sql.Identifier(partition_name(source))))  # ATTACH fires no trigger
    secure(conn, partition_name(source))
    _analyze(raw, partition_name(source))


# the parent's policy (migration 0010): the street scope of the transaction's gridgov.scope
STREET_SCOPE = "(SELECT gridgov_scope_all()) OR street_id = ANY ((SELECT gridgov_scope_streets())::integer[])"


def secure(conn: Connection, table: str) -> None:
    """Row-level security on a partition, as on the parent: enabled, forced (the owner is held
    to it too) and the same street-scope policy."""
    raw, name = _raw(conn), sql.Identifier(table)
    raw.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
    raw.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(name))
    raw.execute(sql.SQL("DROP POLICY IF EXISTS street_scope ON {}").format(name))
    raw.execute(
        sql.SQL("CREATE POLICY street_scope ON {} USING ({}) WITH CHECK ({})").format(
            name, sql.SQL(STREET_SCOPE), sql.SQL(STREET_SCOPE)
        )
    )


# no query filters, joins or groups incidents on these: their statistics would cost half of
# ANALYZE (the point's 2-D histogram, sorting free text) and never be read
_UNANALYSED = (
    "geom",
    "description",
    "reporter_phone",
    "raw_address",
    "raw_x",
    "raw_y",
    "raw_crs",
    "match_score",
)
_COLUMNS = (
    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
)


def _analyze(raw: psycopg.Connection[Any], table: str) -> None:
    """Statistics now, not whenever autovacuum comes: later statements in the job plan with them."""
    columns = [row[0] for row in raw.execute(_COLUMNS, (table,)) if row[0] not in _UNANALYSED]
    raw.execute(
        sql.SQL("ANALYZE {} ({})").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
    )


# the sequence is looked up once per statement, not per row
_DRAW_EACH = sql.SQL(
    "SELECT nextval((SELECT pg_get_serial_sequence('incident', 'id')::regclass)) FROM generate_series(1, %s)"
)
_DRAW = sql.SQL("SELECT min(id), max(id), count(*) FROM ({}) AS ids(id)").format(_DRAW_EACH)


def reserve_ids(conn: Connection, count: int, *, tries: int = 3) -> NDArray[np.int64]:
    """``count`` new incident ids from the table's sequence, for a fresh partition's COPY.

    Drawn in one statement they cost the server a third of what the column's default does
    row by row in COPY. They come back as a range; if another writer drew ids meanwhile the
    draw is not one range, its ids are left unused (a sequence may have gaps) and it is drawn
    again, then, after ``tries``, fetched one by one."""
    raw = _raw(conn)
    for _ in range(tries):
        low, high, drawn = raw.execute(_DRAW, (count,)).fetchone() or (0, -1, 0)
        if high - low + 1 == drawn:
            return np.arange(low, high + 1, dtype=np.int64)
    return np.array([row[0] for row in raw.execute(_DRAW_EACH, (count,))], dtype=np.int64)


def ensure(conn: Connection, source: str) -> None:
    """A partition for ``source`` if it has none, for writers other than ingest jobs."""
    if not has_partition(conn, source):
        create_detached(conn, source)
        attach(conn, source)
