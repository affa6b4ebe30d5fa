"""Indexes for finding one case (layers/case_search.py): address text and building address.

- ``ix_incident_raw_address_trgm``: pg_trgm GIN on the reported address, so ``ILIKE '%text%'``
  of three or more characters is an index lookup. Measured on 1M incidents (half with an
  address, 2 shared cores): a search that finds little took 250 ms (``LIKE``) to 800 ms
  (``ILIKE``) as a parallel scan of the table, holding both cores; with the index, 1-7 ms.
  What it costs: building it takes ~7 s per 500k addresses (a feed's first load builds it
  when its partition is attached, ``geo/partitions.py``), ~31 MB per 500k addresses, and
  about 10 µs per inserted row with an address. Live intake's few rows a second do not feel
  it; a first load of 1M rows pays ~10-15 s more.
- ``ix_incident_grid``: incidents by grid, so the incidents inside the buildings whose address
  matches are found through their buildings' grids (incidents have no spatial index, and
  migration 0002 dropped this index for bulk loads' sake): a case is found by the address of
  the building it lies in, however its own address was written, or when it was placed by
  coordinates alone. A btree of integers: ~1.2 s to build per 1M incidents, little per row;
  a building search on 1M incidents takes 90 ms instead of 560 ms.
- ``ix_building_address_trgm``: pg_trgm GIN on building addresses (tens of thousands of rows).

The database's ctype must be UTF-8 for pg_trgm to keep Chinese characters (checked at
start-up, ``geo/db.py``).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_incident_raw_address_trgm",
        "incident",
        ["raw_address"],
        postgresql_using="gin",
        postgresql_ops={"raw_address": "gin_trgm_ops"},
        postgresql_where=sa.text("raw_address IS NOT NULL"),
    )
    op.create_index("ix_incident_grid", "incident", ["grid_id"])
    op.create_index(
        "ix_building_address_trgm",
        "building",
        ["address"],
        postgresql_using="gin",
        postgresql_ops={"address": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_building_address_trgm", table_name="building")
    op.drop_index("ix_incident_grid", table_name="incident")
    op.drop_index("ix_incident_raw_address_trgm", table_name="incident")
