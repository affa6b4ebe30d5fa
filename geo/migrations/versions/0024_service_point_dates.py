"""service_point.opened_on / closed_on: the days a point began and stopped serving (启用 / 停用日期),
so coverage can be read as of a date. A point serves on day d when it opened on or before d (or
no opening is known) and did not close on or before d. Nullable, no default (no rewrite).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("service_point", sa.Column("opened_on", sa.Date))
    op.add_column("service_point", sa.Column("closed_on", sa.Date))


def downgrade() -> None:
    op.drop_column("service_point", "closed_on")
    op.drop_column("service_point", "opened_on")
