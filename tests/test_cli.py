"""The `gridgov` command as a user runs it: real processes, real clusters, one-line errors."""

import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from geo import migrate
from tests.cli import assert_one_line_error, gridgov  # others import them from here too


def test_db_url_prints_the_embedded_cluster_url(settings, cluster):
    result = gridgov("db", "url", env={"GRIDGOV_DATA_DIR": str(settings.data_dir)})
    assert result.returncode == 0
    assert result.stdout.strip() == cluster.url
    assert result.stdout.startswith("postgresql+psycopg://gridgov@/gridgov?host=")


def test_db_url_uses_database_url_when_set():
    result = gridgov("db", "url", env={"DATABASE_URL": "postgresql://u:p@db.example:5433/gov"})
    assert result.stdout.strip() == "postgresql+psycopg://u:p@db.example:5433/gov"


@pytest.mark.parametrize(
    ("url", "needle"),
    [("mysql://x@y/z", "must point at PostgreSQL"), ("not a url", "not a database URL")],
)
def test_bad_database_url_is_one_clear_line(url, needle):
    assert_one_line_error(gridgov("db", "url", env={"DATABASE_URL": url}), needle)


def test_unreachable_database_is_one_clear_line():
    result = gridgov("db", "migrate", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert_one_line_error(result, "cannot reach the database")


def test_bad_setting_is_one_clear_line():
    assert_one_line_error(gridgov("db", "url", env={"GRIDGOV_WORKERS": "many"}), "GRIDGOV_WORKERS")


def test_c_ctype_database_is_refused(cluster):
    conninfo = f"host={cluster.socket_dir} port=5432 user=gridgov dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS c_ctype")
        conn.execute("CREATE DATABASE c_ctype TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    url = cluster.url.replace("/gridgov?", "/c_ctype?")
    assert_one_line_error(gridgov("db", "migrate", env={"DATABASE_URL": url}), "LC_CTYPE", "Chinese")


def test_status_migrate_and_demo_on_the_test_cluster(settings, demo):
    env = {"GRIDGOV_DATA_DIR": str(settings.data_dir)}
    status = gridgov("db", "status", env=env)
    assert (
        status.returncode == 0
        and "running" in status.stdout
        and f"schema revision: {migrate.head()}" in status.stdout
    )
    assert gridgov("db", "migrate", env=env).returncode == 0
    again = gridgov("demo", env=env)
    assert again.returncode == 0 and "already loaded" in again.stdout


def test_start_stop_start_a_fresh_cluster():
    """`gridgov db start` creates a cluster (UTF-8, PostGIS), is idempotent, and stops cleanly."""
    root = Path(tempfile.mkdtemp(prefix="gridgov-cli-", dir="/tmp"))
    root.chmod(0o755)
    env = {"GRIDGOV_DATA_DIR": str(root / "c")}
    stopped = False
    try:
        first = gridgov("db", "start", env=env)
        assert first.returncode == 0, first.stderr
        assert gridgov("db", "start", env=env).returncode == 0
        assert gridgov("db", "migrate", env=env).returncode == 0
        url = gridgov("db", "url", env=env).stdout.strip()
        sock = url.split("host=")[1].split("&")[0]
        with psycopg.connect(f"host={sock} port=5432 user=gridgov dbname=gridgov") as conn:
            ctype = conn.execute("SELECT datctype FROM pg_database WHERE datname = 'gridgov'").fetchone()[0]
            postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
            trgm = conn.execute("SELECT show_trgm('平城区')").fetchone()[0]
        assert ctype == "C.UTF-8" and postgis.startswith("3")
        assert len(trgm) > 0  # Chinese characters survive pg_trgm with a UTF-8 ctype
        stopped = gridgov("db", "stop", env=env).returncode == 0
        assert stopped
        assert gridgov("db", "status", env=env).returncode == 3
    finally:
        if not stopped:  # a failure on the way leaves no server running (one more process start)
            gridgov("db", "stop", env=env)
        subprocess.run(["rm", "-rf", str(root)], check=False)


def test_serve_on_a_port_in_use_is_one_clear_line(settings, demo):
    """The workers listen with SO_REUSEPORT; without the check a second server on the same port
    would share its connections with the first."""
    import socket

    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as another gridgov's workers
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = gridgov("serve", "--port", str(port), env={"GRIDGOV_DATA_DIR": str(settings.data_dir)})
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}", "--port")


def test_commands_on_a_database_without_the_schema_say_to_migrate(scratch_engine, tmp_path):
    """Every command that reads or writes gridgov's tables, on an empty database: one line that
    says what to run (it was a traceback for `users` and `sources`)."""
    env = {"DATABASE_URL": scratch_engine.url.render_as_string(hide_password=False)}
    ledger = tmp_path / "incidents.csv"
    ledger.write_text(
        "工单编号,诉求类型,受理时间,经度,纬度\nA1,噪音,2026-12-01 09:00,113.3,40.08\n", encoding="utf-8"
    )
    commands = (
        ("users", "list"), ("users", "add", "li", "--role", "admin"), ("sources", "list"), ("sources", "add", "x"),
        ("status",), ("ingest", "runs"), ("ingest", "incidents", str(ledger), "--crs", "wgs84"), ("sla", "apply"),
    )  # fmt: skip
    for command in commands:
        assert_one_line_error(gridgov(*command, env=env), "run `gridgov db migrate` first")
