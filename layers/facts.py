"""The incident table as numpy columns, for the wall screen's aggregates, kept current by deltas.

Counting a year of a million incidents five ways (KPIs, ranking, trend, heat, grid rates) in
PostgreSQL means five scans per refresh. Instead each server process keeps the few columns those
aggregates need (~90 bytes an incident) in numpy arrays, sorted by incident id, loaded with one
binary COPY; aggregating is then masks and ``bincount``. Times are float seconds since 1970
(exact to the microsecond, as stored); a missing time is NaN, which compares false, as NULL does
in SQL. Probable duplicates are not loaded.

**Deltas.** Statement triggers on ``incident`` append a row to ``incident_change`` in the writer's
own transaction (migrations 0004, 0017) holding the writer's transaction id (``xid``) and the ids
of the rows the statement inserted, updated or deleted (``ids``; NULL when unknown: TRUNCATE, a
statement of over 100,000 rows; attaching a source's first partition logs its rows the same
way, see geo/partitions.py). The copy of a row scope
remembers the snapshot ``S`` (``pg_current_snapshot()``) it is known to be at least as new as.
To bring it up to date, one statement (snapshot ``S'``) reads ``S'`` itself and the ids of every
change whose ``xid`` is not visible in ``S`` (``xid >= pg_snapshot_xmin(S) AND NOT
pg_visible_in_snapshot(xid, S)``: an index range); a second statement reads those incidents as
they are now (by id: rows read ∝ the change) and they replace, join or leave the arrays (a row
not found was deleted, became a duplicate or left the row scope). The copy is then at least as
new as ``S'``.

Why no change is missed, including transactions that commit out of order (T1 takes change id 5,
T2 takes 6 and commits first; ``max(id)`` would skip 5 for ever):

1. A row's state at a snapshot is set by the last transaction visible in it that wrote the row.
   Between ``S`` and ``S'`` a row can only differ if a transaction visible in ``S'`` but not in
   ``S`` wrote it; visibility is about commits, not about the order ids or xids were taken, so
   T1 above is "not visible in S" until a snapshot sees it committed, whenever that is.
2. Every such transaction wrote its ``incident_change`` rows in the same transaction, so they
   are visible in ``S'`` exactly when its incident rows are, and each names the rows it touched.
   Every xid not visible in ``S`` is ≥ ``xmin(S)``, so the index range holds them all.
3. The rows are read after ``S'`` (READ COMMITTED: a later snapshot), so each is at least as new
   as ``S'``. A transaction that committed between the two statements may show in rows now and
   is read again next time, as it is not visible in ``S'``: reading a row twice is harmless, as
   the arrays take its current state by id. So, by induction, every row held is at least as new
   as the held snapshot, and a quiet table ends equal to a full load.
4. Pruning deletes old change rows and raises ``incident_change_horizon.xid`` above each
   deleted row's xid in the same transaction; if the horizon seen in ``S'`` is above
   ``xmin(S)``, a change this copy needed may be gone, and everything is reloaded.

A full reload also happens for a row scope seen for the first time, for a change of unknown rows
(``ids`` NULL), and when more rows changed than ``max(min_full, full_share × held)``. The
database work of a delta is proportional to the change, and so, in the live case, is the work
on the arrays (:func:`apply`): new incidents are appended into spare capacity behind the arrays
and updated rows copy only the arrays whose values changed (0.5 ms for 50 new incidents, ~3 ms
per changed array of a million rows, against 50-100 ms to rebuild them all), so that a request
still aggregating the previous copy never sees half a delta. Incident ids are unique (one sequence for every partition); a table
where they are not is always reloaded in full.

Columns come from ``_TIMES`` (column ``<name>_at``), ``_INTS`` (``_INT_SQL``, or ``_CODED``: the
code of a text column's value in a sorted list of names) and ``_FLOATS``; full loads and deltas
read them with the same expressions.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from psycopg import sql
from sqlalchemy.engine import Connection

from geo.schema import SATISFACTIONS
from geo.sla import SlaRules
from layers.lineage import Lineage

_TIMES = ("reported", "registered", "deadline", "handled", "closed", "signed", "suspended")
_INTS = (
    "rework",
    "category",
    "source",
    "street",
    "community",
    "grid",
    "department",
    "satisfaction",
    "resolved",
)
_FLOATS = ("lon", "lat")
_INT_SQL = {
    "rework": "i.rework_count",
    "street": "coalesce(i.street_id, 0)",
    "community": "coalesce(i.community_id, 0)",
    "grid": "coalesce(i.grid_id, 0)",
    # the last 回访: an index into SATISFACTIONS; resolved 1 yes, 0 no (-1: none)
    "satisfaction": f"coalesce(array_position(ARRAY{list(SATISFACTIONS)!r}, i.satisfaction) - 1, -1)",
    "resolved": "coalesce(i.resolved::int, -1)",
}
# fact: (text, names); department = 承办单位 of the last 派遣
_CODED = {
    "category": ("i.category", "categories"),
    "source": ("i.source", "sources"),
    "department": ("i.department", "departments"),
}
_FLOAT_SQL = {"lon": "ST_X(i.geom)::float4", "lat": "ST_Y(i.geom)::float4"}
_TIME = "coalesce(extract(epoch FROM i.{c}_at)::float8, 'NaN')"
_DTYPES = {
    **dict.fromkeys(_TIMES, np.float64),
    **dict.fromkeys(_INTS, np.int32),
    **dict.fromkeys(_FLOATS, np.float32),
}
_DTYPE = np.dtype(
    [("fields", ">i2"), ("_ids", ">i4"), ("ids", ">i8")]
    + [x for name in _TIMES for x in ((f"_{name}", ">i4"), (name, ">f8"))]
    + [x for name in _INTS for x in ((f"_{name}", ">i4"), (name, ">i4"))]
    + [x for name in _FLOATS for x in ((f"_{name}", ">i4"), (name, ">f4"))]
)
_HEADER = b"PGCOPY\n\xff\r\n\x00"


@dataclass(frozen=True)
class Facts:
    """One entry per incident (duplicates left out) in each array, in ascending ``ids``; codes
    index ``categories``/``sources`` (a name may stay listed after its last incident went)."""

    ids: NDArray[np.int64]
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
    # when each case had to be signed for (``sla.sign_off`` after its report); see with_sign_off
    sign_due: NDArray[np.float64] | None = None
    # office hours from registration (or report) to handled (or closed); NaN while not done
    work_hours: NDArray[np.float64] | None = None
    # whether a delta may write past the end of these arrays' buffers (see apply)
    room: _Room | None = field(default=None, compare=False, repr=False)
    # which deltas made this copy from a full load (see layers/lineage.py); None: not followed
    lineage: Lineage | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def codes(self, kind: str, values: tuple[str, ...]) -> NDArray[np.int32]:
        names = self.categories if kind == "category" else self.sources
        return np.array([names.index(v) for v in values if v in names], dtype=np.int32)

    @cached_property
    def signing_sources(self) -> NDArray[np.int32]:
        """The codes of the sources that report 签收 at all (a source that never does is not
        measured on response)."""
        signing = self.source[~np.isnan(self.signed)]
        return np.flatnonzero(np.bincount(signing[signing >= 0], minlength=len(self.sources))).astype(
            np.int32
        )


def columns() -> tuple[str, ...]:
    """The names of the per-incident arrays of :class:`Facts`."""
    return ("ids", *_TIMES, *_INTS, *_FLOATS)


def _expressions(*, coded: str) -> list[str]:
    """The SELECT list in :func:`columns` order; ``coded`` formats a coded fact's expression."""
    ints = [coded.format(name=n, text=_CODED[n][0]) if n in _CODED else _INT_SQL[n] for n in _INTS]
    return ["i.id::int8", *(_TIME.format(c=c) for c in _TIMES), *ints, *(_FLOAT_SQL[n] for n in _FLOATS)]


# the incidents that can count in a period [a, b) judged at b (layers/indicators.counting, bounded
# at its end: an incident reported after b adds nothing to it; one reported at b is open at b)
_COUNTING_IN = (
    "(i.reported_at <= {b} AND (i.reported_at >= {a} OR i.closed_at IS NULL OR i.closed_at >= {a}"
    " OR i.deadline_at >= {a} OR i.handled_at >= {a}))"
)


def _full_query(periods: Sequence[tuple[dt.datetime, dt.datetime]] = ()) -> sql.Composed:
    select = ", ".join(_expressions(coded="coalesce(k_{name}.code, -1)"))
    joins = " ".join(
        f"LEFT JOIN fact_codes k_{n} ON k_{n}.kind = '{n}' AND k_{n}.text = {text}"
        for n, (text, _) in _CODED.items()
    )  # a name new since the lists were read (code -1) came after the held snapshot: the next delta re-reads it
    query = sql.SQL(f"SELECT {select} FROM incident i {joins} WHERE i.duplicate_of IS NULL")  # noqa: S608 (constants)
    counting = [
        sql.SQL(_COUNTING_IN).format(a=sql.Literal(a), b=sql.Literal(b)) for a, b in periods
    ]  # quoted by psycopg
    narrowed = sql.SQL(" AND ({})").format(sql.SQL(" OR ").join(counting)) if counting else sql.SQL("")
    return sql.SQL("COPY ({}{}) TO STDOUT (FORMAT binary)").format(query, narrowed)


def _names(conn: Connection) -> dict[str, tuple[str, ...]]:
    out = {}
    for name, (text, _) in _CODED.items():
        query = f"SELECT DISTINCT {text} FROM incident i WHERE {text} IS NOT NULL ORDER BY 1"  # noqa: S608
        out[name] = tuple(conn.execute(sa.text(query)).scalars())
    return out


def load(conn: Connection, *, counting_in: Sequence[tuple[dt.datetime, dt.datetime]] = ()) -> Facts:
    """Read every incident's aggregate columns with one binary COPY (in ``conn``'s transaction);
    with ``counting_in``, only those that can count in one of these periods ``[a, b)``: reported
    before its end and reported, due, handled or closed since its start, or still open (a
    report's periods: a month, the month before and the month a year before)."""
    names = _names(conn)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS fact_codes (kind text, text text, code int)")
        cur.execute("TRUNCATE fact_codes")
        rows = [(kind, text, k) for kind, values in names.items() for k, text in enumerate(values)]
        cur.executemany("INSERT INTO fact_codes VALUES (%s, %s, %s)", rows)
        buffer = bytearray()
        with cur.copy(_full_query(counting_in)) as copy:
            for chunk in copy:
                buffer += chunk
    return _parse(bytes(buffer), names)


def _parse(data: bytes, names: dict[str, tuple[str, ...]]) -> Facts:
    if not data.startswith(_HEADER):
        raise ValueError("not PostgreSQL binary COPY output")
    start = 19 + int.from_bytes(data[15:19], "big")
    rows = np.frombuffer(data[start : len(data) - 2], dtype=_DTYPE)
    order = np.argsort(rows["ids"], kind="stable")
    arrays: dict[str, Any] = {
        name: rows[name][order].astype(_DTYPES.get(name, np.int64)) for name in columns()
    }
    arrays |= {_CODED[k][1]: v for k, v in names.items()}
    return Facts(**arrays)


# --- deltas -------------------------------------------------------------------------------------

_PENDING = """
WITH pending AS (
    SELECT ids FROM incident_change
    WHERE xid >= pg_snapshot_xmin(CAST(:held AS pg_snapshot))::text::bigint
      AND NOT pg_visible_in_snapshot(xid::text::xid8, CAST(:held AS pg_snapshot))
)
SELECT pg_current_snapshot()::text,
       coalesce((SELECT xid FROM incident_change_horizon)
                > pg_snapshot_xmin(CAST(:held AS pg_snapshot))::text::bigint, false),
       (SELECT count(*) FROM pending WHERE ids IS NULL),
       (SELECT array_agg(DISTINCT u ORDER BY u) FROM pending, unnest(pending.ids) AS u)
"""
_NOW = "SELECT pg_current_snapshot()::text, coalesce(current_setting('gridgov.scope', true), '')"


@dataclass(frozen=True)
class Pending:
    """What changed since a held snapshot, as seen in ``snapshot``: ``ids`` (sorted) of the
    incidents touched, or ``lost`` (pruned past, or a change of unknown rows): reload."""

    snapshot: str
    lost: bool
    ids: NDArray[np.int64]


def pending(conn: Connection, held: str) -> Pending:
    snapshot, pruned, unknown, ids = conn.execute(sa.text(_PENDING), {"held": held}).one()
    found = np.array(ids or [], dtype=np.int64)
    return Pending(snapshot, bool(pruned) or int(unknown) > 0, found)


def read_rows(
    conn: Connection, ids: NDArray[np.int64]
) -> tuple[dict[str, NDArray[Any]], dict[str, list[str]]]:
    """The facts of the incidents ``ids`` as they are now (those visible and not duplicates),
    in ascending id; coded facts as their text."""
    select = ", ".join(_expressions(coded="{text}"))
    query = f"SELECT {select} FROM incident i WHERE i.id = ANY(CAST(:ids AS bigint[])) AND i.duplicate_of IS NULL ORDER BY i.id"  # noqa: S608
    rows = conn.execute(sa.text(query), {"ids": ids.tolist()}).all()
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns())
    arrays: dict[str, NDArray[Any]] = {}
    texts: dict[str, list[str]] = {}
    for name, column in zip(columns(), values, strict=True):
        if name in _CODED:
            texts[name] = list(column)
        else:
            arrays[name] = np.array(column, dtype=_DTYPES.get(name, np.int64))
    return arrays, texts


def _recode(facts: Facts, texts: dict[str, list[str]]) -> tuple[Facts, dict[str, NDArray[np.int32]]]:
    """``facts`` with every name of ``texts`` in its sorted lists (codes renumbered if one is new),
    and the codes of ``texts``."""
    codes: dict[str, NDArray[np.int32]] = {}
    for name, values in texts.items():
        attr = _CODED[name][1]
        old: tuple[str, ...] = getattr(facts, attr)
        new = tuple(sorted(set(old) | {v for v in values if v is not None}))
        if new != old:
            where = {text: k for k, text in enumerate(new)}
            table = np.array([where[t] for t in old] + [-1], dtype=np.int32)  # -1 stays -1
            facts = replace(facts, **{attr: new, name: table[getattr(facts, name)]})
        where = {text: k for k, text in enumerate(new)}
        codes[name] = np.array([where.get(t, -1) if t is not None else -1 for t in values], dtype=np.int32)
    return facts, codes


@dataclass
class _Room:
    """Shared by a copy of the facts and the spare capacity behind its arrays: only the newest
    copy (``open``) may append into it, so an older copy a request still reads never changes."""

    open: bool = True


def apply(facts: Facts, changed: NDArray[np.int64], rows: dict[str, NDArray[Any]]) -> Facts:
    """New facts: the incidents ``changed`` (sorted ids) replaced by ``rows`` (sorted by id,
    every column; an id of ``changed`` missing from ``rows`` leaves).

    The live case costs ∝ the change, not the table: rows updated in place copy only the arrays
    whose values changed, and new incidents (ids above every held one) are written into spare
    capacity past the end of the arrays, where the copies requests are still reading do not
    look. Anything else (a row leaving, an id inside the held range) rebuilds the arrays."""
    pos = np.searchsorted(facts.ids, changed)
    inside = pos < len(facts.ids)
    inside[inside] = facts.ids[pos[inside]] == changed[inside]
    old = pos[inside]
    names = [n for n in (*columns(), *DERIVED) if n in rows and getattr(facts, n) is not None]
    lineage = _followed(facts, changed, inside, old, names)
    updated = np.isin(rows["ids"], changed[inside])
    last = facts.ids[-1] if len(facts.ids) else np.iinfo(np.int64).min
    if int(updated.sum()) == len(old) and bool((rows["ids"][~updated] > last).all()):
        return _grown(facts, names, old, rows, updated, lineage=lineage)
    keep = np.ones(len(facts.ids), dtype=bool)
    keep[old] = False
    at = np.searchsorted(facts.ids[keep], rows["ids"])
    new = {n: np.insert(getattr(facts, n)[keep], at, rows[n]) for n in names}
    return _successor(facts, new, room=None, lineage=lineage)


def _followed(
    facts: Facts,
    changed: NDArray[np.int64],
    inside: NDArray[np.bool_],
    old: NDArray[np.intp],
    names: list[str],
) -> Lineage | None:
    """The lineage of the copy a delta of ``changed`` makes (their values before it recorded)."""
    if facts.lineage is None:
        return None
    before = {}
    for n in names:
        values = np.zeros(len(changed), dtype=getattr(facts, n).dtype)
        values[inside] = getattr(facts, n)[old]
        before[n] = values
    return facts.lineage.after(changed, inside, before)


def _grown(
    facts: Facts,
    names: list[str],
    at: NDArray[np.intp],
    rows: dict[str, NDArray[Any]],
    updated: NDArray[np.bool_],
    *,
    lineage: Lineage | None,
) -> Facts:
    """``facts`` with rows ``at`` set to ``rows[updated]`` and ``rows[~updated]`` appended."""
    added = int((~updated).sum())
    newest = facts.room is not None and facts.room.open  # no later copy appended into its buffers
    room = facts.room if newest else None
    new = {}
    for n in names:
        array, values, fresh = getattr(facts, n), rows[n], False
        if not np.array_equal(array[at], values[updated], equal_nan=array.dtype.kind == "f"):
            array, fresh = _spacious(array, len(array) + added, reuse=False), True
            array[at] = values[updated]
        if added:
            array = _spacious(array, len(array) + added, reuse=fresh or room is not None)
            array.base[len(array) : len(array) + added] = values[~updated]  # type: ignore[index]
            array = array.base[: len(array) + added]  # type: ignore[index]
        new[n] = array
    # appending later is safe where this copy's buffers are its own: when it follows the newest
    # copy, or when it appended (every array then moved to a buffer of its own). A copy made from
    # an older one without appending shares buffers a later copy may have appended into.
    return _successor(facts, new, room=_Room(open=newest or added > 0), lineage=lineage)


def _spacious(array: NDArray[Any], need: int, *, reuse: bool) -> NDArray[Any]:
    """``array`` as the start of a buffer with room for ``need`` entries: the buffer behind it
    when ``reuse`` and it is large enough, else a new one with an eighth to spare."""
    base = array.base
    if (
        reuse
        and isinstance(base, np.ndarray)
        and base.ndim == 1
        and len(base) >= need
        and _starts(base, array)
    ):
        return array
    buffer = np.empty(need + need // 8 + 1024, dtype=array.dtype)
    buffer[: len(array)] = array
    return buffer[: len(array)]


def _starts(buffer: NDArray[Any], array: NDArray[Any]) -> bool:
    return bool(buffer.__array_interface__["data"][0] == array.__array_interface__["data"][0])


def _successor(facts: Facts, new: dict[str, Any], *, room: _Room | None, lineage: Lineage | None) -> Facts:
    """The facts after a delta; ``facts`` may no longer append into buffers it shares."""
    if facts.room is not None:
        facts.room.open = False
    return replace(facts, **new, room=room, lineage=lineage)


def delta(
    conn: Connection, facts: Facts, changed: NDArray[np.int64], *, sla: SlaRules | None = None
) -> Facts:
    """``facts`` brought up to date for the incidents ``changed`` (read now, by id); with
    ``sla``, their sign-off deadlines too."""
    arrays, texts = read_rows(conn, changed)
    facts, codes = _recode(facts, texts)
    if sla is not None:
        arrays |= _clocked(sla, arrays)
    return apply(facts, changed, arrays | codes)


DERIVED = ("sign_due", "work_hours")  # per-incident arrays computed here, not read


def with_sign_off(facts: Facts, sla: SlaRules) -> Facts:
    """``facts`` with each case's sign-off deadline, ``sla.sign_off`` after its report (used only
    for the sources in :attr:`Facts.signing_sources`), and its handling time in office hours."""
    columns_ = {"reported": facts.reported, "registered": facts.registered, "handled": facts.handled,
                "closed": facts.closed}  # fmt: skip
    clocked = _clocked(sla, columns_)
    return replace(facts, sign_due=clocked["sign_due"], work_hours=clocked["work_hours"])


def _clocked(sla: SlaRules, rows: dict[str, NDArray[Any]]) -> dict[str, NDArray[np.float64]]:
    """What the SLA clock derives per incident: the sign-off deadline and the handling time in
    office hours (from registration, or the report, to handled, or closed)."""
    start = np.where(np.isnan(rows["registered"]), rows["reported"], rows["registered"])
    done = np.where(np.isnan(rows["handled"]), rows["closed"], rows["handled"])
    return {"sign_due": sla.sign_off_due(rows["reported"]), "work_hours": sla.working_hours(start, done)}


# --- the cache ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A row scope's facts and the snapshot they are at least as new as."""

    snapshot: str
    facts: Facts
    unique: bool  # ids unique: deltas can find rows by id
    token: str | None = None  # a change token read before they were brought up to date (see get)


@dataclass(frozen=True)
class Sync:
    """What bringing a scope's facts up to date did: ``held`` (nothing changed), ``delta`` (of
    ``changed`` incidents) or ``full``."""

    how: str
    changed: int
    facts: Facts


class FactsCache:
    """The current :class:`Facts` per row scope (a street leader's transaction sees only their
    streets' incidents: see geo/row_scope.py), brought up to date by deltas (module docstring)."""

    MAX_SCOPES = 32

    def __init__(
        self, sla: SlaRules | None = None, *, min_full: int = 10_000, full_share: float = 0.25
    ) -> None:
        self._sla = SlaRules() if sla is None else sla
        self._lock = threading.Lock()
        self._held: dict[str, Held] = {}
        self._min_full, self._full_share = min_full, full_share

    def scopes(self) -> list[str]:
        """The row scopes (``gridgov.scope`` settings) whose facts are held."""
        with self._lock:
            return list(self._held)

    def get(self, conn: Connection, *, known: tuple[str, str] | None = None) -> Facts:
        """The facts of ``conn``'s row scope, up to date. ``known``: the scope's setting and its
        change token (layers/changes.py) read before this call; when the held facts were brought
        up to date after that same token was read, nothing the scope sees has changed since, and
        they are served without asking the database (a wall screen's views after one change)."""
        if known is not None:
            with self._lock:
                held = self._held.get(known[0])
                if held is not None and held.token == known[1]:
                    return held.facts
        return self.sync(conn, known=known).facts

    def sync(self, conn: Connection, *, known: tuple[str, str] | None = None) -> Sync:
        """The facts of ``conn``'s row scope, up to date with what its transaction can see
        (``known``: as in :meth:`get`, remembered for the next call)."""
        with self._lock:
            snapshot, scope = conn.execute(sa.text(_NOW)).one()
            held = self._held.get(scope)
            result = self._full(conn, snapshot) if held is None else self._update(conn, held)
            if scope not in self._held and len(self._held) >= self.MAX_SCOPES:
                self._held.pop(next(iter(self._held)))
            token = known[1] if known is not None and known[0] == scope else None
            self._held[scope] = replace(result[0], token=token)
            return result[1]

    def _full(self, conn: Connection, snapshot: str) -> tuple[Held, Sync]:
        facts = with_sign_off(load(conn), self._sla)  # read after ``snapshot`` was taken: at least as new
        facts = replace(facts, lineage=Lineage())  # deltas from here on are logged (layers/lineage.py)
        unique = bool(len(facts) < 2 or (facts.ids[1:] != facts.ids[:-1]).all())
        return Held(snapshot, facts, unique), Sync("full", len(facts), facts)

    def _update(self, conn: Connection, held: Held) -> tuple[Held, Sync]:
        news = pending(conn, held.snapshot)
        if not len(news.ids) and not news.lost:
            return replace(held, snapshot=news.snapshot), Sync("held", 0, held.facts)
        limit = max(self._min_full, int(self._full_share * len(held.facts)))
        if news.lost or not held.unique or len(news.ids) > limit:
            return self._full(conn, news.snapshot)
        facts = delta(conn, held.facts, news.ids, sla=self._sla)
        return Held(news.snapshot, facts, True), Sync("delta", len(news.ids), facts)


def equal(a: Facts, b: Facts) -> list[str]:
    """The arrays in which ``a`` and ``b`` differ (coded facts compared as their names)."""
    out = [n for n in (*columns(), *DERIVED) if n not in _CODED and not _same(getattr(a, n), getattr(b, n))]
    for name, (_, attr) in _CODED.items():
        if _decoded(getattr(a, name), getattr(a, attr)) != _decoded(getattr(b, name), getattr(b, attr)):
            out.append(name)
    return out


def _same(x: NDArray[Any] | None, y: NDArray[Any] | None) -> bool:
    if x is None or y is None:
        return x is y
    return bool(np.array_equal(x, y, equal_nan=True))


def _decoded(codes: NDArray[np.int32], names: Sequence[str]) -> list[str | None]:
    return [names[c] if c >= 0 else None for c in codes.tolist()]
