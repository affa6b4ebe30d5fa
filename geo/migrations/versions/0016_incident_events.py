"""incident_event: each case's lifecycle as its source reports it; the state derived on incident.

- ``incident_event``: one row per step (registered, signed 签收, dispatched 派遣 with the
  department 承办单位, handled 办结, callback 回访 with satisfaction and resolved, reopened 重办,
  extended 延期 with a new deadline, suspended 挂起, resumed 恢复, closed 结案), unique on
  (incident_source, ticket, kind, at): a resent event is unchanged. No foreign key onto the
  partitioned ``incident`` (written by the events ingest only, which checks the ticket).
- Row-level security as on ``inspection`` (migration 0010): an event is visible when its
  incident is, so a street leader's timeline shows only their streets' cases. ``gridgov_web``
  may read it and writes nothing (migration 0015).
- ``incident`` gains the derived columns signed_at, department, satisfaction, resolved,
  suspended_at and deadline_base (the deadline before 延期/挂起 moved it). They are added to the
  partitioned parent, so every partition gets them; nullable with no default, so no rewrite.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    "'registered', 'signed', 'dispatched', 'suspended', 'resumed', 'extended', 'handled', "
    "'callback', 'reopened', 'closed'"
)
_BY_INCIDENT = (  # the incident's own policy applies inside the subquery
    "EXISTS (SELECT FROM incident i WHERE i.id = incident_id AND i.source = incident_source)"
)
_DERIVED = (
    ("signed_at", sa.DateTime(timezone=True)),
    ("department", sa.Text()),
    ("satisfaction", sa.Text()),
    ("resolved", sa.Boolean()),
    ("suspended_at", sa.DateTime(timezone=True)),
    ("deadline_base", sa.DateTime(timezone=True)),
)


def _create_table() -> None:
    op.create_table(
        "incident_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("incident_source", sa.Text(), nullable=False),
        sa.Column("ticket", sa.Text(collation="C"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.Text(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN ({_KINDS})", name=op.f("ck_incident_event_kind")),
        sa.CheckConstraint(
            "satisfaction IN ('satisfied', 'basic', 'dissatisfied')",
            name=op.f("ck_incident_event_satisfaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_event")),
        sa.UniqueConstraint(
            "incident_source",
            "ticket",
            "kind",
            "at",
            name=op.f("uq_incident_event_incident_source_ticket_kind_at"),
        ),
    )
    op.create_index("ix_incident_event_incident_id", "incident_event", ["incident_id"])


def upgrade() -> None:
    _create_table()
    op.execute("ALTER TABLE incident_event ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE incident_event FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY incident_scope ON incident_event USING ({_BY_INCIDENT}) WITH CHECK ({_BY_INCIDENT})"
    )
    op.execute("REVOKE ALL ON incident_event FROM gridgov_web")
    op.execute("GRANT SELECT ON incident_event TO gridgov_web")
    for name, type_ in _DERIVED:
        op.add_column("incident", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(_DERIVED):
        op.drop_column("incident", name)
    op.drop_table("incident_event")
