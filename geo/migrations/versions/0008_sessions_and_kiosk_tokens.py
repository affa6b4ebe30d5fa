"""user_session (server-side login sessions, so logout and expiry end them for good) and
app_user.kiosk_token_hash (the SHA-256 of a wall screen's long-lived kiosk token).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("kiosk_token_hash", sa.Text(), nullable=True))
    op.create_unique_constraint(op.f("uq_app_user_kiosk_token_hash"), "app_user", ["kiosk_token_hash"])
    op.create_table(
        "user_session",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('password', 'kiosk')", name=op.f("ck_user_session_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_session")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("user_session")
    op.drop_constraint(op.f("uq_app_user_kiosk_token_hash"), "app_user", type_="unique")
    op.drop_column("app_user", "kiosk_token_hash")
