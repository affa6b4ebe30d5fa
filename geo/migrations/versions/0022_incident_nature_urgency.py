"""incident.nature (诉求性质: consult 咨询, help 求助, complaint 投诉, report 举报, suggestion 建议)
and incident.urgency (紧急程度: normal 一般, urgent 紧急, critical 特急), keys of
``geo/natures.py``: 12345 deadline rules depend on them as well as on the category. Added to the
partitioned parent, nullable with no default (no rewrite); NULL where the source does not say.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("incident", sa.Column("nature", sa.Text))
    op.add_column("incident", sa.Column("urgency", sa.Text))


def downgrade() -> None:
    op.drop_column("incident", "urgency")
    op.drop_column("incident", "nature")
