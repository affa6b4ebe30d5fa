"""quarantine.reason_kind and reason_value: a reason without its value, and the value apart.

`gridgov ingest report` groups by the kind (one line for 50 unreadable dates, not 50) and
shows a few values; ``reason`` keeps the whole text. Earlier rows get the kind by the rule
for values quoted 「…」 (see ingest/reasons.py); a reason without one is its own kind.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("quarantine", sa.Column("reason_kind", sa.Text(), nullable=True))
    op.add_column("quarantine", sa.Column("reason_value", sa.Text(), nullable=True))
    op.execute(
        "UPDATE quarantine SET reason_kind = regexp_replace(reason, '「.*」', '「…」'), "
        "reason_value = substring(reason FROM '「(.*)」')"
    )


def downgrade() -> None:
    op.drop_column("quarantine", "reason_value")
    op.drop_column("quarantine", "reason_kind")
