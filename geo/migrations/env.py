"""Alembic environment: the URL and connection come from gridgov, never from an ini file."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from geo import partitions
from geo.schema import Base

config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=partitions.include_object,
    render_item=alembic_helpers.render_item,
    process_revision_directives=alembic_helpers.writer,
    compare_type=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
