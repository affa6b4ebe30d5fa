"""What became of each row of a job, for callers that answer row by row (the intake API).

While a job copies its batches, the row number and key (``kind.conflict``) of every staged row
go into a temporary table too; before the merge, one query compares the stage with the table:
a key not there yet is ``inserted``, one whose columns differ is ``updated``, the rest are
``unchanged`` (the same test as the merge's: ``kind.compared``, by default every other column). Quarantined rows are read back from the run's
quarantine with their reasons. Only jobs that ask (``JobOptions.row_outcomes``) pay for this.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from psycopg import sql
from sqlalchemy.engine import Connection

from ingest.bulk import copy_frame
from ingest.reading import ROW
from ingest.upsert import STAGE, raw_connection

ROWS = "ingest_rows"
Outcome = tuple[str, str | None]  # (inserted | updated | unchanged | quarantined, reason)


def create_rows_table(conn: Connection, *, table: str, conflict: Sequence[str]) -> None:
    """A temporary table of (key, row number) with the key columns' types, dropped at commit."""
    raw = raw_connection(conn)
    raw.execute(
        sql.SQL("CREATE TEMP TABLE {r} ON COMMIT DROP AS SELECT {c} FROM {t} WITH NO DATA").format(
            r=sql.Identifier(ROWS),
            c=sql.SQL(", ").join(map(sql.Identifier, conflict)),
            t=sql.Identifier(table),
        )
    )
    raw.execute(sql.SQL("ALTER TABLE {r} ADD COLUMN row_number integer").format(r=sql.Identifier(ROWS)))


def record_rows(
    conn: Connection, rows: pd.DataFrame, batch: pd.DataFrame, *, conflict: Sequence[str]
) -> None:
    """Remember the key and file row of each row about to be staged."""
    if len(rows):
        keys = rows[list(conflict)].assign(row_number=batch.loc[rows.index, ROW].to_numpy())
        copy_frame(conn, ROWS, keys)


def _compare(table: str, compared: Sequence[str], conflict: Sequence[str]) -> sql.Composed:
    changing = [sql.Identifier(c) for c in compared]

    def match(a: str, b: str) -> sql.Composed:
        return sql.SQL(" AND ").join(
            sql.SQL("{a}.{c} = {b}.{c}").format(a=sql.Identifier(a), b=sql.Identifier(b), c=sql.Identifier(c))
            for c in conflict
        )

    return sql.SQL(
        "SELECT r.row_number, CASE WHEN t.{first} IS NULL THEN 'inserted' "
        "WHEN ({old}) IS DISTINCT FROM ({new}) THEN 'updated' ELSE 'unchanged' END "
        "FROM {r} r JOIN {s} s ON {rs} LEFT JOIN {t} t ON {ts}"
    ).format(
        first=sql.Identifier(conflict[0]),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(c) for c in changing),
        new=sql.SQL(", ").join(sql.SQL("s.{}").format(c) for c in changing),
        r=sql.Identifier(ROWS),
        s=sql.Identifier(STAGE),
        t=sql.Identifier(table),
        rs=match("r", "s"),
        ts=match("t", "s"),
    )


def staged_outcomes(
    conn: Connection, *, table: str, compared: Sequence[str], conflict: Sequence[str], fresh: bool
) -> dict[int, Outcome]:
    """Row number → outcome of every staged row, before the merge (a fresh partition: all new);
    a row whose ``compared`` columns differ from the stored row's is an update."""
    query = (
        sql.SQL("SELECT row_number, 'inserted' FROM {r}").format(r=sql.Identifier(ROWS))
        if fresh
        else _compare(table, compared, conflict)
    )
    return {int(row): (str(outcome), None) for row, outcome in raw_connection(conn).execute(query)}


def quarantined(conn: Connection, run_id: int) -> dict[int, Outcome]:
    """Row number → ("quarantined", reason) of the run's quarantined rows."""
    found = raw_connection(conn).execute(
        "SELECT row_number, reason FROM quarantine WHERE run_id = %s", (run_id,)
    )
    return {int(row): ("quarantined", str(reason)) for row, reason in found}
