"""Row-level security on the tables that hold residents' data (see geo/row_scope.py).

The web app's transactions run as ``gridgov_web`` (SET LOCAL ROLE): a role without login,
superuser or ownership, so the policies hold for it (a superuser bypasses them all). It is
granted what the pages need and nothing of the schema; the migrating login is made a member so
it may switch to it.

A transaction's ``gridgov.scope`` setting says what it may see: unset or ``all`` every row,
``streets:ID,…`` those streets' rows, anything else (``none``) no row. FORCE ROW LEVEL SECURITY
holds the table owner to the policies too. The setting is read once per statement (InitPlans),
not once per row.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTIONS = """
CREATE FUNCTION gridgov_scope_all() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('gridgov.scope', true), '') IN ('', 'all')
$$;
CREATE FUNCTION gridgov_scope_streets() RETURNS integer[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s LIKE 'streets:%' THEN string_to_array(substr(s, 9), ',')::integer[]
                ELSE '{}'::integer[] END
    FROM (SELECT coalesce(current_setting('gridgov.scope', true), '') AS s) AS setting
$$;
"""
_BY_STREET = "(SELECT gridgov_scope_all()) OR street_id = ANY ((SELECT gridgov_scope_streets())::integer[])"
_BY_TARGET = (
    "EXISTS (SELECT FROM inspection_target t WHERE t.id = target_id)"  # the target's own policy applies
)
_POLICIES = {"incident": _BY_STREET, "inspection_target": _BY_STREET, "inspection": _BY_TARGET}


_ROLE = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gridgov_web') THEN
        CREATE ROLE gridgov_web NOLOGIN NOSUPERUSER NOINHERIT;
    END IF;
END $$;
GRANT gridgov_web TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO gridgov_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gridgov_web;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gridgov_web;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gridgov_web;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO gridgov_web;
"""
_UNGRANT = """
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM gridgov_web;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM gridgov_web;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM gridgov_web;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM gridgov_web;
REVOKE USAGE ON SCHEMA public FROM gridgov_web;
"""  # the role itself is shared by every database of the server: it stays


def upgrade() -> None:
    op.execute(_ROLE)
    op.execute(_FUNCTIONS)
    for table, rule in _POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY street_scope ON {table} USING ({rule}) WITH CHECK ({rule})")


def downgrade() -> None:
    for table in _POLICIES:
        op.execute(f"DROP POLICY street_scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION gridgov_scope_streets(); DROP FUNCTION gridgov_scope_all()")
    op.execute(_UNGRANT)
