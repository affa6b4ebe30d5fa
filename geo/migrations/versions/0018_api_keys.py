"""api_key: one key per intake source (Open311 and the batch API), kept only as a hash.

- ``api_key``: the source a key writes, the SHA-256 of the key (a long random token, so a
  plain hash is enough: nothing to guess), when it was made, revoked and last used, how many
  requests and items it sent, and its throttle: a token bucket (``per_minute`` requests a
  minute, up to ``burst`` at once) whose state (``tokens`` at ``tokens_at``) the API updates
  under the key's advisory lock (``geo/api_keys.py``). One live key per source.
- The web pages' role (``gridgov_web``) may not read it: the API runs as the owner.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("items", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("per_minute", sa.Integer(), server_default=sa.text("120"), nullable=False),
        sa.Column("burst", sa.Integer(), server_default=sa.text("60"), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=True),
        sa.Column("tokens_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("per_minute > 0 AND burst > 0", name=op.f("ck_api_key_rate")),
        sa.CheckConstraint("source <> ''", name=op.f("ck_api_key_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    op.create_index(
        "uq_api_key_live_source",
        "api_key",
        ["source"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.execute("REVOKE ALL ON api_key FROM gridgov_web")


def downgrade() -> None:
    op.drop_index("uq_api_key_live_source", table_name="api_key")
    op.drop_table("api_key")
