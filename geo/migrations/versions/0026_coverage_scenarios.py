"""coverage_scenario: a planner's named what-if for a service type (方案): the threshold, the points
added (lon/lat) and the points left out, saved to be loaded again and compared side by side. The
web role writes it (the coverage page saves and deletes scenarios; migration 0015 lists the rest).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coverage_scenario",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("threshold_m", sa.Float, nullable=False),
        sa.Column("added", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("removed", ARRAY(sa.Integer), nullable=False, server_default=sa.text("'{}'::integer[]")),
        sa.Column("saved_by", sa.Text),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_scenario")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_coverage_scenario_kind_name")),
    )
    op.execute("GRANT INSERT, UPDATE, DELETE ON coverage_scenario TO gridgov_web")


def downgrade() -> None:
    op.drop_table("coverage_scenario")
