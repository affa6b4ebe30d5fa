"""The incident table as numpy columns, for the wall screen's aggregates.

Counting a year of a million incidents five ways (KPIs, ranking, trend, heat, grid rates) in
PostgreSQL means five scans per refresh. Instead each server process keeps the few columns those
aggregates need (~100 bytes an incident) in numpy arrays, loaded with one binary COPY, and
reloads them when the table has changed: statement triggers on ``incident`` append to
``incident_change`` in the writer's own transaction (migration 0004), so a reader sees a new
version exactly when it can see the new rows. Aggregating is then masks and ``bincount``.

Times are float seconds since 1970 (exact to the microsecond, as stored); a missing time is NaN,
which compares false, as NULL does in SQL. Probable duplicates are not loaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from psycopg import sql
from sqlalchemy.engine import Connection

_TIMES = ("reported", "registered", "deadline", "handled", "closed")
_INTS = ("rework", "category", "source", "street", "community", "grid")
_FLOATS = ("lon", "lat")
_SELECT = """
SELECT {times}, i.rework_count, coalesce(c.code, -1), coalesce(s.code, -1), coalesce(i.street_id, 0),
       coalesce(i.community_id, 0), coalesce(i.grid_id, 0), ST_X(i.geom)::float4, ST_Y(i.geom)::float4
FROM incident i LEFT JOIN fact_codes c ON c.kind = 'category' AND c.text = i.category
LEFT JOIN fact_codes s ON s.kind = 'source' AND s.text = i.source
WHERE i.duplicate_of IS NULL"""  # a category that appeared since the lists were read gets code -1
_TIME = "coalesce(extract(epoch FROM i.{c}_at)::float8, 'NaN')"
_DTYPE = np.dtype(
    [("fields", ">i2")]
    + [x for name in _TIMES for x in ((f"_{name}", ">i4"), (name, ">f8"))]
    + [x for name in _INTS for x in ((f"_{name}", ">i4"), (name, ">i4"))]
    + [x for name in _FLOATS for x in ((f"_{name}", ">i4"), (name, ">f4"))]
)
_HEADER = b"PGCOPY\n\xff\r\n\x00"


@dataclass(frozen=True)
class Facts:
    """One entry per incident (duplicates left out) in each array; codes index ``categories``/``sources``."""

    reported: NDArray[np.float64]
    registered: NDArray[np.float64]
    deadline: NDArray[np.float64]
    handled: NDArray[np.float64]
    closed: NDArray[np.float64]
    rework: NDArray[np.int32]
    category: NDArray[np.int32]
    source: NDArray[np.int32]
    street: NDArray[np.int32]
    community: NDArray[np.int32]
    grid: NDArray[np.int32]
    lon: NDArray[np.float32]
    lat: NDArray[np.float32]
    categories: tuple[str, ...]
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.reported)

    def codes(self, kind: str, values: tuple[str, ...]) -> NDArray[np.int32]:
        names = self.categories if kind == "category" else self.sources
        return np.array([names.index(v) for v in values if v in names], dtype=np.int32)


def load(conn: Connection) -> Facts:
    """Read every incident's aggregate columns with one binary COPY (in ``conn``'s transaction)."""
    categories = tuple(conn.execute(sa.text("SELECT DISTINCT category FROM incident ORDER BY 1")).scalars())
    sources = tuple(conn.execute(sa.text("SELECT DISTINCT source FROM incident ORDER BY 1")).scalars())
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS fact_codes (kind text, text text, code int)")
        cur.execute("TRUNCATE fact_codes")
        rows = [("category", c, k) for k, c in enumerate(categories)] + [
            ("source", s, k) for k, s in enumerate(sources)
        ]
        cur.executemany("INSERT INTO fact_codes VALUES (%s, %s, %s)", rows)
        times = ", ".join(_TIME.format(c=c) for c in _TIMES)  # the columns are named <time>_at
        query = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(sql.SQL(_SELECT.format(times=times)))
        buffer = bytearray()
        with cur.copy(query) as copy:
            for chunk in copy:
                buffer += chunk
    return _parse(bytes(buffer), categories, sources)


def _parse(data: bytes, categories: tuple[str, ...], sources: tuple[str, ...]) -> Facts:
    if not data.startswith(_HEADER):
        raise ValueError("not PostgreSQL binary COPY output")
    start = 19 + int.from_bytes(data[15:19], "big")
    rows = np.frombuffer(data[start : len(data) - 2], dtype=_DTYPE)
    columns: dict[str, Any] = {}
    for name in _TIMES:
        columns[name] = rows[name].astype(np.float64)
    for name in _INTS:
        columns[name] = rows[name].astype(np.int32)
    for name in _FLOATS:
        columns[name] = rows[name].astype(np.float32)
    return Facts(**columns, categories=categories, sources=sources)


class FactsCache:
    """The current :class:`Facts` per row scope (a street leader's transaction sees only their
    streets' incidents: see geo/row_scope.py), reloaded when ``incident_change`` says the table
    changed."""

    MAX_SCOPES = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[int, Facts]] = {}

    def scopes(self) -> list[str]:
        """The row scopes (``gridgov.scope`` settings) whose facts are held."""
        with self._lock:
            return list(self._held)

    def get(self, conn: Connection) -> Facts:
        query = "SELECT coalesce(max(id), 0), coalesce(current_setting('gridgov.scope', true), '') FROM incident_change"
        version, scope = conn.execute(sa.text(query)).one()
        with self._lock:
            held = self._held.get(scope)
            if held is None or held[0] != version:
                if len(self._held) >= self.MAX_SCOPES:
                    self._held.pop(next(iter(self._held)))
                held = self._held[scope] = (int(version), load(conn))
            return held[1]
