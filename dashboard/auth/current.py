"""The signed-in account of the request being served, for pages and callbacks.

The gate (``dashboard/auth/gate.py``) reads the account afresh from the database on every
request and puts it on ``flask.g``; code that needs to scope its data (a street leader sees
only their streets) calls ``current_user()`` and passes the account down explicitly.
"""

from __future__ import annotations

from flask import g, has_request_context

from geo.users import User

_KEY = "gridgov_user"


def current_user() -> User | None:
    """The request's account, or None outside a request or before the gate has let it in."""
    if not has_request_context():
        return None
    user = g.get(_KEY)
    return user if isinstance(user, User) else None


def set_current_user(user: User) -> None:
    setattr(g, _KEY, user)
