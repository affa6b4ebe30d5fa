"""incident partitioned by source (LIST), without the GiST index on its points.

A new feed's first load then goes into a table of its own with no indexes, and attaching it
builds them in one sorted pass (see geo/partitions.py). The primary key becomes (id, source),
as PostgreSQL requires the partition key in unique keys; ids still come from one sequence.
``duplicate_of`` loses its foreign key for the same reason (links are written only by ingest).
No query looks incidents up by area: they carry their street, community and grid ids, so the
GiST index, the costliest one to build, goes. Existing rows move into one partition per source.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "id, source, source_id, category, description, reporter_phone, reported_at, registered_at, "
    "dispatched_at, handled_at, verified_at, closed_at, deadline_at, deadline_rule, rework_count, "
    "raw_address, raw_x, raw_y, raw_crs, match_level, match_score, street_id, community_id, grid_id, "
    "duplicate_of, geom"
)
_INDEXES = """
CREATE INDEX ix_incident_reported_at ON incident (reported_at);
CREATE INDEX ix_incident_open ON incident (deadline_at) WHERE closed_at IS NULL;
CREATE INDEX ix_incident_duplicate_of ON incident (duplicate_of) WHERE duplicate_of IS NOT NULL;
"""
_FOREIGN_KEYS = """
ALTER TABLE incident
  ADD CONSTRAINT fk_incident_street_id_street FOREIGN KEY (street_id) REFERENCES street (id),
  ADD CONSTRAINT fk_incident_community_id_community FOREIGN KEY (community_id) REFERENCES community (id),
  ADD CONSTRAINT fk_incident_grid_id_grid FOREIGN KEY (grid_id) REFERENCES grid (id);
"""
_TRIGGER = (
    "CREATE TRIGGER incident_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident "
    "FOR EACH STATEMENT EXECUTE FUNCTION incident_changed()"
)
# one partition per source already present, named as geo/partitions.py names them
_PARTITIONS = """
DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT DISTINCT source FROM incident_old LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF incident FOR VALUES IN (%L)',
                   'incident__' || left(encode(sha256(convert_to(s, 'UTF8')), 'hex'), 16), s);
  END LOOP;
END $$
"""


def _set_aside() -> None:
    """Rename the table away and free the names of its constraints and indexes."""
    op.execute("DROP TRIGGER incident_changed ON incident")
    op.execute("ALTER TABLE incident RENAME TO incident_old")
    op.execute(
        "ALTER TABLE incident_old DROP CONSTRAINT IF EXISTS fk_incident_duplicate_of_incident, "
        "DROP CONSTRAINT fk_incident_street_id_street, DROP CONSTRAINT fk_incident_community_id_community, "
        "DROP CONSTRAINT fk_incident_grid_id_grid, DROP CONSTRAINT uq_incident_source_source_id, "
        "DROP CONSTRAINT pk_incident"
    )
    for index in ("ix_incident_reported_at", "ix_incident_open", "ix_incident_duplicate_of"):
        op.execute(f"DROP INDEX {index}")
    op.execute("DROP INDEX IF EXISTS idx_incident_geom")


def _move_in() -> None:
    op.execute(f"INSERT INTO incident ({_COLUMNS}) SELECT {_COLUMNS} FROM incident_old")  # noqa: S608 (constants)
    op.execute("ALTER SEQUENCE incident_id_seq OWNED BY incident.id")
    op.execute("DROP TABLE incident_old")
    op.execute(_TRIGGER)


def upgrade() -> None:
    _set_aside()
    op.execute(
        "CREATE TABLE incident (LIKE incident_old INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY LIST (source)"
    )
    op.execute("ALTER TABLE incident ADD CONSTRAINT pk_incident PRIMARY KEY (id, source)")
    op.execute("ALTER TABLE incident ADD CONSTRAINT uq_incident_source_source_id UNIQUE (source, source_id)")
    op.execute(_FOREIGN_KEYS + _INDEXES)
    op.execute(_PARTITIONS)
    _move_in()


def downgrade() -> None:
    _set_aside()
    op.execute("CREATE TABLE incident (LIKE incident_old INCLUDING DEFAULTS INCLUDING GENERATED)")
    op.execute("ALTER TABLE incident ADD CONSTRAINT pk_incident PRIMARY KEY (id)")
    op.execute("ALTER TABLE incident ADD CONSTRAINT uq_incident_source_source_id UNIQUE (source, source_id)")
    op.execute(_FOREIGN_KEYS + _INDEXES)
    op.execute(
        "ALTER TABLE incident ADD CONSTRAINT fk_incident_duplicate_of_incident FOREIGN KEY (duplicate_of) "
        "REFERENCES incident (id) ON DELETE SET NULL"
    )
    op.execute("CREATE INDEX idx_incident_geom ON incident USING gist (geom)")
    _move_in()
