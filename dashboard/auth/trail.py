"""What the signed-in account did, into the append-only audit log (``geo/users.audit``).

Logins and logouts are written by the login routes; the pages write exports, changes and views
of residents' records (a street's register of inspection targets) through :func:`record`.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from dashboard.auth.current import current_user
from geo.users import audit


def record(engine: Engine, action: str, **detail: object) -> None:
    """Audit ``action`` by this request's account, in a short transaction of its own."""
    with engine.begin() as conn:
        record_in(conn, action, **detail)


def record_in(conn: Connection, action: str, **detail: object) -> None:
    """Audit ``action`` in the caller's transaction (kept only if the change it records is)."""
    user = current_user()
    audit(conn, user.username if user else None, action, detail)
