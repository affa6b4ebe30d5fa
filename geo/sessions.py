"""Server-side login sessions and wall screens' kiosk tokens.

The browser's (signed) cookie holds a random session token; ``user_session`` holds only its
SHA-256, the account, the kind of login and when it was issued and last seen. Every request
resolves the token again, joined to ``app_user``: a disabled account or a changed role takes
effect at once, and logout or expiry ends the session for every copy of the cookie.
Tokens are 256-bit random, so a plain SHA-256 (not a slow password hash) is enough to store.
A kiosk session is bound to the kiosk token that opened it (``opened_with``): a new token for
the account ends it, at once and for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError
from geo.settings import Settings
from geo.users import User, audit

KINDS = ("password", "kiosk")
TOUCH_EVERY = dt.timedelta(seconds=60)  # seen_at is written at most this often


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives: ``idle`` without requests, ``absolute`` after a password login,
    ``kiosk`` after a kiosk-token login."""

    idle: dt.timedelta
    absolute: dt.timedelta
    kiosk: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Lifetimes:
        return cls(
            idle=dt.timedelta(minutes=settings.session_idle_minutes),
            absolute=dt.timedelta(hours=settings.session_max_hours),
            kiosk=dt.timedelta(days=settings.kiosk_session_days),
        )

    def limit(self, kind: str) -> dt.timedelta:
        return self.kiosk if kind == "kiosk" else self.absolute


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(conn: Connection, *, user_id: int, kind: str, opened_with: str | None = None) -> str:
    """A new session for the account; returns the token for the cookie (stored only hashed).
    ``opened_with``: a kiosk session's kiosk-token hash, which it lives no longer than."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        sa.text("INSERT INTO user_session (token_hash, user_id, kind, opened_with) VALUES (:h, :u, :k, :o)"),
        {"h": token_hash(token), "u": user_id, "k": kind, "o": opened_with},
    )
    return token


def end(conn: Connection, token: str) -> None:
    conn.execute(
        sa.text("UPDATE user_session SET ended_at = now() WHERE token_hash = :h AND ended_at IS NULL"),
        {"h": token_hash(token)},
    )


_RESOLVE = """
SELECT u.id, u.username, u.role, u.streets, u.disabled, s.kind,
       now() - s.issued_at AS age, now() - s.seen_at AS idle,
       s.opened_with IS NOT DISTINCT FROM u.kiosk_token_hash AS token_current
FROM user_session s JOIN app_user u ON u.id = s.user_id
WHERE s.token_hash = :h AND s.ended_at IS NULL"""


def resolve(conn: Connection, token: str, lifetimes: Lifetimes) -> User | None:
    """The session's account, read afresh; None (and the session ended) if the session expired,
    the account is disabled, or a kiosk session's account is no longer a wall screen or has a
    new kiosk token."""
    row = conn.execute(sa.text(_RESOLVE), {"h": token_hash(token)}).first()
    if row is None:
        return None
    dead = (
        row.disabled
        or row.idle > lifetimes.idle
        or row.age > lifetimes.limit(row.kind)
        or (row.kind == "kiosk" and (row.role != "wall_screen" or not row.token_current))
    )
    if dead:
        end(conn, token)
        return None
    if row.idle > TOUCH_EVERY:
        conn.execute(
            sa.text("UPDATE user_session SET seen_at = now() WHERE token_hash = :h"), {"h": token_hash(token)}
        )
    return User(row.id, row.username, row.role, tuple(row.streets), row.disabled)


def new_kiosk_token(conn: Connection, username: str) -> str:
    """A new kiosk token for a wall screen account, shown once: the old one stops working and
    the sessions it opened end."""
    token = secrets.token_urlsafe(32)
    user_id = conn.execute(
        sa.text("UPDATE app_user SET kiosk_token_hash = :h WHERE username = :u AND role = 'wall_screen' "
                "RETURNING id"),
        {"h": token_hash(token), "u": username},
    ).scalar()  # fmt: skip
    if user_id is None:
        raise InputError(f"no wall_screen account {username!r}: kiosk tokens are for wall screens only")
    ended = conn.execute(
        sa.text("UPDATE user_session SET ended_at = now() "
                "WHERE user_id = :i AND kind = 'kiosk' AND ended_at IS NULL"),
        {"i": user_id},
    ).rowcount  # fmt: skip
    audit(conn, None, "user.kiosk_token", {"username": username, "sessions_ended": ended})
    return token


def kiosk_user(conn: Connection, token: str) -> User | None:
    """The enabled wall screen account this kiosk token belongs to, or None."""
    row = conn.execute(
        sa.text(
            "SELECT id, username, role, streets, disabled FROM app_user "
            "WHERE kiosk_token_hash = :h AND role = 'wall_screen' AND NOT disabled"
        ),
        {"h": token_hash(token)},
    ).first()
    return None if row is None else User(row.id, row.username, row.role, tuple(row.streets), row.disabled)
