"""Throttled requests of the intake API, counted per key (``geo/api_keys.py``).

- ``api_key.refused``: how many requests the key's bucket turned away (HTTP 429), shown by
  ``gridgov sources list`` beside the requests and items it let in.
- ``api_key.throttled_since``: when the current run of refusals began (NULL once a request is
  admitted again). The audit log gets one row when a run begins, not one per refusal: a client
  that keeps retrying too fast cannot flood the log, and the count stays exact.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_key", sa.Column("refused", sa.BigInteger, nullable=False, server_default=sa.text("0")))
    op.add_column("api_key", sa.Column("throttled_since", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("api_key", "throttled_since")
    op.drop_column("api_key", "refused")
