"""The web app's own login role, and no password hashes for it.

- ``gridgov_app``: a LOGIN role that is neither superuser nor owner of anything, a member of
  ``gridgov_web`` (migration 0010), so it has exactly its privileges. The web app connects as
  it (``geo/db.web_database_url``): ``RESET ROLE`` in an injected statement leaves it where it
  was, held to every policy.
- ``gridgov_web`` writes only what the pages write: sessions, the audit log (append, and the
  count of a throttled entry), the login throttle and inspection visits; it reads no
  quarantined rows, and new tables (incident partitions) give it SELECT only.
- ``app_user``: ``gridgov_web`` may read every column but ``password_hash`` and write none.
  Passwords are checked through two ``SECURITY DEFINER`` functions (owner's rights, a fixed
  search_path): ``gridgov_password_hash(username)`` for the login form, and
  ``gridgov_rehash(id, old, new)``, which replaces a hash only if it is still the old one.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UP = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gridgov_app') THEN
        CREATE ROLE gridgov_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT;
    END IF;
END $$;
GRANT gridgov_web TO gridgov_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM gridgov_web;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE INSERT, UPDATE, DELETE ON TABLES FROM gridgov_web;
GRANT INSERT, UPDATE ON user_session, audit_log, inspection TO gridgov_web;
GRANT INSERT, UPDATE, DELETE ON login_throttle TO gridgov_web;
REVOKE ALL ON quarantine FROM gridgov_web;
REVOKE ALL ON app_user FROM gridgov_web;
GRANT SELECT (id, username, role, streets, disabled, created_at, kiosk_token_hash) ON app_user TO gridgov_web;
CREATE FUNCTION gridgov_password_hash(name text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT password_hash FROM app_user WHERE username = name
$$;
CREATE FUNCTION gridgov_rehash(user_id integer, old_hash text, new_hash text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    UPDATE app_user SET password_hash = new_hash WHERE id = user_id AND password_hash = old_hash
$$;
REVOKE ALL ON FUNCTION gridgov_password_hash(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION gridgov_rehash(integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridgov_password_hash(text) TO gridgov_web;
GRANT EXECUTE ON FUNCTION gridgov_rehash(integer, text, text) TO gridgov_web;
"""

_DOWN = """
DROP FUNCTION gridgov_rehash(integer, text, text);
DROP FUNCTION gridgov_password_hash(text);
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gridgov_web;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gridgov_web;
"""  # the login role is shared by every database of the server: it stays


def upgrade() -> None:
    op.execute(_UP)


def downgrade() -> None:
    op.execute(_DOWN)
