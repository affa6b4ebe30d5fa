"""The gate in front of every route: no session, no answer.

Runs before every request. A request addressed to a host not in ``GRIDGOV_ALLOWED_HOSTS`` is
refused (400) first, but for the health probes. The login page, its CSS and the kiosk-token login are the only
routes open without a session; the intake API (``dashboard/api``: Open311 and ``/api/v1``)
checks its own per-source keys instead, with no session and no CSRF check, and never reads the
session cookie. Any other request needs a live session (read afresh from the
database, see ``geo/sessions.py``); state-changing requests must also come from our own
origin; a Dash callback (``POST /_dash-update-component``) must belong to a page the
account's role may use (``dashboard/auth/access.py``). Refusals: page loads are redirected
to the login page, everything else gets JSON 401 (no session) or 403 (not allowed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, redirect, request, session
from sqlalchemy.engine import Engine

from dashboard.auth.access import may_use
from dashboard.auth.csrf import SAFE_METHODS, same_origin
from dashboard.auth.current import set_current_user
from dashboard.auth.hosts import host_allowed
from dashboard.auth.web import PUBLIC_ENDPOINTS, SESSION_KEY
from dashboard.callback_request import PATH as CALLBACK_PATH
from dashboard.callback_request import well_formed
from geo import sessions
from geo.row_scope import RowScope, row_scope
from geo.users import User

Gate = Callable[[], Any]
ANY_HOST = frozenset({"health.healthz", "health.readyz"})  # a load balancer may probe by address
KEYED_BLUEPRINTS = frozenset({"api", "open311"})  # dashboard/api: API keys, not sessions


def _refuse(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _anonymous() -> Any:
    if request.method in ("GET", "HEAD") and request.accept_mimetypes.accept_html:
        return redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/"), code=302)
    return _refuse(401, "login required")


def _session_user(engine: Engine, lifetimes: sessions.Lifetimes) -> tuple[User, RowScope] | None:
    """The session's account and the rows it may see, or None."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    with engine.begin() as conn:
        user = sessions.resolve(conn, token, lifetimes)
        return None if user is None else (user, row_scope(conn, user))


def _callback_allowed(user: User, pages: Mapping[str, str]) -> bool:
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    return isinstance(output, str) and may_use(user.role, pages.get(output))


def _callback_refusal(user: User, pages: Mapping[str, str]) -> Response | None:
    if not _callback_allowed(user, pages):
        return _refuse(403, "this account may not use that page")
    if not well_formed(request.get_json(silent=True)):
        return _refuse(400, "malformed callback request")
    return None


def make_gate(
    *,
    engine: Engine,
    lifetimes: sessions.Lifetimes,
    callback_pages: Mapping[str, str],
    allowed_hosts: Sequence[str],
) -> Gate:
    """A ``before_request`` hook; ``callback_pages`` maps each Dash callback to its page."""

    def gate() -> Any:
        if request.endpoint not in ANY_HOST and not host_allowed(request.headers.get("Host"), allowed_hosts):
            return _refuse(400, "unknown host: add it to GRIDGOV_ALLOWED_HOSTS")
        if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint in KEYED_BLUEPRINTS:
            return None
        if request.method not in SAFE_METHODS and not same_origin(request):
            return _refuse(403, "cross-site request refused")
        found = _session_user(engine, lifetimes)
        if found is None:
            return _anonymous()
        user, scope = found
        set_current_user(user, scope)
        if request.path == CALLBACK_PATH:
            return _callback_refusal(user, callback_pages)
        return None

    return gate
