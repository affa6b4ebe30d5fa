"""incident indexes: fewer and partial, so bulk loads pay less per row.

Drops the single-column indexes on category, status and the hierarchy keys (hierarchy rows are
closed, never deleted; the monitor aggregates by time window, served by ix_incident_reported_at),
and makes the indexes on open incidents and on duplicate links partial.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = {
    "ix_incident_category": ["category"],
    "ix_incident_status": ["status"],
    "ix_incident_street_id": ["street_id"],
    "ix_incident_community_id": ["community_id"],
    "ix_incident_grid_id": ["grid_id"],
}


def upgrade() -> None:
    for name in _DROPPED:
        op.drop_index(name, table_name="incident")
    op.drop_index("ix_incident_duplicate_of", table_name="incident")
    op.create_index(
        "ix_incident_duplicate_of",
        "incident",
        ["duplicate_of"],
        postgresql_where=sa.text("duplicate_of IS NOT NULL"),
    )
    op.create_index(
        "ix_incident_open", "incident", ["deadline_at"], postgresql_where=sa.text("closed_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_incident_open", table_name="incident")
    op.drop_index("ix_incident_duplicate_of", table_name="incident")
    op.create_index("ix_incident_duplicate_of", "incident", ["duplicate_of"])
    for name, columns in _DROPPED.items():
        op.create_index(name, "incident", columns)
