"""The "database unavailable, retrying" state, instead of an error page.

When the database cannot be reached (stopped, restarting, a network cut), any request that
needs it (the login gate reads the session on every request) ends in a driver error. These
become HTTP 503 with ``Retry-After``: a page load gets a small page that reloads itself every
few seconds, anything else (Dash's callbacks and layout requests) JSON that the page's script
(``dashboard/assets/dbstate.js``) shows as a banner until ``/readyz`` answers again. The
session cookie is left alone: nobody is logged out by an outage. The driver's message is
logged (with the request id), never sent to the browser.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import psycopg
import sqlalchemy.exc
from flask import Flask, Response, jsonify, request

from dashboard.callback_request import PATH as CALLBACK_PATH

MESSAGE = "数据库暂不可用，正在重试 database unavailable, retrying"
RETRY_SECONDS = 5
# what the driver raises when the server is gone: refused, reset, shut down, or a dead pooled
# connection (SQLAlchemy wraps psycopg's errors; raw cursors raise psycopg's own)
UNAVAILABLE: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
log = logging.getLogger("gridgov.db")
_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{RETRY_SECONDS}">
<title>数据库暂不可用 Database unavailable</title>
<link rel="stylesheet" href="/auth/static/login.css"></head>
<body><main class="login"><h1>{{heading}}</h1>
<p class="error" role="alert" id="db-unavailable">{MESSAGE}</p>
<p class="note">本页每{RETRY_SECONDS}秒自动重试。This page retries every {RETRY_SECONDS} s by itself.</p>
</main></body></html>"""


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) says the database cannot be reached."""
    return isinstance(error, UNAVAILABLE) or isinstance(getattr(error, "orig", None), UNAVAILABLE)


def _wants_page() -> bool:
    """A browser navigating (a page load, the login form's POST), not a script's request."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.path != CALLBACK_PATH


def unavailable_response(*, heading: str = "网格治理") -> Response:
    """503: the retrying page for a browser (headed ``heading``, escaped here), JSON otherwise."""
    if _wants_page():
        page = _PAGE.replace("{heading}", html.escape(heading))
        response = Response(page, status=503, mimetype="text/html")
    else:
        response = jsonify(error="database_unavailable", message=MESSAGE)
        response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def reason(error: BaseException) -> str:
    """The driver's first line (SQLAlchemy's own text adds the statement and its parameters,
    which do not belong in a log)."""
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return lines[0][:300] if lines else type(orig).__name__


def _handle(heading: Callable[[], str], error: Exception) -> Any:
    log.warning("database unavailable", extra={"error": type(error).__name__, "reason": reason(error)})
    return unavailable_response(heading=heading())


def install_db_unavailable(server: Flask, *, heading: Callable[[], str] = lambda: "网格治理") -> None:
    """503 instead of 500 for every request that finds the database unreachable (the log line
    carries the request id, see ``dashboard/ops/logs.py``); ``heading()`` names the page without
    asking the database (the district's name as last read)."""
    for kind in UNAVAILABLE:
        server.register_error_handler(kind, partial(_handle, heading))
