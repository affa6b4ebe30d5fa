"""Staging and merging: rows go into a temporary table by COPY, then into their table with one
upsert that tells inserted from updated and leaves unchanged rows untouched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy.engine import Connection

from ingest.bulk import copy_frame

STAGE = "ingest_stage"


def raw_connection(conn: Connection) -> psycopg.Connection[Any]:
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw


def create_stage(conn: Connection, *, table: str, columns: Sequence[str]) -> str:
    """A temporary table with ``table``'s column types, dropped at commit."""
    raw_connection(conn).execute(
        sql.SQL("CREATE TEMP TABLE {s} ON COMMIT DROP AS SELECT {c} FROM {t} WITH NO DATA").format(
            s=sql.Identifier(STAGE),
            c=sql.SQL(", ").join(map(sql.Identifier, columns)),
            t=sql.Identifier(table),
        )
    )
    return STAGE


def stage_rows(conn: Connection, frame: pd.DataFrame, *, table: str = STAGE) -> int:
    return copy_frame(conn, table, frame)


def upsert(
    conn: Connection, *, table: str, columns: Sequence[str], conflict: Sequence[str]
) -> tuple[int, int]:
    """Merge the stage into ``table``: (inserted, updated); identical rows are not rewritten.

    New keys are counted before the merge (``RETURNING xmax`` is not allowed on partitioned
    tables); the job's advisory lock keeps anyone else from adding the same keys meanwhile.
    """
    cols = [sql.Identifier(c) for c in columns]
    changing = [sql.Identifier(c) for c in columns if c not in conflict]
    names = {
        "t": sql.Identifier(table),
        "s": sql.Identifier(STAGE),
        "key": sql.SQL(", ").join(map(sql.Identifier, conflict)),
        "match": sql.SQL(" AND ").join(
            sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in conflict
        ),
    }
    new = sql.SQL("SELECT count(*) FROM {s} s WHERE NOT EXISTS (SELECT FROM {t} t WHERE {match})").format(
        **names
    )
    query = sql.SQL(
        "WITH up AS (INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM {s} "
        "ON CONFLICT ({key}) DO UPDATE SET ({chg}) = ROW({exc}) "
        "WHERE ({old}) IS DISTINCT FROM ({exc}) RETURNING 1) SELECT count(*) FROM up"
    ).format(
        cols=sql.SQL(", ").join(cols),
        chg=sql.SQL(", ").join(changing),
        exc=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(c) for c in changing),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(c) for c in changing),
        **names,
    )
    raw = raw_connection(conn)
    inserted = _count(raw, new)
    return inserted, _count(raw, query) - inserted


def _count(raw: psycopg.Connection[Any], query: sql.Composed) -> int:
    row = raw.execute(query).fetchone()
    assert row is not None  # an aggregate always returns a row
    return int(row[0])


def quarantine(conn: Connection, *, run_id: int, rejects: pd.DataFrame) -> int:
    """Keep rejected rows raw, with their reasons (columns ``row_number``, ``raw``, ``reason``,
    ``reason_kind``, ``reason_value``)."""
    if rejects.empty:
        return 0
    columns = ["run_id", "row_number", "raw", "reason", "reason_kind", "reason_value"]
    frame = rejects.assign(run_id=run_id)[columns]
    return copy_frame(conn, "quarantine", frame)
