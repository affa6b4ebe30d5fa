"""Local accounts and the audit log, on the test cluster: the command line and the functions."""

import pytest
import sqlalchemy as sa

from geo import users
from geo.errors import InputError
from tests.sql import one
from tests.test_cli import gridgov


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
