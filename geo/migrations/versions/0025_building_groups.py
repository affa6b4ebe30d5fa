"""building.aged_60_plus / youth / working_age: the residents of the groups services serve (60岁
以上, 青年 14–35, 劳动年龄 16–59), where the district's survey has them (geo/populations.py).
Nullable, no default (no rewrite); never negative and never more than the residents.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
GROUPS = ("aged_60_plus", "youth", "working_age")


def upgrade() -> None:
    for group in GROUPS:
        op.add_column("building", sa.Column(group, sa.Integer))
        op.create_check_constraint(
            op.f(f"ck_building_{group}_range"),
            "building",
            f"{group} IS NULL OR {group} BETWEEN 0 AND residents",
        )


def downgrade() -> None:
    for group in reversed(GROUPS):
        op.drop_constraint(op.f(f"ck_building_{group}_range"), "building", type_="check")
        op.drop_column("building", group)
