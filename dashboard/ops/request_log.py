"""A request id for every request, in the ``X-Request-ID`` response header and in every log line.

A sane incoming ``X-Request-ID`` (a proxy's, 1–64 letters, digits and ``._:-``) is kept, so
one id follows a request through the load balancer and gridgov; anything else is replaced by
a fresh random one. Each response is logged as one line (method, path, status, milliseconds;
never the query string, which can carry a kiosk token). An unhandled exception is logged with
its traceback and the browser gets a plain page naming only the request id.

Each line also says how much of that time the request's thread spent computing (``cpu_ms``:
the rest is waiting for the database, the network or the interpreter) and, for a Dash
callback, which outputs it was for (``callback``), so an operator can see what costs.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import InternalServerError

from dashboard.auth.current import current_user
from dashboard.ops.logs import REQUEST_ID, current_request_id

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_STARTED = "gridgov_started"
_CPU = "gridgov_cpu"
access_log = logging.getLogger("gridgov.access")


def request_id_from(incoming: str | None) -> str:
    """``incoming`` if it is a sane id, else a new one (32 hex digits)."""
    if incoming and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _begin() -> None:
    request.environ[REQUEST_ID] = request_id_from(request.headers.get(HEADER))
    setattr(g, _STARTED, time.perf_counter())
    setattr(g, _CPU, time.thread_time())


def _finish(response: Response) -> Response:
    request_id = current_request_id() or request_id_from(None)
    response.headers[HEADER] = request_id
    started, cpu = g.get(_STARTED), g.get(_CPU)
    user = current_user()
    access_log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "cpu_ms": round((time.thread_time() - cpu) * 1000, 1) if cpu is not None else None,
            "callback": _callback(),
            "user": user.username if user else None,
        },
    )
    return response


def _callback() -> str | None:
    """The outputs a Dash callback request was for, from the body Dash already parsed (never
    read here: a body refused unread, e.g. too large, stays unread)."""
    if request.method != "POST" or not request.path.endswith("_dash-update-component"):
        return None
    cached = getattr(request, "_cached_json", None)  # werkzeug keeps what get_json parsed
    body = cached[0] if isinstance(cached, tuple) else None
    output = body.get("output") if isinstance(body, dict) else None
    return output[:120] if isinstance(output, str) else None


def _server_error(error: InternalServerError) -> Any:
    """Flask has logged the exception (with the request id); the browser learns only the id."""
    message = f"服务器内部错误 Internal server error (request {current_request_id()})"
    if request.accept_mimetypes.accept_html and request.method == "GET":
        return f"<!DOCTYPE html><title>500</title><p>{message}</p>", 500
    response = jsonify(error="internal error", request_id=current_request_id())
    response.status_code = 500
    return response


def install_request_log(server: Flask) -> None:
    """Install on ``server`` before any other ``before_request`` hook (the login gate), so that
    refused requests get an id too."""
    server.before_request(_begin)
    server.after_request(_finish)
    server.register_error_handler(InternalServerError, _server_error)
