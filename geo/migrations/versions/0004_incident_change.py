"""incident_change: a row per statement that changes incident, for readers that cache aggregates.

Statement-level triggers (INSERT, UPDATE, DELETE, TRUNCATE) append one row in the writer's own
transaction: a reader sees a higher ``max(id)`` exactly when it can see the changed rows, and
appending never blocks concurrent writers. Old rows are pruned as new ones arrive.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION = """
CREATE FUNCTION incident_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest bigint;
BEGIN
    INSERT INTO incident_change DEFAULT VALUES RETURNING id INTO newest;
    IF newest % 1000 = 0 THEN
        DELETE FROM incident_change WHERE id < newest - 1000;
    END IF;
    RETURN NULL;
END $$"""


def upgrade() -> None:
    op.create_table(
        "incident_change",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_change")),
    )
    op.execute(_FUNCTION)
    op.execute(
        "CREATE TRIGGER incident_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident "
        "FOR EACH STATEMENT EXECUTE FUNCTION incident_changed()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER incident_changed ON incident")
    op.execute("DROP FUNCTION incident_changed()")
    op.drop_table("incident_change")
