"""inspection.notes: what the inspector wrote, for visits recorded on the planning page.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inspection", sa.Column("notes", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("inspection", "notes")
