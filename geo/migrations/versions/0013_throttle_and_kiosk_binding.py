"""Login throttling per (username, address) with growing delays, kiosk sessions bound to the
token that opened them, and throttled attempts aggregated in the audit log.

- ``login_throttle``: one row per key (``account``: a username from an address; ``address``:
  every username from an address; ``kiosk``: kiosk tokens from an address) with its failures
  in the current window and the aggregated audit entry of its throttled attempts
  (``geo/login_throttle.py``).
- ``user_session.opened_with``: the SHA-256 of the kiosk token a kiosk session was opened with;
  a session whose token is no longer the account's is dead (``geo/sessions.py``).
- ``audit_log`` stays append-only, but for one thing: the ``count`` of a ``login.throttled``
  entry may grow (a row trigger checks that nothing else changes). DELETE and TRUNCATE are
  refused as before. An index on (action, id) serves ``/audit``'s filter by kind.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNT_ONLY = """
CREATE FUNCTION audit_log_count_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.action = 'login.throttled' AND NEW.action = OLD.action AND NEW.id = OLD.id
       AND NEW.at = OLD.at AND NEW.username IS NOT DISTINCT FROM OLD.username
       AND NEW.detail - 'count' = OLD.detail - 'count'
       AND (NEW.detail->>'count')::bigint > (OLD.detail->>'count')::bigint THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: UPDATE is not allowed (only a throttled entry''s count grows)';
END $$"""


def upgrade() -> None:
    op.add_column("user_session", sa.Column("opened_with", sa.Text(), nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("audit_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('account', 'address', 'kiosk')", name=op.f("ck_login_throttle_kind")),
        sa.PrimaryKeyConstraint("kind", "username", "address", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_last_at"), "login_throttle", ["last_at"], unique=False)
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"], unique=False)
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(_COUNT_ONLY)
    op.execute(
        "CREATE TRIGGER audit_log_count_only BEFORE UPDATE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_count_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_count_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_count_only()")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
    op.drop_table("login_throttle")
    op.drop_column("user_session", "opened_with")
