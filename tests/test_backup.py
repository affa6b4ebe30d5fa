"""`gridgov db dump|restore`: a round trip of the demo district into a fresh database is exact."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from geo import backup
from geo.errors import BackupError
from tests.cli import assert_one_line_error, gridgov
from tests.databases import demo_copy
from tests.sql import all_rows

# every table of schema public, partitioned ones through their parent (partitions are data, and
# a policy on the parent, such as row-level security, applies there)
_TABLES = """
SELECT format('%I', t.tablename) FROM pg_tables t
JOIN pg_class c ON c.oid = format('%I.%I', t.schemaname, t.tablename)::regclass
WHERE t.schemaname = 'public' AND NOT c.relispartition ORDER BY 1
"""


def digests(engine) -> dict[str, tuple[int, str]]:
    """Each table's row count and the md5 of its rows as text, in text order."""
    out = {}
    with engine.connect() as conn:
        for name in conn.execute(sa.text(_TABLES)).scalars():
            row = conn.execute(
                sa.text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {name} t"
                )
            ).one()
            out[name] = (int(row[0]), str(row[1]))
    return out


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def archive(demo, settings, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("backup") / "demo.dump"
    result = gridgov("db", "dump", str(path), env={"GRIDGOV_DATA_DIR": str(settings.data_dir)})
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and path.stat().st_size > 1_000_000
    assert not path.with_name("demo.dump.partial").exists()
    return path


@pytest.fixture(scope="module")
def archived(demo, archive) -> dict[str, tuple[int, str]]:
    """What the archive holds: the demo's digests, taken right after the dump."""
    return digests(demo)


@pytest.fixture
def holding_tables(cluster, demo_template):
    """A database that already holds tables and rows: a copy of the demo as loaded."""
    with demo_copy(cluster, demo_template) as engine:
        yield engine


def test_round_trip_into_a_fresh_database_is_exact(archive, archived, scratch_engine):
    restored = gridgov("db", "restore", str(archive), env={"DATABASE_URL": url_of(scratch_engine)})
    assert restored.returncode == 0, restored.stderr
    assert "schema revision" in restored.stdout and "db migrate" not in restored.stdout
    before, after = archived, digests(scratch_engine)
    assert {"incident", "building", "grid", "ingest_run", "spatial_ref_sys"} <= set(before)
    assert before["incident"][0] > 10_000
    assert after == before
    postgis = all_rows(scratch_engine, "SELECT extname FROM pg_extension ORDER BY 1")
    assert {"pg_trgm", "pgrouting", "postgis"} <= {r[0] for r in postgis}


def test_a_database_with_tables_is_refused_unless_clean(archive, archived, holding_tables):
    scratch_engine = holding_tables
    env = {"DATABASE_URL": url_of(scratch_engine)}
    with scratch_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ingest_run"))
    assert_one_line_error(gridgov("db", "restore", str(archive), env=env), "not empty", "--clean")
    assert all_rows(scratch_engine, "SELECT count(*) FROM ingest_run")[0][0] == 0  # untouched
    damaged = archive.with_name("damaged.dump")
    damaged.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    failed = gridgov("db", "restore", str(damaged), "--clean", env=env)
    assert_one_line_error(failed, "failed, the database is unchanged")
    assert all_rows(scratch_engine, "SELECT count(*) FROM ingest_run")[0][0] == 0  # rolled back
    again = gridgov("db", "restore", str(archive), "--clean", env=env)
    assert again.returncode == 0, again.stderr
    assert digests(scratch_engine) == archived


def test_a_file_that_is_not_an_archive_is_refused(scratch_engine, tmp_path):
    bogus = tmp_path / "notes.dump"
    bogus.write_text("hello", encoding="utf-8")
    env = {"DATABASE_URL": url_of(scratch_engine)}
    assert_one_line_error(
        gridgov("db", "restore", str(bogus), env=env), "not a pg_dump custom-format archive"
    )
    assert_one_line_error(gridgov("db", "restore", str(tmp_path / "none.dump"), env=env), "does not exist")
    with pytest.raises(BackupError, match="is a directory"):
        backup.dump(url_of(scratch_engine), tmp_path, bindir=backup.client_bindir(None))


def test_a_failed_dump_leaves_no_file(tmp_path):
    target = tmp_path / "x.dump"
    url = "postgresql://nobody:secret@127.0.0.1:1/none"
    with pytest.raises(BackupError, match="pg_dump failed"):
        backup.dump(url, target, bindir=backup.client_bindir(None))
    assert list(tmp_path.iterdir()) == []


def test_the_password_travels_in_the_environment_not_the_command_line():
    client = backup.connection("postgresql+psycopg://gov:s3cr%40t@db.example:5433/gridgov?sslmode=require")
    assert "s3cr" not in client.conninfo
    assert client.env["PGPASSWORD"] == "s3cr@t"
    for part in ("host=db.example", "port=5433", "user=gov", "dbname=gridgov", "sslmode=require"):
        assert part in client.conninfo
    socket = backup.connection("postgresql+psycopg://gridgov@/gridgov?host=/tmp/run&port=5432")
    assert "host=/tmp/run" in socket.conninfo and "PGPASSWORD" not in socket.env
