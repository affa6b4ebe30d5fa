"""Local accounts and the audit log, on the test cluster: the command line and the functions."""

import pytest
import sqlalchemy as sa

from geo import sessions, users
from geo.errors import InputError
from geo.settings import Settings
from tests.cli import gridgov
from tests.sql import one


def test_accounts_from_the_command_line(settings, demo):
    env = {"GRIDGOV_DATA_DIR": str(settings.data_dir)}
    code = one(demo, "SELECT code FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")
    added = gridgov("users", "add", "leader_cli", "--role", "street_leader", "--street", code, env=env)
    assert added.returncode == 0, added.stderr
    password = added.stdout.split("password (shown once): ")[1].strip()
    with demo.begin() as conn:
        assert users.verify(conn, "leader_cli", password).role == "street_leader"
        stored = conn.execute(
            sa.text("SELECT password_hash FROM app_user WHERE username = 'leader_cli'")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and password not in stored
    listed = gridgov("users", "list", env=env)
    assert "leader_cli" in listed.stdout and "street_leader" in listed.stdout
    assert gridgov("users", "set-role", "leader_cli", "planner", env=env).returncode == 0
    assert gridgov("users", "disable", "leader_cli", env=env).returncode == 0
    with demo.begin() as conn:
        assert users.verify(conn, "leader_cli", password) is None  # disabled
    bad = gridgov("users", "add", "x", "--role", "street_leader", env=env)
    assert (
        bad.returncode == 2 and "needs at least one --street" in bad.stderr and "Traceback" not in bad.stderr
    )


def test_passwords_are_checked_and_wrong_ones_refused(demo):
    with demo.connect() as conn:
        trans = conn.begin()
        users.add_user(
            conn, username="planner_1", role="planner", password="correct horse battery", streets=[]
        )
        assert users.verify(conn, "planner_1", "correct horse battery").role == "planner"
        assert users.verify(conn, "planner_1", "wrong password!") is None
        assert users.verify(conn, "nobody", "correct horse battery") is None
        for bad in ({"username": "planner_1"}, {"username": "a b"}, {"role": "god"}, {"password": "short"}):
            with pytest.raises(InputError):
                users.add_user(
                    conn,
                    **{
                        "username": "x1",
                        "role": "planner",
                        "password": "long enough pw",
                        "streets": [],
                        **bad,
                    },
                )
        trans.rollback()


def test_the_audit_log_is_append_only(demo):
    with demo.connect() as conn:
        trans = conn.begin()
        users.audit(conn, "admin", "export", {"what": "<script>"})
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            nested = conn.begin_nested()
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                conn.execute(sa.text(statement))
            nested.rollback()
        trans.rollback()


def test_the_first_admin_is_created_once(migrated_engine, tmp_path):
    env = {"DATABASE_URL": migrated_engine.url.render_as_string(hide_password=False)}
    first = gridgov("users", "first-admin", env=env)
    assert first.returncode == 0, first.stderr
    password = first.stdout.split("password (shown once): ")[1].strip()
    again = gridgov("users", "first-admin", env=env)
    assert again.returncode == 0 and again.stdout == ""
    with migrated_engine.begin() as conn:
        assert users.verify(conn, "admin", password).role == "admin"
        assert [u.username for u in users.users(conn) if u.role == "admin"] == ["admin"]
        assert one(migrated_engine, "SELECT count(*) FROM audit_log WHERE action = 'user.add'") == 1


def test_the_first_admin_password_can_come_from_a_setting(migrated_engine):
    env = {
        "DATABASE_URL": migrated_engine.url.render_as_string(hide_password=False),
        "GRIDGOV_ADMIN_PASSWORD": "from the environment",
    }
    result = gridgov("users", "first-admin", env=env)
    assert result.returncode == 0 and "from the environment" not in result.stdout
    with migrated_engine.begin() as conn:
        assert users.verify(conn, "admin", "from the environment") is not None


def test_kiosk_tokens_from_the_command_line(settings, demo):
    env = {"GRIDGOV_DATA_DIR": str(settings.data_dir)}
    assert gridgov("users", "add", "screen_cli", "--role", "wall_screen", env=env).returncode == 0
    result = gridgov("users", "token", "screen_cli", env=env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.splitlines()[1].strip()
    assert f"/kiosk?token={token}" in result.stdout
    with demo.begin() as conn:
        assert sessions.kiosk_user(conn, token).username == "screen_cli"
    refused = gridgov("users", "token", "leader_cli", env=env)
    assert refused.returncode == 2 and "wall screens only" in refused.stderr


def test_the_secret_key_is_made_once_private_and_shared(tmp_path):
    from dashboard.auth.secret import FILE_NAME, secret_key

    generated = Settings.from_env({"GRIDGOV_DATA_DIR": str(tmp_path)})
    key = secret_key(generated)
    assert len(key) >= 32 and secret_key(generated) == key
    assert (tmp_path / FILE_NAME).stat().st_mode & 0o777 == 0o600
    given = Settings.from_env({"GRIDGOV_DATA_DIR": str(tmp_path), "GRIDGOV_SECRET_KEY": "k" * 40})
    assert secret_key(given) == "k" * 40
