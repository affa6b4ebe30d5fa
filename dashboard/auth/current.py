"""The signed-in account of the request being served, for pages and callbacks.

The gate (``dashboard/auth/gate.py``) reads the account afresh from the database on every
request and puts it on ``flask.g``; code that needs to scope its data (a street leader sees
only their streets) calls ``current_user()`` and passes the account down explicitly.
"""

from __future__ import annotations

from flask import g, has_request_context

from geo.row_scope import DISTRICT_ROLES, RowScope
from geo.users import User

_KEY = "gridgov_user"
_SCOPE = "gridgov_row_scope"


def current_user() -> User | None:
    """The request's account, or None outside a request or before the gate has let it in."""
    if not has_request_context():
        return None
    user = g.get(_KEY)
    return user if isinstance(user, User) else None


def set_current_user(user: User, scope: RowScope) -> None:
    setattr(g, _KEY, user)
    setattr(g, _SCOPE, scope)


def current_row_scope() -> RowScope:
    """The rows the database lets this request's transactions see (``geo/row_scope.py``):
    nothing before the gate has let a signed-in account in; everything outside a request
    (the worker warming its caches at start-up)."""
    if not has_request_context():
        return RowScope.everything()
    scope = g.get(_SCOPE)
    return scope if isinstance(scope, RowScope) else RowScope.nothing()


def may_see_street(code: object) -> bool:
    """Whether this request's account may pick the street with this code (a street leader: only
    their own; the district roles: any). The first wall; the database's row scope is the second."""
    user = current_user()
    if user is None:
        return False
    return user.role in DISTRICT_ROLES or code in user.streets
