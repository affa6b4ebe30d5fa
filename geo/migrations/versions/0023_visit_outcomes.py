"""Visit outcomes as street teams record them, and sites closed down.

- ``inspection.outcome``: passed 合格, hazard 发现隐患, rectify 责令整改, fixed 当场整改, closed
  取缔/关停, referred 移交执法 (``layers/visits.py``). Earlier rows become passed or hazard, from
  ``passed``, which stays (true only for passed).
- ``inspection_target.closed_at``: when a visit closed the site down (取缔 / 关停); a closed site
  leaves the planning register and the rounds.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 00:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inspection", sa.Column("outcome", sa.Text))
    op.execute("UPDATE inspection SET outcome = CASE WHEN passed THEN 'passed' ELSE 'hazard' END")
    op.alter_column("inspection", "outcome", nullable=False, server_default="passed")
    op.add_column("inspection_target", sa.Column("closed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("inspection_target", "closed_at")
    op.drop_column("inspection", "outcome")
