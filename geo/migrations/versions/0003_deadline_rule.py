"""incident.deadline_rule: which SLA rule set the deadline (NULL: the source gave it).

``gridgov sla apply`` recomputes the deadlines that have a rule after the district edits its
settings file, and leaves the ones the source gave alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("incident", sa.Column("deadline_rule", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("incident", "deadline_rule")
