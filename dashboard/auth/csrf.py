"""Cross-site request forgery: the login form carries a token kept in the session cookie;
every other state-changing request (Dash callbacks, logout) must come from our own origin,
as the browser's ``Origin`` (scheme, host and port) or ``Sec-Fetch-Site`` header says. Session cookies are also
SameSite=Lax, so a cross-site POST carries no session at all. The intake API (``dashboard/api``)
is exempt: it authenticates by API key, which a browser never sends on its own, and ignores
the session cookie (``dashboard/auth/gate.KEYED_BLUEPRINTS``)."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Request, session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEY = "csrf"


def form_token() -> str:
    """The session's login-form token (made on first use)."""
    token = session.get(_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_KEY] = token
    return token


def form_token_ok(submitted: str | None) -> bool:
    expected = session.get(_KEY)
    return (
        isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)
    )


def same_origin(request: Request) -> bool:
    """Whether a request says it comes from a page of ours (no header at all: refused)."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        return parts.scheme == request.scheme and parts.netloc == request.host
    return request.headers.get("Sec-Fetch-Site") == "same-origin"
