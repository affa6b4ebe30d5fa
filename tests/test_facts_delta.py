"""Incremental facts (layers/facts.py) equal a full reload, and a delta reads rows ∝ the change;
sums followed through the deltas (layers/tally.py) equal counting the full load again.

A hand-made district of three streets in a database of its own; incidents written with SQL
(inserts, updates that close, reopen, move or mark a duplicate, deletes, a source's first
bulk load attached as a partition (a delta too), TRUNCATE) and transactions committing out of order on two
connections. After every step the cached facts of two row scopes (the district, one street)
are compared, array by array, with a full load in the same scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from geo import partitions, row_scope
from geo.row_scope import RowScope
from geo.sla import SlaRules
from layers import kpis, ranking
from layers.changes import change_token, newly_shown
from layers.facts import FactsCache, equal, load, with_sign_off
from layers.feeds import rows_of
from layers.held_rows import HeldRows
from layers.incident_filter import IncidentFilter
from layers.tally import tally
from tests.databases import fresh_database

T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
_SQUARE = "ST_Multi(ST_MakeEnvelope({x}, 40, {x} + 0.01, 40.01, 4326))"
_INSERT = """
INSERT INTO incident (source, source_id, category, reported_at, deadline_at, street_id, geom)
SELECT :source, :prefix || n, (ARRAY['环境', '物业', '噪声'])[1 + n % 3], :at + n * interval '1 hour',
       :at + interval '2 days', (SELECT id FROM street ORDER BY code OFFSET (n % 3) LIMIT 1),
       ST_SetSRID(ST_MakePoint(113.0 + n * 1e-4, 40.0), 4326)
FROM generate_series(1, :n) AS n"""
_PICK = "(SELECT id FROM incident ORDER BY id OFFSET :k LIMIT 1)"
_UPDATES = {
    "close": f"UPDATE incident SET closed_at = reported_at + interval '3 hours' WHERE id = {_PICK}",
    "reopen": f"UPDATE incident SET closed_at = NULL, rework_count = rework_count + 1 WHERE id = {_PICK}",
    "category": f"UPDATE incident SET category = '新类' || :k WHERE id = {_PICK}",
    "move": f"UPDATE incident SET street_id = (SELECT max(id) FROM street) WHERE id = {_PICK}",
    "duplicate": f"UPDATE incident SET duplicate_of = 1 WHERE id = {_PICK}",
    "delete": f"DELETE FROM incident WHERE id = {_PICK}",
}


@pytest.fixture(scope="module")
def district(cluster, migrated_template) -> Iterator[Engine]:
    with fresh_database(cluster, template=migrated_template) as engine:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO district (code, name, geom) "
                    "VALUES ('990000', '测试区', ST_Multi(ST_MakeEnvelope(113, 40, 113.1, 40.1, 4326)))"
                )
            )
            for k in range(3):
                conn.execute(
                    sa.text(
                        "INSERT INTO street (code, name, district_id, geom) "
                        f"SELECT :code, :name, id, {_SQUARE.format(x=113 + k * 0.01)} FROM district"
                    ),
                    {"code": f"99000000{k + 1}000", "name": f"街道{k}"},
                )
            for source in ("a", "b"):
                partitions.ensure(conn, source)
        yield engine


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM incident"))
        for source in ("c", "d"):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{partitions.partition_name(source)}"'))
        conn.execute(
            sa.text("INSERT INTO incident_change DEFAULT VALUES")
        )  # a dropped partition fires no trigger


def _insert(conn: Connection, *, source: str, n: int, prefix: str) -> None:
    conn.execute(sa.text(_INSERT), {"source": source, "n": n, "prefix": prefix, "at": T0})


def _street(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT min(id) FROM street")).scalar_one())


NOW = T0 + dt.timedelta(hours=30)
COUNTERS = {
    "ranking": ranking.unit_counter(IncidentFilter(now=NOW), since=T0 - dt.timedelta(days=1)),
    "tiles": kpis.tile_counter(IncidentFilter(now=NOW), now=NOW),
}


def _check(engine: Engine, cache: FactsCache, scope: RowScope, tallies: dict | None = None) -> str:
    """Sync the cache in ``scope`` and compare it with a full load: what the sync did. With
    ``tallies``, sums followed from the last check's (layers/tally.py) equal counting again."""
    with engine.begin() as conn:
        row_scope.apply(conn, scope)
        result = cache.sync(conn)
        full = with_sign_off(load(conn), SlaRules())  # the cache computes sign-off deadlines too
    assert equal(result.facts, full) == [], (result.how, scope)
    assert len(result.facts) == len(full)
    for name, counter in COUNTERS.items() if tallies is not None else ():
        before = tallies.get((scope, name))
        held = tallies[scope, name] = tally(counter, result.facts, NOW.timestamp(), before)
        again = tally(counter, full, NOW.timestamp()).sums
        assert all(np.allclose(*_padded(held.sums[k], again[k])) for k in again), (name, result.how)
        renamed = before is not None and before.names != held.names  # a new category or source
        assert result.how == "full" or renamed or held.followed, (name, result.how)  # a delta is followed
    return result.how


def _padded(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    size = max(len(a), len(b))
    return np.pad(a, (0, size - len(a))), np.pad(b, (0, size - len(b)))


def _attach(engine: Engine, source: str, n: int, tag: str = "") -> None:
    """A source's first bulk load: a table of its own, attached (no statement trigger fires)."""
    with engine.begin() as conn:
        if partitions.has_partition(conn, source):
            _insert(conn, source=source, n=n, prefix=f"{source}-more-{tag}-")
            return
        table = partitions.create_detached(conn, source)
        conn.execute(sa.text(_INSERT.replace("INSERT INTO incident ", f'INSERT INTO "{table}" ')),
                     {"source": source, "n": n, "prefix": f"{source}-", "at": T0})  # fmt: skip
        partitions.attach(conn, source)


def _out_of_order(engine: Engine, cache: FactsCache, scopes: list[RowScope], tag: str) -> list[str]:
    """T1 writes first (lower ids) but commits after T2; the cache syncs in between."""
    hows = []
    with engine.connect() as first, engine.connect() as second:
        t1 = first.begin()
        _insert(first, source="a", n=2, prefix=f"t1-{tag}-")
        first.execute(sa.text(_UPDATES["close"]), {"k": 0})
        with second.begin():
            _insert(second, source="b", n=2, prefix=f"t2-{tag}-")
        hows += [_check(engine, cache, s) for s in scopes]
        t1.commit()
    return hows


STEP = st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(["a", "b"]), st.integers(1, 6)),
    st.tuples(st.sampled_from(sorted(_UPDATES)), st.integers(0, 30)),
    st.tuples(st.just("attach"), st.sampled_from(["c", "d"]), st.integers(1, 5)),
    st.just(("out_of_order",)),
    st.just(("truncate",)),
)


def _run(engine: Engine, step: tuple, tag: str, cache: FactsCache, scopes: list[RowScope]) -> list[str]:
    kind = step[0]
    if kind == "out_of_order":
        return _out_of_order(engine, cache, scopes, tag)
    with engine.begin() as conn:
        if kind == "insert":
            _insert(conn, source=step[1], n=step[2], prefix=f"{tag}-")
        elif kind in _UPDATES:
            conn.execute(sa.text(_UPDATES[kind]), {"k": step[1]})
        elif kind == "truncate":
            conn.execute(sa.text("TRUNCATE incident"))
    if kind == "attach":
        _attach(engine, step[1], step[2], tag)
    return []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_incremental_facts_equal_a_full_reload(district, steps):
    _reset(district)
    with district.begin() as conn:
        _insert(conn, source="a", n=20, prefix="seed-")
    cache, tallies = FactsCache(), {}
    scopes = [RowScope.everything(), RowScope((_street(district),))]
    hows = [_check(district, cache, s, tallies) for s in scopes]
    assert hows == ["full", "full"]  # a scope seen for the first time
    for k, step in enumerate(steps):
        hows += _run(district, step, f"s{k}", cache, scopes)
        hows += [_check(district, cache, s, tallies) for s in scopes]
        if step[0] in ("insert", "out_of_order"):
            assert hows[-2] in ("delta", "full")  # the district's facts took the new rows


def test_a_transaction_committing_after_a_later_one_is_not_missed(district):
    _reset(district)
    cache, everything = FactsCache(), [RowScope.everything()]
    assert _check(district, cache, everything[0]) == "full"
    assert _out_of_order(district, cache, everything, "x") == ["delta"]  # T2's rows
    assert _check(district, cache, everything[0]) == "delta"  # T1's rows, committed last
    with district.connect() as conn:
        ids = conn.execute(
            sa.text("SELECT count(*) FROM incident WHERE source_id LIKE 't1-x-%'")
        ).scalar_one()
    assert ids == 2
    assert _check(district, cache, everything[0]) == "held"


def test_a_first_load_attached_as_a_partition_is_a_delta(district):
    _reset(district)
    cache, scope = FactsCache(), RowScope.everything()
    _check(district, cache, scope)
    with district.begin() as conn:
        partitions.ensure(conn, "d")  # an empty partition (the API's first post makes one)
    assert _check(district, cache, scope) == "held"
    _attach(district, "c", 3)  # a first bulk load: its rows are listed when attached
    with district.begin() as conn:
        row_scope.apply(conn, scope)
        result = cache.sync(conn)
    assert (result.how, result.changed) == ("delta", 3)
    assert _check(district, cache, scope) == "held"


def test_unknown_or_pruned_changes_reload_everything(district):
    _reset(district)
    cache, scope = FactsCache(), RowScope.everything()
    _check(district, cache, scope)
    with district.begin() as conn:
        _insert(conn, source="a", n=2, prefix="unknown-")
        conn.execute(sa.text("INSERT INTO incident_change DEFAULT VALUES"))  # as TRUNCATE logs
    assert _check(district, cache, scope) == "full"
    with district.begin() as conn:
        conn.execute(
            sa.text("UPDATE incident_change_horizon SET xid = pg_current_xact_id()::text::bigint + 1")
        )
    with district.begin() as conn:
        _insert(conn, source="a", n=1, prefix="after-prune-")
    assert _check(district, cache, scope) == "full"  # rows it needed may have been pruned


def _rows_read(conn: Connection) -> int:
    """Incident rows this backend has read by any scan of any partition, not yet sent to the
    statistics (so within one transaction the difference of two readings is what it read)."""
    query = (
        "SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0) "
        "FROM pg_stat_xact_user_tables WHERE relname LIKE :prefix"
    )
    return int(conn.execute(sa.text(query), {"prefix": partitions.PREFIX + "%"}).scalar_one())


@pytest.mark.parametrize("changed", [1, 10, 100])
def test_a_delta_reads_rows_in_proportion_to_the_change(district, changed):
    _reset(district)
    with district.begin() as conn:
        _insert(conn, source="a", n=5000, prefix="bulk-")
        conn.execute(sa.text("ANALYZE incident"))
    cache = FactsCache()
    with district.begin() as conn:
        before = _rows_read(conn)
        assert cache.sync(conn).how == "full"
        assert _rows_read(conn) - before >= 5000
    with district.begin() as conn:
        picked = "(SELECT id FROM incident ORDER BY id DESC LIMIT :n)"
        conn.execute(
            sa.text(f"UPDATE incident SET closed_at = reported_at WHERE id IN {picked}"), {"n": changed}
        )
    with district.begin() as conn:
        before = _rows_read(conn)
        result = cache.sync(conn)
        read = _rows_read(conn) - before
        assert (result.how, result.changed) == ("delta", changed)
        assert read <= 2 * changed + 5, read
        assert equal(result.facts, with_sign_off(load(conn), SlaRules())) == []
    assert int(np.isnan(result.facts.closed).sum()) == 5000 - changed


def _token(engine: Engine, scope: RowScope) -> str:
    with engine.begin() as conn:
        row_scope.apply(conn, scope)
        return change_token(conn)


def test_the_change_counter_moves_for_changes_in_the_scope_even_out_of_order(district):
    _reset(district)
    with district.connect() as conn:
        first = conn.execute(sa.text("SELECT id FROM street ORDER BY code LIMIT 1")).scalar_one()
    mine, everything = RowScope((first,)), RowScope.everything()
    before = {s: _token(district, s) for s in (mine, everything)}
    with district.begin() as conn:  # street of the second row of generate_series: the second street
        conn.execute(
            sa.text(_INSERT.replace("OFFSET (n % 3)", "OFFSET 1")),
            {"source": "a", "n": 1, "prefix": "o-", "at": T0},
        )
    assert _token(district, mine) == before[mine]  # another street's incident
    assert _token(district, everything) != before[everything]
    with district.connect() as one_, district.connect() as two:
        t1 = one_.begin()
        _insert(one_, source="a", n=3, prefix="late-")  # takes the lower change id, commits last
        with two.begin():
            _insert(two, source="b", n=3, prefix="early-")
        seen = _token(district, mine)
        t1.commit()
    assert _token(district, mine) != seen  # max(id) would not have moved


def test_only_items_a_screen_had_not_shown_are_new():
    assert newly_shown([3, 2, 1], None) == frozenset()  # a first page: nothing flashes
    assert newly_shown([4, 3, 2], [3, 2, 1]) == {4}
    assert newly_shown([], [1]) == frozenset()


def test_held_list_rows_are_read_again_only_for_changed_incidents(district):
    """The wall screen's list rows (layers/held_rows.py) equal ``rows_of`` after every delta; the
    rows of incidents no delta touched are the ones read before (kept, not read again); an older
    copy of the facts is served from what is held; a full reload reads everything again."""
    _reset(district)
    with district.begin() as conn:
        _insert(conn, source="a", n=6, prefix="held-")
    cache, held = FactsCache(), HeldRows()

    def rows(facts=None):
        with district.begin() as conn:
            row_scope.apply(conn, RowScope.everything())  # as the web app's transactions are
            facts = cache.get(conn) if facts is None else facts
            ids = [*facts.ids.tolist()[::-1], -1]  # newest first, and an id with no incident
            got = held.rows(conn, facts, ids)
            assert got == rows_of(conn, ids) and len(got) == len(facts), "held rows differ from a read"
        return facts, {r.incident_id: r for r in got}

    first_facts, first = rows()
    changed = min(first)
    with district.begin() as conn:
        conn.execute(sa.text("UPDATE incident SET description = '已改' WHERE id = :i"), {"i": changed})
    _, second = rows()
    assert second[changed].description == "已改" and second[changed] is not first[changed]
    assert all(second[i] is first[i] for i in first if i != changed)  # kept, not read again
    _, older = rows(first_facts)  # a request still on the copy before the delta
    assert older[changed].description == "已改"
    with district.begin() as conn:
        _insert(conn, source="a", n=1, prefix="held-unlogged-")
        conn.execute(sa.text("INSERT INTO incident_change DEFAULT VALUES"))  # as TRUNCATE logs: a full reload
    _, third = rows()
    assert all(third[i] is not second[i] for i in second)


def test_facts_are_served_without_a_query_while_the_change_token_stands(district):
    """``FactsCache.get(known=(scope, token))``: with the token read before the last sync of that
    scope, the held facts come back without a statement; once incidents change (the token
    moves), the next call brings them up to date; another scope's token never serves them."""
    _reset(district)
    cache, scope = FactsCache(), RowScope.everything()
    statements: list[str] = []

    def get(token: str, setting: str = scope.setting):
        with district.begin() as conn:
            row_scope.apply(conn, scope)
            listen = lambda *args: statements.append(args[2])  # noqa: E731
            sa.event.listen(conn, "before_cursor_execute", listen)
            try:
                return cache.get(conn, known=(setting, token))
            finally:
                sa.event.remove(conn, "before_cursor_execute", listen)

    first = get(_token(district, scope))
    statements.clear()
    assert get(_token(district, scope)) is first and statements == []
    with district.begin() as conn:
        _insert(conn, source="a", n=2, prefix="token-")
    moved = _token(district, scope)
    now = get(moved)
    assert statements and len(now) == len(first) + 2
    statements.clear()
    assert get(moved) is now and statements == []
    assert get(moved, setting="streets:1") is now and statements  # not that scope's token: asked
