"""Alembic migrations on a real PostGIS: up, down, up again, and autogenerate finds nothing."""

import sqlalchemy as sa

from geo import migrate
from geo.schema import Base

TABLES = {
    "district",
    "street",
    "community",
    "grid",
    "building",
    "incident",
    "incident_event",
    "inspection_target",
    "inspection",
    "service_point",
    "road_segment",
    "ingest_run",
    "quarantine",
}


def _tables(engine):
    with engine.connect() as conn:
        return set(
            conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        )


def test_upgrade_creates_every_table_and_extension(scratch_engine):
    migrate.upgrade(scratch_engine)
    assert _tables(scratch_engine) >= TABLES
    assert migrate.current(scratch_engine) == migrate.head()
    with scratch_engine.connect() as conn:
        ext = set(conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
    assert {"postgis", "pg_trgm", "pgrouting"} <= ext


def test_autogenerate_after_upgrade_is_empty(scratch_engine):
    migrate.upgrade(scratch_engine)
    assert migrate.pending_changes(scratch_engine) == []


def test_downgrade_removes_everything_and_upgrade_again_works(scratch_engine):
    migrate.upgrade(scratch_engine)
    migrate.downgrade(scratch_engine)
    assert not (TABLES & _tables(scratch_engine))
    assert "spatial_ref_sys" in _tables(scratch_engine)  # PostGIS's own table is left alone
    migrate.upgrade(scratch_engine)
    assert _tables(scratch_engine) >= TABLES


def test_every_geometry_is_wgs84_with_a_gist_index_but_incidents(scratch_engine):
    """Incidents are aggregated by unit id, never looked up by area (migration 0005)."""
    migrate.upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        cols = conn.execute(sa.text("SELECT f_table_name, srid FROM geometry_columns")).all()
        gist = set(
            conn.execute(
                sa.text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")
            ).scalars()
        )
    geometry_tables = {t.name for t in Base.metadata.sorted_tables if "geom" in t.c}
    assert {t for t, _ in cols} == geometry_tables
    assert {srid for _, srid in cols} == {4326}
    assert gist == geometry_tables - {"incident"}


def test_one_current_row_per_code(scratch_engine):
    """A redrawn boundary closes the old row (valid_to) rather than adding a second current one."""
    migrate.upgrade(scratch_engine)
    poly = "SRID=4326;MULTIPOLYGON(((113 40,113.1 40,113.1 40.1,113 40)))"
    insert = sa.text(
        "INSERT INTO district (code, name, valid_from, valid_to, geom) VALUES (:c, 'x', :f, :t, :g)"
    )
    with scratch_engine.begin() as conn:
        conn.execute(insert, {"c": "140213", "f": "2020-01-01", "t": "2023-01-01", "g": poly})
        conn.execute(insert, {"c": "140213", "f": "2023-01-01", "t": None, "g": poly})
    try:
        with scratch_engine.begin() as conn:
            conn.execute(insert, {"c": "140213", "f": "2024-01-01", "t": None, "g": poly})
    except sa.exc.IntegrityError as exc:
        assert "uq_district_current_code" in str(exc)
    else:
        raise AssertionError("a second current row for one code was accepted")
