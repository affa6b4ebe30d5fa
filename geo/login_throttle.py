"""Failed logins are counted from the audit log, so every worker process sees the same count:
after ``PER_USER`` failures for one username, or ``PER_ADDRESS`` from one address, within
``WINDOW``, further attempts are refused without checking the password until the window has
passed."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

WINDOW = dt.timedelta(minutes=15)
PER_USER = 5
PER_ADDRESS = 30
FAILED = "login.failed"

_COUNT = """
SELECT count(*) FILTER (WHERE username = :u) AS by_user,
       count(*) FILTER (WHERE detail->>'ip' = :ip) AS by_address
FROM audit_log WHERE action = :a AND at > now() - :w"""


def throttled(conn: Connection, *, username: str | None, ip: str) -> bool:
    """Whether this username (None: any) or address has failed too often lately."""
    row = conn.execute(sa.text(_COUNT), {"u": username, "ip": ip, "a": FAILED, "w": WINDOW}).one()
    return bool(row.by_user >= PER_USER or row.by_address >= PER_ADDRESS)
