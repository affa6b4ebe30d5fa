"""initial schema: the district hierarchy, incidents, inspections, service points, roads, ingest.

Creates the extensions gridgov needs (postgis, pg_trgm, pgrouting) if missing; the downgrade
leaves them, since other databases' objects may use them.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:33:15.082732
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for extension in ("postgis", "pg_trgm", "pgrouting"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.create_geospatial_table(
        "district",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("code ~ '^[0-9]{6}$'", name=op.f("ck_district_code_digits")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_district_valid_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district")),
    )
    op.create_geospatial_index(
        "idx_district_geom", "district", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(
        "uq_district_current_code",
        "district",
        ["code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_table(
        "ingest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Text(), server_default="running", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("n_inserted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("n_updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("n_unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("n_quarantined", sa.Integer(), server_default="0", nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_run")),
    )
    op.create_geospatial_table(
        "road_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("source_node", sa.BigInteger(), nullable=False),
        sa.Column("target_node", sa.BigInteger(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_segment")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_road_segment_source_source_id")),
    )
    op.create_geospatial_index(
        "idx_road_segment_geom",
        "road_segment",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_road_segment_source_node"), "road_segment", ["source_node"], unique=False)
    op.create_index(op.f("ix_road_segment_target_node"), "road_segment", ["target_node"], unique=False)
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("raw", postgresql.JSON(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_run.id"], name=op.f("fk_quarantine_run_id_ingest_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_index(op.f("ix_quarantine_run_id"), "quarantine", ["run_id"], unique=False)
    op.create_geospatial_table(
        "street",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_street_code_digits")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_street_valid_range")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_street_district_id_district")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street")),
    )
    op.create_geospatial_index(
        "idx_street_geom", "street", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_street_district_id"), "street", ["district_id"], unique=False)
    op.create_index(
        "uq_street_current_code",
        "street",
        ["code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_geospatial_table(
        "community",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=9), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_community_code_digits")),
        sa.CheckConstraint("kind IN ('community', 'village')", name=op.f("ck_community_kind")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_community_valid_range")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["street.id"], name=op.f("fk_community_street_id_street")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
    )
    op.create_geospatial_index(
        "idx_community_geom", "community", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_community_street_id"), "community", ["street_id"], unique=False)
    op.create_index(
        "uq_community_current_code",
        "community",
        ["code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_geospatial_table(
        "grid",
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("worker_name", sa.Text(), nullable=True),
        sa.Column("worker_phone", sa.Text(), nullable=True),
        sa.Column("households", sa.Integer(), server_default="0", nullable=False),
        sa.Column("residents", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("code ~ '^[0-9]{15}$'", name=op.f("ck_grid_code_digits")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_grid_valid_range")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_grid_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid")),
    )
    op.create_geospatial_index(
        "idx_grid_geom", "grid", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_grid_community_id"), "grid", ["community_id"], unique=False)
    op.create_index(
        "uq_grid_current_code", "grid", ["code"], unique=True, postgresql_where=sa.text("valid_to IS NULL")
    )
    op.create_geospatial_table(
        "service_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("opening_hours", sa.Text(), nullable=True),
        sa.Column("staff", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_service_point_community_id_community")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["street.id"], name=op.f("fk_service_point_street_id_street")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_point")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_service_point_source_source_id")),
    )
    op.create_geospatial_index(
        "idx_service_point_geom",
        "service_point",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_service_point_community_id"), "service_point", ["community_id"], unique=False)
    op.create_index(op.f("ix_service_point_kind"), "service_point", ["kind"], unique=False)
    op.create_index(op.f("ix_service_point_street_id"), "service_point", ["street_id"], unique=False)
    op.create_geospatial_table(
        "building",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("compound", sa.Text(), nullable=True),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("floors", sa.Integer(), server_default="1", nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_building_community_id_community")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], name=op.f("fk_building_grid_id_grid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_building_source_source_id")),
    )
    op.create_geospatial_index(
        "idx_building_geom", "building", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_building_community_id"), "building", ["community_id"], unique=False)
    op.create_index(op.f("ix_building_grid_id"), "building", ["grid_id"], unique=False)
    op.create_geospatial_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reporter_phone", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rework_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Text(),
            sa.Computed(
                "CASE WHEN closed_at IS NOT NULL THEN 'closed' WHEN verified_at IS NOT NULL THEN 'verified' WHEN handled_at IS NOT NULL THEN 'handled' WHEN dispatched_at IS NOT NULL THEN 'dispatched' WHEN registered_at IS NOT NULL THEN 'registered' ELSE 'reported' END",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("raw_address", sa.Text(), nullable=True),
        sa.Column("raw_x", sa.Float(), nullable=True),
        sa.Column("raw_y", sa.Float(), nullable=True),
        sa.Column("raw_crs", sa.Text(), nullable=True),
        sa.Column("match_level", sa.Text(), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_incident_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["incident.id"],
            name=op.f("fk_incident_duplicate_of_incident"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], name=op.f("fk_incident_grid_id_grid")),
        sa.ForeignKeyConstraint(["street_id"], ["street.id"], name=op.f("fk_incident_street_id_street")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_incident_source_source_id")),
    )
    op.create_geospatial_index(
        "idx_incident_geom", "incident", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_incident_category"), "incident", ["category"], unique=False)
    op.create_index(op.f("ix_incident_community_id"), "incident", ["community_id"], unique=False)
    op.create_index(op.f("ix_incident_duplicate_of"), "incident", ["duplicate_of"], unique=False)
    op.create_index(op.f("ix_incident_grid_id"), "incident", ["grid_id"], unique=False)
    op.create_index("ix_incident_reported_at", "incident", ["reported_at"], unique=False)
    op.create_index("ix_incident_status", "incident", ["status"], unique=False)
    op.create_index(op.f("ix_incident_street_id"), "incident", ["street_id"], unique=False)
    op.create_geospatial_table(
        "inspection_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("risk_level", sa.Integer(), server_default="1", nullable=False),
        sa.Column("interval_days", sa.Integer(), server_default="30", nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_inspection_target_community_id_community")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], name=op.f("fk_inspection_target_grid_id_grid")),
        sa.ForeignKeyConstraint(
            ["street_id"], ["street.id"], name=op.f("fk_inspection_target_street_id_street")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_target")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_inspection_target_source_source_id")),
    )
    op.create_geospatial_index(
        "idx_inspection_target_geom",
        "inspection_target",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_inspection_target_community_id"), "inspection_target", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_inspection_target_grid_id"), "inspection_target", ["grid_id"], unique=False)
    op.create_index(op.f("ix_inspection_target_kind"), "inspection_target", ["kind"], unique=False)
    op.create_index(op.f("ix_inspection_target_street_id"), "inspection_target", ["street_id"], unique=False)
    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inspector", sa.Text(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column(
            "findings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("rectify_deadline", sa.Date(), nullable=True),
        sa.Column("rectified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["target_id"], ["inspection_target.id"], name=op.f("fk_inspection_target_id_inspection_target")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_inspection_source_source_id")),
    )
    op.create_index(op.f("ix_inspection_inspected_at"), "inspection", ["inspected_at"], unique=False)
    op.create_index(op.f("ix_inspection_target_id"), "inspection", ["target_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inspection_target_id"), table_name="inspection")
    op.drop_index(op.f("ix_inspection_inspected_at"), table_name="inspection")
    op.drop_table("inspection")
    op.drop_index(op.f("ix_inspection_target_street_id"), table_name="inspection_target")
    op.drop_index(op.f("ix_inspection_target_kind"), table_name="inspection_target")
    op.drop_index(op.f("ix_inspection_target_grid_id"), table_name="inspection_target")
    op.drop_index(op.f("ix_inspection_target_community_id"), table_name="inspection_target")
    op.drop_geospatial_index(
        "idx_inspection_target_geom",
        table_name="inspection_target",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("inspection_target")
    op.drop_index(op.f("ix_incident_street_id"), table_name="incident")
    op.drop_index("ix_incident_status", table_name="incident")
    op.drop_index("ix_incident_reported_at", table_name="incident")
    op.drop_index(op.f("ix_incident_grid_id"), table_name="incident")
    op.drop_index(op.f("ix_incident_duplicate_of"), table_name="incident")
    op.drop_index(op.f("ix_incident_community_id"), table_name="incident")
    op.drop_index(op.f("ix_incident_category"), table_name="incident")
    op.drop_geospatial_index(
        "idx_incident_geom", table_name="incident", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("incident")
    op.drop_index(op.f("ix_building_grid_id"), table_name="building")
    op.drop_index(op.f("ix_building_community_id"), table_name="building")
    op.drop_geospatial_index(
        "idx_building_geom", table_name="building", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("building")
    op.drop_index(op.f("ix_service_point_street_id"), table_name="service_point")
    op.drop_index(op.f("ix_service_point_kind"), table_name="service_point")
    op.drop_index(op.f("ix_service_point_community_id"), table_name="service_point")
    op.drop_geospatial_index(
        "idx_service_point_geom", table_name="service_point", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("service_point")
    op.drop_index("uq_grid_current_code", table_name="grid", postgresql_where=sa.text("valid_to IS NULL"))
    op.drop_index(op.f("ix_grid_community_id"), table_name="grid")
    op.drop_geospatial_index("idx_grid_geom", table_name="grid", postgresql_using="gist", column_name="geom")
    op.drop_geospatial_table("grid")
    op.drop_index(
        "uq_community_current_code", table_name="community", postgresql_where=sa.text("valid_to IS NULL")
    )
    op.drop_index(op.f("ix_community_street_id"), table_name="community")
    op.drop_geospatial_index(
        "idx_community_geom", table_name="community", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("community")
    op.drop_index("uq_street_current_code", table_name="street", postgresql_where=sa.text("valid_to IS NULL"))
    op.drop_index(op.f("ix_street_district_id"), table_name="street")
    op.drop_geospatial_index(
        "idx_street_geom", table_name="street", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("street")
    op.drop_index(op.f("ix_quarantine_run_id"), table_name="quarantine")
    op.drop_table("quarantine")
    op.drop_index(op.f("ix_road_segment_target_node"), table_name="road_segment")
    op.drop_index(op.f("ix_road_segment_source_node"), table_name="road_segment")
    op.drop_geospatial_index(
        "idx_road_segment_geom", table_name="road_segment", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road_segment")
    op.drop_table("ingest_run")
    op.drop_index(
        "uq_district_current_code", table_name="district", postgresql_where=sa.text("valid_to IS NULL")
    )
    op.drop_geospatial_index(
        "idx_district_geom", table_name="district", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("district")
