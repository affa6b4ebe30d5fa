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


def _raw(conn: Connection) -> psycopg.Connection[Any]:
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw


def create_stage(conn: Connection, *, table: str, columns: Sequence[str]) -> str:
    """A temporary table with ``table``'s column types, dropped at commit."""
    _raw(conn).execute(
        sql.SQL("CREATE TEMP TABLE {s} ON COMMIT DROP AS SELECT {c} FROM {t} WITH NO DATA").format(
            s=sql.Identifier(STAGE),
            c=sql.SQL(", ").join(map(sql.Identifier, columns)),
            t=sql.Identifier(table),
        )
    )
    return STAGE


def stage_rows(conn: Connection, frame: pd.DataFrame) -> int:
    return copy_frame(conn, STAGE, frame)


def upsert(
    conn: Connection, *, table: str, columns: Sequence[str], conflict: Sequence[str]
) -> tuple[int, int]:
    """Merge the stage into ``table``: (inserted, updated); identical rows are not rewritten."""
    cols = [sql.Identifier(c) for c in columns]
    changing = [sql.Identifier(c) for c in columns if c not in conflict]
    query = sql.SQL(
        "WITH up AS (INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM {s} "
        "ON CONFLICT ({key}) DO UPDATE SET ({chg}) = ROW({exc}) "
        "WHERE ({old}) IS DISTINCT FROM ({exc}) RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    ).format(
        t=sql.Identifier(table),
        s=sql.Identifier(STAGE),
        cols=sql.SQL(", ").join(cols),
        key=sql.SQL(", ").join(map(sql.Identifier, conflict)),
        chg=sql.SQL(", ").join(changing),
        exc=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(c) for c in changing),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(c) for c in changing),
    )
    row = _raw(conn).execute(query).fetchone()
    assert row is not None  # an aggregate always returns a row
    return int(row[0]), int(row[1])


def quarantine(conn: Connection, *, run_id: int, rejects: pd.DataFrame) -> int:
    """Keep rejected rows raw, with their reasons (columns ``row_number``, ``raw``, ``reason``)."""
    if rejects.empty:
        return 0
    frame = rejects.assign(run_id=run_id)[["run_id", "row_number", "raw", "reason"]]
    return copy_frame(conn, "quarantine", frame)
