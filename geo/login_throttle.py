"""Failed logins slow the next attempt down, per (username, address), with growing delays.

A key is a username from an address (``account``), every username from an address
(``address``) or kiosk tokens from an address (``kiosk``). A key's first ``free`` failures
cost nothing; after that each attempt must wait ``first_delay`` after the latest failure,
doubling with each further failure up to ``max_delay``. A key is forgotten ``forget_after``
its latest failure, and an account key at a successful login. Nobody can lock an account
from everywhere: the delays hold only for the address that failed.

:func:`guarded` is one transaction: a transaction-scoped advisory lock on the key, the check,
the password check and the recorded failure, so parallel attempts are checked one after the
other and none slips past the count. Attempts refused meanwhile are counted in one
``login.throttled`` audit entry per key and window (its ``count`` grows), not a row each.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

FAILED = "login.failed"
THROTTLED = "login.throttled"
T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    """How many failures are free per key, and the delays after them."""

    free: int = 5
    free_per_address: int = 30
    first_delay: dt.timedelta = dt.timedelta(minutes=1)
    max_delay: dt.timedelta = dt.timedelta(minutes=15)
    forget_after: dt.timedelta = dt.timedelta(hours=1)

    def delay(self, failures: int, *, free: int) -> dt.timedelta:
        """How long after the latest failure the next attempt must wait."""
        if failures < free:
            return dt.timedelta(0)
        return min(self.first_delay * 2 ** min(failures - free, 20), self.max_delay)


POLICY = Policy()


@dataclass(frozen=True)
class Key:
    kind: str  # account | address | kiosk
    username: str
    address: str

    @classmethod
    def login(cls, username: str, address: str) -> Key:
        return cls("account", username, address)

    @classmethod
    def kiosk(cls, address: str) -> Key:
        return cls("kiosk", "", address)

    @property
    def per_address(self) -> Key:
        return Key("address", "", self.address)

    def params(self) -> dict[str, str]:
        return {"k": self.kind, "u": self.username, "a": self.address}


@dataclass(frozen=True)
class Refused:
    """Too many failures lately: try again after ``retry_after``."""

    retry_after: dt.timedelta


_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(:k || chr(31) || :u || chr(31) || :a, 0))"
_STATE = """
SELECT failures, last_at, now() AS now, audit_id FROM login_throttle
WHERE kind = :k AND username = :u AND address = :a AND last_at >= now() - :forget"""
_FAIL = """
INSERT INTO login_throttle AS t (kind, username, address, failures) VALUES (:k, :u, :a, 1)
ON CONFLICT (kind, username, address) DO UPDATE SET
    failures = CASE WHEN t.last_at < now() - :forget THEN 1 ELSE t.failures + 1 END,
    first_at = CASE WHEN t.last_at < now() - :forget THEN now() ELSE t.first_at END,
    audit_id = CASE WHEN t.last_at < now() - :forget THEN NULL ELSE t.audit_id END,
    last_at = now()"""
_FORGET = "DELETE FROM login_throttle WHERE (kind = :k AND username = :u AND address = :a) OR last_at < now() - :forget"
_COUNT_UP = """
UPDATE audit_log SET detail = jsonb_set(detail, '{count}', to_jsonb((detail->>'count')::bigint + 1))
WHERE id = :id AND action = :action"""
_NEW_ENTRY = """
INSERT INTO audit_log (username, action, detail) VALUES (:u, :action, CAST(:d AS jsonb)) RETURNING id"""
_REMEMBER_ENTRY = (
    "UPDATE login_throttle SET audit_id = :id WHERE kind = :k AND username = :u AND address = :a"
)


def _wait(conn: Connection, key: Key, policy: Policy) -> tuple[dt.timedelta, int | None]:
    """How long ``key`` must still wait (zero: it may try now) and its audit entry, if any."""
    row = conn.execute(sa.text(_STATE), {**key.params(), "forget": policy.forget_after}).first()
    if row is None:
        return dt.timedelta(0), None
    free = policy.free_per_address if key.kind == "address" else policy.free
    wait = row.last_at + policy.delay(row.failures, free=free) - row.now
    return max(wait, dt.timedelta(0)), row.audit_id


def _count_refusal(conn: Connection, key: Key, audit_id: int | None) -> None:
    """One audit entry per key and window; each further refusal adds one to its ``count``."""
    if (
        audit_id is not None
        and conn.execute(sa.text(_COUNT_UP), {"id": audit_id, "action": THROTTLED}).rowcount
    ):
        return
    detail = {"ip": key.address, "key": key.kind, "count": 1}
    new_id = conn.execute(
        sa.text(_NEW_ENTRY),
        {"u": key.username or None, "action": THROTTLED, "d": json.dumps(detail, ensure_ascii=False)},
    ).scalar_one()
    conn.execute(sa.text(_REMEMBER_ENTRY), {**key.params(), "id": new_id})


def _refusal(conn: Connection, key: Key, policy: Policy) -> Refused | None:
    """Refused (and counted) if this key, or its address as a whole, must still wait."""
    for candidate in (key, key.per_address):
        wait, audit_id = _wait(conn, candidate, policy)
        if wait > dt.timedelta(0):
            _count_refusal(conn, candidate, audit_id)
            return Refused(wait)
    return None


def guarded(
    conn: Connection, key: Key, check: Callable[[], T | None], *, policy: Policy = POLICY
) -> T | Refused | None:
    """``check()`` (a password or token check: the result, or None for a failure) unless ``key``
    must wait; failures are recorded and a success forgets the key. In ``conn``'s transaction,
    which holds the key's lock until it ends: the caller audits the outcome in it too."""
    conn.execute(sa.text(_LOCK), key.params())
    refused = _refusal(conn, key, policy)
    if refused is not None:
        return refused
    result = check()
    forget = {"forget": policy.forget_after}
    if result is None:
        for candidate in (key, key.per_address):
            conn.execute(sa.text(_FAIL), {**candidate.params(), **forget})
    elif key.kind == "account":
        conn.execute(sa.text(_FORGET), {**key.params(), **forget})
    return result
