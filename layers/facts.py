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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from psycopg import sql
from sqlalchemy.engine import Connection

from geo.schema import SATISFACTIONS
from geo.sla import SlaRules

_TIMES = ("reported", "registered", "deadline", "handled", "closed", "signed", "suspended")
# each integer column and the SQL that gives it (-1: none)
_INT_SQL = {
    "rework": "i.rework_count",
    "category": "coalesce(c.code, -1)",
    "source": "coalesce(s.code, -1)",
    "street": "coalesce(i.street_id, 0)",
    "community": "coalesce(i.community_id, 0)",
    "grid": "coalesce(i.grid_id, 0)",
    "department": "coalesce(d.code, -1)",  # 承办单位 of the last 派遣, an index into ``departments``
    # the last 回访: an index into SATISFACTIONS; resolved 1 yes, 0 no
    "satisfaction": f"coalesce(array_position(ARRAY{list(SATISFACTIONS)!r}, i.satisfaction) - 1, -1)",
    "resolved": "coalesce(i.resolved::int, -1)",
}
_INTS = tuple(_INT_SQL)
_FLOATS = ("lon", "lat")
_CODED = {"category": "category", "source": "source", "department": "department"}  # fact_codes kind → column
_SELECT = """
SELECT {times}, {ints}, ST_X(i.geom)::float4, ST_Y(i.geom)::float4
FROM incident i LEFT JOIN fact_codes c ON c.kind = 'category' AND c.text = i.category
LEFT JOIN fact_codes s ON s.kind = 'source' AND s.text = i.source
LEFT JOIN fact_codes d ON d.kind = 'department' AND d.text = i.department
WHERE i.duplicate_of IS NULL"""  # a category that appeared since the lists were read gets code -1
_DISTINCT = "SELECT DISTINCT {column} FROM incident WHERE {column} IS NOT NULL ORDER BY 1"
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
    signed: NDArray[np.float64]
    suspended: NDArray[np.float64]  # a 挂起 not yet resumed
    department: NDArray[np.int32]
    satisfaction: NDArray[np.int32]
    resolved: NDArray[np.int32]
    categories: tuple[str, ...]
    sources: tuple[str, ...]
    departments: tuple[str, ...] = ()
    # when each case had to be signed for (NaN: its source reports no 签收); see with_sign_off
    sign_due: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.reported)

    def codes(self, kind: str, values: tuple[str, ...]) -> NDArray[np.int32]:
        names = self.categories if kind == "category" else self.sources
        return np.array([names.index(v) for v in values if v in names], dtype=np.int32)


def load(conn: Connection) -> Facts:
    """Read every incident's aggregate columns with one binary COPY (in ``conn``'s transaction)."""
    names = {
        kind: tuple(conn.execute(sa.text(_DISTINCT.format(column=column))).scalars())
        for kind, column in _CODED.items()
    }
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS fact_codes (kind text, text text, code int)")
        cur.execute("TRUNCATE fact_codes")
        rows = [(kind, text, k) for kind, texts in names.items() for k, text in enumerate(texts)]
        cur.executemany("INSERT INTO fact_codes VALUES (%s, %s, %s)", rows)
        times = ", ".join(_TIME.format(c=c) for c in _TIMES)  # the columns are named <time>_at
        select = _SELECT.format(times=times, ints=", ".join(_INT_SQL.values()))
        query = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(sql.SQL(select))
        buffer = bytearray()
        with cur.copy(query) as copy:
            for chunk in copy:
                buffer += chunk
    return _parse(bytes(buffer), names["category"], names["source"], names["department"])


def _parse(
    data: bytes, categories: tuple[str, ...], sources: tuple[str, ...], departments: tuple[str, ...] = ()
) -> Facts:
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
    return Facts(**columns, categories=categories, sources=sources, departments=departments)


def with_sign_off(facts: Facts, sla: SlaRules) -> Facts:
    """``facts`` with each case's sign-off deadline: ``sla.sign_off`` after its report, for the
    sources that report 签收 at all (a source that never does is not measured on response)."""
    tracked = np.isin(facts.source, np.unique(facts.source[~np.isnan(facts.signed)]))
    due = np.full(len(facts), np.nan)
    due[tracked] = sla.sign_off_due(facts.reported[tracked])
    return replace(facts, sign_due=due)


class FactsCache:
    """The current :class:`Facts` per row scope (a street leader's transaction sees only their
    streets' incidents: see geo/row_scope.py), reloaded when ``incident_change`` says the table
    changed."""

    MAX_SCOPES = 32

    def __init__(self, sla: SlaRules | None = None) -> None:
        self._sla = SlaRules() if sla is None else sla
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
                held = self._held[scope] = (int(version), with_sign_off(load(conn), self._sla))
            return held[1]
