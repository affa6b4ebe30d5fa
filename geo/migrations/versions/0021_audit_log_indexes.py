"""An index for reading the audit log a page at a time by account (``layers/audit.py``), in id
order, as 0013's ``(action, id)`` serves a page of one kind: a filtered page is an index range
scan, and the list of accounts a loose index scan rather than a read of the whole log.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_username_id", "audit_log", ["username", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_username_id", table_name="audit_log")
