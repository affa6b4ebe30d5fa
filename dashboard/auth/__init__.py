"""Login, sessions and the gate that protects every route and callback (see README: Access)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import Flask
from sqlalchemy.engine import Engine

from dashboard.auth.current import current_user
from dashboard.auth.gate import make_gate
from dashboard.auth.headers import content_security_policy, security_headers
from dashboard.auth.secret import secret_key
from dashboard.auth.web import auth_blueprint
from geo.sessions import Lifetimes
from geo.settings import Settings

__all__ = ["CALLBACK_PAGES", "current_user", "install_auth"]
CALLBACK_PAGES = "gridgov_callback_pages"


def install_auth(
    server: Flask,
    *,
    settings: Settings,
    engine: Engine,
    callback_pages: Mapping[str, str],
    script_hashes: Sequence[str],
) -> None:
    """Sessions, the login routes, the gate and the security headers on ``server``."""
    server.secret_key = secret_key(settings)
    server.config.update(
        SESSION_COOKIE_NAME="gridgov_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
    )
    server.extensions[CALLBACK_PAGES] = callback_pages  # for inspection (tests, a future admin page)
    server.register_blueprint(auth_blueprint(engine))
    server.before_request(
        make_gate(
            engine=engine,
            lifetimes=Lifetimes.from_settings(settings),
            callback_pages=callback_pages,
            allowed_hosts=settings.allowed_hosts,
        )
    )
    server.after_request(
        security_headers(csp=content_security_policy(script_hashes), https=settings.cookie_secure)
    )
