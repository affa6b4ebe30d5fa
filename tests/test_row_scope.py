"""The database's own wall: row-level security holds even when the Python checks are bypassed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from geo import migrate, row_scope
from geo.db import make_engine, web_database_url
from geo.row_scope import RowScope
from geo.users import User

_COUNTS = {
    "incident": "SELECT count(*) FROM incident WHERE street_id = ANY(:ids)",
    "inspection_target": "SELECT count(*) FROM inspection_target WHERE street_id = ANY(:ids)",
    "inspection": (
        "SELECT count(*) FROM inspection i JOIN inspection_target t ON t.id = i.target_id "
        "WHERE t.street_id = ANY(:ids)"
    ),
}


@pytest.fixture(scope="module")
def streets(demo):
    """Two streets with incidents, targets and inspections: (street A ids, street B ids, A's code)."""
    with demo.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.code, array_agg(DISTINCT s.id) FROM street s JOIN inspection_target t ON t.street_id = s.id "
                "JOIN inspection i ON i.target_id = t.id JOIN incident n ON n.street_id = s.id "
                "GROUP BY s.code ORDER BY s.code LIMIT 2"
            )
        ).all()
    assert len(rows) == 2, "the demo district has two streets with every kind of row"
    return list(rows[0][1]), list(rows[1][1]), rows[0][0]


def _counts(conn, ids):
    return {table: conn.execute(sa.text(sql), {"ids": ids}).scalar_one() for table, sql in _COUNTS.items()}


def test_a_street_scope_sees_none_of_another_streets_rows_even_as_the_table_owner(demo, streets):
    a, b, _ = streets
    with demo.connect() as conn:
        everything = {"a": _counts(conn, a), "b": _counts(conn, b)}  # unset: a job outside the web app
        assert conn.execute(
            sa.text("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'inspection'")
        ).scalar()
    with demo.begin() as conn:
        row_scope.apply(conn, RowScope(tuple(a)))
        assert _counts(conn, b) == {t: 0 for t in _COUNTS}
        assert _counts(conn, a) == everything["a"] and min(everything["a"].values()) > 0
        assert (
            conn.execute(sa.text("SELECT count(*) FROM incident WHERE street_id IS NULL")).scalar_one() == 0
        )
    with demo.begin() as conn:
        row_scope.apply(conn, RowScope.nothing())
        assert _counts(conn, a + b) == {t: 0 for t in _COUNTS}
    with demo.begin() as conn:
        row_scope.apply(conn, RowScope.everything())
        assert _counts(conn, b) == everything["b"]


def test_a_street_scope_cannot_change_or_add_another_streets_rows(demo, streets):
    """The web role writes visits only (a privilege), and only to its streets' targets (a policy)."""
    a, b, _ = streets
    with demo.connect() as conn:
        target_b = conn.execute(
            sa.text("SELECT min(id) FROM inspection_target WHERE street_id = ANY(:b)"), {"b": b}
        ).scalar_one()
    with demo.connect() as conn, conn.begin() as trans:  # the web role: visits only, its streets' only
        row_scope.apply(conn, RowScope(tuple(a)))
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            conn.execute(
                sa.text("INSERT INTO inspection (source, source_id, target_id, inspected_at, passed) "
                        "VALUES ('rls-test', 'v1', :t, now(), true)"),
                {"t": target_b},
            )  # fmt: skip
        trans.rollback()
    for statement in (
        "UPDATE incident SET rework_count = rework_count WHERE street_id = ANY(:a)",
        "INSERT INTO inspection_target (source, source_id, kind, name, street_id, geom) "
        "SELECT 'rls-test', 'x1', kind, name, :a0, geom FROM inspection_target LIMIT 1",
    ):
        with demo.connect() as conn, conn.begin() as trans:
            row_scope.apply(conn, RowScope(tuple(a)))
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text(statement), {"a": a, "a0": a[0]})
            trans.rollback()


def test_the_web_engine_scopes_every_transaction_from_the_current_account(demo, streets):
    a, b, code_a = streets
    leader = User(id=0, username="leader", role="street_leader", streets=(code_a,), disabled=False)
    with demo.connect() as conn:
        scope = row_scope.row_scope(conn, leader)
        assert set(scope.street_ids or ()) == set(a)
        assert row_scope.row_scope(conn, None) == RowScope.nothing()
        planner = row_scope.row_scope(conn, User(0, "p", "planner", (), False))
        assert planner.street_ids is None and planner.contacts == ()  # every row, no worker's number
        assert row_scope.row_scope(conn, User(0, "a", "admin", (), False)) == RowScope.everything()
        assert scope.contacts == scope.street_ids  # a leader's own streets' workers
    web = make_engine(demo.url.render_as_string(hide_password=False), pool_size=1)
    try:
        row_scope.install(web, lambda: scope)
        for _ in range(2):  # autobegun and explicit transactions alike, on the same pooled connection
            with web.connect() as conn:
                assert _counts(conn, b) == {t: 0 for t in _COUNTS} and _counts(conn, a)["incident"] > 0
            with web.begin() as conn:
                assert _counts(conn, b)["incident"] == 0
                assert conn.execute(sa.text("SELECT current_user")).scalar() == row_scope.ROLE
                setting = f"SELECT current_setting('{row_scope.SETTING}')"
                assert conn.execute(sa.text(setting)).scalar() == scope.setting
    finally:
        web.dispose()


_PARTITIONS = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'incident'::regclass ORDER BY c.relname"
)


def test_each_incident_partition_read_directly_keeps_to_the_scope(demo, streets):
    """The parent's policies do not hold for a partition named in a query: each has its own."""
    a, b, _ = streets
    with demo.connect() as conn:
        parts = conn.execute(sa.text(_PARTITIONS)).scalars().all()
        counts = {p: conn.execute(sa.text(f'SELECT count(*) FROM "{p}" WHERE street_id = ANY(:b)'), {"b": b})
                  .scalar_one() for p in parts}  # fmt: skip
    assert len(parts) >= 2 and sum(counts.values()) > 0  # street B has rows in the partitions
    with demo.begin() as conn:
        row_scope.apply(conn, RowScope(tuple(a)))  # the web role, a leader of street A
        for part in parts:
            seen = conn.execute(
                sa.text(f'SELECT count(*) FROM "{part}" WHERE street_id <> ALL(:a)'), {"a": a}
            )
            assert seen.scalar_one() == 0, part
        mine = sum(conn.execute(sa.text(f'SELECT count(*) FROM "{p}"')).scalar_one() for p in parts)
        assert mine > 0


def test_the_migration_secures_partitions_made_before_it(scratch_engine):
    migrate.upgrade(scratch_engine, revision="0013")
    with scratch_engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE incident__old PARTITION OF incident FOR VALUES IN ('old')"))
    migrate.upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        flags = conn.execute(sa.text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                                     "WHERE relname = 'incident__old'")).one()  # fmt: skip
        policies = conn.execute(sa.text("SELECT count(*) FROM pg_policies WHERE tablename = 'incident__old'"))
        assert tuple(flags) == (True, True) and policies.scalar_one() == 1
    migrate.downgrade(scratch_engine, revision="0013")
    with scratch_engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM pg_policies WHERE tablename = 'incident__old'")
            ).scalar()
            == 0
        )


def test_the_web_app_logs_in_as_a_role_that_is_neither_superuser_nor_owner(settings, demo, streets):
    """An injected ``RESET ROLE`` must not leave the policies behind, and the web role reads no
    password hash (it checks passwords through SECURITY DEFINER functions)."""
    a, b, _ = streets
    web = make_engine(web_database_url(settings), pool_size=1)
    try:
        with web.connect() as conn:
            me = conn.execute(sa.text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
                                      "WHERE rolname = current_user")).one()  # fmt: skip
            owned = conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relowner = "
                                         "(SELECT oid FROM pg_roles WHERE rolname = current_user)")).scalar()  # fmt: skip
            assert me.rolname == "gridgov_app" and not me.rolsuper and not me.rolbypassrls and owned == 0
        with web.begin() as conn:
            row_scope.apply(conn, RowScope(tuple(a)))
            conn.execute(sa.text("RESET ROLE"))
            assert _counts(conn, b) == {t: 0 for t in _COUNTS} and _counts(conn, a)["incident"] > 0
        forbidden = (
            "SELECT password_hash FROM app_user",
            "UPDATE app_user SET role = 'admin'",
            "SELECT count(*) FROM quarantine",
            "DELETE FROM incident",
            "UPDATE inspection_target SET name = 'x'",
        )
        for statement in forbidden:
            with web.begin() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text(statement))
        with web.connect() as conn:  # the login form's way: the hash of one name, for argon2
            assert conn.execute(sa.text("SELECT gridgov_password_hash(:u)"), {"u": "nobody"}).scalar() is None
    finally:
        web.dispose()
