"""Per-source API keys for the intake API (Open311 and ``/api/v1``): made, listed, revoked,
looked up and throttled. Only the SHA-256 of a key is stored (migration 0018).

A key is a long random token (256 bits), so a plain hash cannot be reversed by guessing and a
lookup by hash is all the check needs. Each key writes only its own source.

Throttling is a token bucket per key: ``burst`` requests at once, refilled at ``per_minute`` a
minute. :func:`admit` reads and updates the bucket in one short transaction under the key's
transaction-scoped advisory lock, so parallel requests are counted one after the other and
none slips past (as ``geo/login_throttle.py`` does for logins).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError

PREFIX = "ggk_"
PER_MINUTE = 120
BURST = 60


@dataclass(frozen=True)
class SourceKey:
    """A key as stored (never the key itself)."""

    id: int
    source: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    requests: int
    items: int
    per_minute: int
    burst: int
    refused: int = 0  # requests turned away (429)

    @property
    def live(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Refused:
    """Too many requests: the next one is admitted after ``retry_after`` seconds; ``first``: the
    first refusal since the key's last admitted request (audited once per run of refusals)."""

    retry_after: int
    first: bool = True


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


_COLUMNS = "id, source, created_at, revoked_at, last_used_at, requests, items, per_minute, burst, refused"


def add(conn: Connection, source: str, *, per_minute: int = PER_MINUTE, burst: int = BURST) -> str:
    """A new key for ``source`` (returned once; only its hash is kept)."""
    name = source.strip()
    if not name:
        raise InputError("a source needs a name, e.g. 12345 or mini-program")
    if per_minute <= 0 or burst <= 0:
        raise InputError("--per-minute and --burst must be whole numbers above 0")
    live = conn.execute(
        sa.text("SELECT 1 FROM api_key WHERE source = :s AND revoked_at IS NULL"), {"s": name}
    ).first()
    if live:
        raise InputError(f"source {name!r} already has a key; `gridgov sources revoke {name}` first")
    key = new_key()
    conn.execute(
        sa.text("INSERT INTO api_key (source, key_hash, per_minute, burst) VALUES (:s, :h, :m, :b)"),
        {"s": name, "h": key_hash(key), "m": per_minute, "b": burst},
    )
    return key


def keys(conn: Connection) -> list[SourceKey]:
    """Every key, live ones first, by source."""
    rows = conn.execute(
        sa.text(f"SELECT {_COLUMNS} FROM api_key ORDER BY revoked_at IS NOT NULL, source, id")  # noqa: S608
    )
    return [SourceKey(*row) for row in rows]


def revoke(conn: Connection, source: str) -> None:
    done = conn.execute(
        sa.text("UPDATE api_key SET revoked_at = now() WHERE source = :s AND revoked_at IS NULL"),
        {"s": source},
    ).rowcount
    if not done:
        raise InputError(f"source {source!r} has no live key; `gridgov sources list` shows them")


def lookup(conn: Connection, key: str) -> SourceKey | None:
    """The stored key ``key`` is (revoked or not), or None."""
    row = conn.execute(
        sa.text(f"SELECT {_COLUMNS} FROM api_key WHERE key_hash = :h"),  # noqa: S608
        {"h": key_hash(key)},
    ).first()
    return None if row is None else SourceKey(*row)


_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('api_key:' || :id, 0))"
_BUCKET = """
SELECT least(burst, coalesce(tokens, burst)
       + extract(epoch FROM now() - coalesce(tokens_at, now())) * per_minute / 60.0), per_minute,
       throttled_since IS NULL
FROM api_key WHERE id = :id"""
_TAKE = """
UPDATE api_key SET tokens = :t - 1, tokens_at = now(), requests = requests + 1, last_used_at = now(),
       throttled_since = NULL
WHERE id = :id"""
_REFUSE = """
UPDATE api_key SET refused = refused + 1, throttled_since = coalesce(throttled_since, now()) WHERE id = :id"""


def admit(conn: Connection, key_id: int) -> Refused | None:
    """Take one request from the key's bucket (None: go ahead), in the caller's transaction,
    which holds the key's lock until it ends; a refusal is counted (commit the transaction)."""
    conn.execute(sa.text(_LOCK), {"id": str(key_id)})
    tokens, per_minute, admitted_last = conn.execute(sa.text(_BUCKET), {"id": key_id}).one()
    if tokens < 1:
        conn.execute(sa.text(_REFUSE), {"id": key_id})
        return Refused(max(1, math.ceil((1 - float(tokens)) * 60 / per_minute)), first=admitted_last)
    conn.execute(sa.text(_TAKE), {"t": float(tokens), "id": key_id})
    return None


def count_items(conn: Connection, key_id: int, items: int) -> None:
    conn.execute(sa.text("UPDATE api_key SET items = items + :n WHERE id = :id"), {"n": items, "id": key_id})
