"""Local accounts: roles, the streets a street leader is bound to, Argon2id password hashes, and
the append-only audit log.

Roles: ``admin`` (everything), ``street_leader`` (their streets' incidents, targets, plans and
coverage), ``planner`` (coverage and aggregates, no personal data), ``wall_screen`` (the
read-only monitor). Passwords are hashed with argon2-cffi's defaults (Argon2id); a hash made
with older parameters is replaced at the next successful login.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from geo.errors import InputError

ROLES = {
    "admin": "区级管理员 district admin: everything",
    "street_leader": "街道负责人 street leader: their own streets",
    "planner": "规划人员 planner: coverage and aggregates, no personal data",
    "wall_screen": "大屏 wall screen: the read-only monitor",
}
_HASHER = PasswordHasher()  # immutable settings: safe to share


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    streets: tuple[str, ...]  # street codes
    disabled: bool


def new_password() -> str:
    """A random password to print once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def _check(username: str, role: str, password: str | None = None) -> None:
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise InputError("a username is 1–64 letters, digits, '.' or '_'")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if password is not None and len(password) < 10:
        raise InputError("a password needs at least 10 characters")


def street_codes(conn: Connection, codes: list[str]) -> list[str]:
    """The given street codes, checked against the current streets (a clear error for unknown ones)."""
    query = sa.text("SELECT code FROM street WHERE valid_to IS NULL AND code = ANY(:c)")
    known = set(conn.execute(query, {"c": codes}).scalars())
    unknown = [c for c in codes if c not in known]
    if unknown:
        some = conn.execute(
            sa.text("SELECT code || ' ' || name FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 3")
        )
        examples = (
            "; ".join(some.scalars()) or "none loaded yet: gridgov ingest boundaries FILE --level street"
        )
        raise InputError(
            f"unknown street codes {unknown}: give current 12-digit street codes (e.g. {examples})"
        )
    return list(dict.fromkeys(codes))


def add_user(conn: Connection, *, username: str, role: str, password: str, streets: list[str]) -> int:
    _check(username, role, password)
    if role == "street_leader" and not streets:
        raise InputError("a street leader needs at least one --street")
    if conn.execute(sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": username}).first():
        raise InputError(f"user {username!r} exists already")
    params = {"u": username, "h": _HASHER.hash(password), "r": role, "s": streets}
    user_id = conn.execute(
        sa.text(
            "INSERT INTO app_user (username, password_hash, role, streets) VALUES (:u, :h, :r, :s) RETURNING id"
        ),
        params,
    ).scalar_one()
    audit(conn, None, "user.add", {"username": username, "role": role, "streets": streets})
    return int(user_id)


def users(conn: Connection) -> list[User]:
    rows = conn.execute(
        sa.text("SELECT id, username, role, streets, disabled FROM app_user ORDER BY username")
    ).all()
    return [User(r.id, r.username, r.role, tuple(r.streets), r.disabled) for r in rows]


_DISABLE = "UPDATE app_user SET disabled = true WHERE username = :u"
_SET_ROLE = "UPDATE app_user SET role = :r, streets = :s WHERE username = :u"


def _update(conn: Connection, statement: str, params: dict[str, object], action: str) -> None:
    if conn.execute(sa.text(statement), params).rowcount == 0:
        raise InputError(f"no user {params['u']!r}")
    audit(conn, None, action, {"username": params["u"], **{k: v for k, v in params.items() if k != "u"}})


def disable(conn: Connection, username: str) -> None:
    _update(conn, _DISABLE, {"u": username}, "user.disable")


def set_role(conn: Connection, username: str, role: str, streets: list[str]) -> None:
    _check(username, role)
    if role == "street_leader" and not streets:
        raise InputError("a street leader needs at least one --street")
    _update(conn, _SET_ROLE, {"u": username, "r": role, "s": streets}, "user.set_role")


_ACCOUNT = (
    "SELECT id, username, role, streets, disabled, gridgov_password_hash(username) AS password_hash "
    "FROM app_user WHERE username = :u"
)  # the web role may not read the column itself: the function reads it (migration 0015)


def verify(conn: Connection, username: str, password: str) -> User | None:
    """The user if the password is right and the account enabled; None otherwise (no hint which)."""
    row = conn.execute(sa.text(_ACCOUNT), {"u": username}).first()
    if row is None or row.disabled:
        _HASHER.hash(password)  # the same work either way: timing does not tell who exists
        return None
    try:
        _HASHER.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(row.password_hash):
        conn.execute(
            sa.text("SELECT gridgov_rehash(:i, :old, :new)"),
            {"i": row.id, "old": row.password_hash, "new": _HASHER.hash(password)},
        )
    return User(row.id, row.username, row.role, tuple(row.streets), row.disabled)


def audit(conn: Connection, username: str | None, action: str, detail: dict[str, object]) -> None:
    """Append one entry to the audit log (in the caller's transaction)."""
    conn.execute(
        sa.text("INSERT INTO audit_log (username, action, detail) VALUES (:u, :a, CAST(:d AS jsonb))"),
        {"u": username, "a": action, "d": json.dumps(detail, ensure_ascii=False, default=str)},
    )


FIRST_ADMIN = "admin"


def ensure_admin(conn: Connection, *, password: str | None) -> str | None:
    """Create the ``admin`` account if no admin account exists (enabled or not); returns the
    password it was given (``password``, else a new random one), or None if nothing was done.
    A transaction-scoped advisory lock makes two concurrent starts create only one."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('gridgov.ensure_admin'))"))
    if conn.execute(sa.text("SELECT 1 FROM app_user WHERE role = 'admin' LIMIT 1")).first():
        return None
    chosen = password or new_password()
    add_user(conn, username=FIRST_ADMIN, role="admin", password=chosen, streets=[])
    return chosen
