"""Row-level security on every incident partition, as on the parent (migration 0010).

The parent's policies hold only for statements on the parent: ``gridgov_web`` could read a
partition (``incident__…``) directly and see every street's rows. Each existing partition
gets the same street-scope policy, enabled and forced; new ones get it when attached
(``geo/partitions.secure``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RULE = "(SELECT gridgov_scope_all()) OR street_id = ANY ((SELECT gridgov_scope_streets())::integer[])"
_PARTITIONS = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'incident'::regclass ORDER BY c.relname"""


def _partitions() -> list[str]:
    return [row[0] for row in op.get_bind().exec_driver_sql(_PARTITIONS)]


def upgrade() -> None:
    for name in _partitions():
        op.execute(f'ALTER TABLE "{name}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{name}" FORCE ROW LEVEL SECURITY')
        op.execute(f'DROP POLICY IF EXISTS street_scope ON "{name}"')
        op.execute(f'CREATE POLICY street_scope ON "{name}" USING ({_RULE}) WITH CHECK ({_RULE})')


def downgrade() -> None:
    for name in _partitions():
        op.execute(f'DROP POLICY IF EXISTS street_scope ON "{name}"')
        op.execute(f'ALTER TABLE "{name}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{name}" DISABLE ROW LEVEL SECURITY')
