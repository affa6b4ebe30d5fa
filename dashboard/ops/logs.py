"""JSON lines on stderr through the standard ``logging`` module.

Each record becomes one JSON object: time (UTC, ISO 8601), level, logger, message, the
request id of the request being served (if any), any ``extra=`` fields, and the traceback of
an exception (logged, never shown to the browser).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from flask import has_request_context, request
from gunicorn import glogging

REQUEST_ID = "gridgov.request_id"  # the WSGI environ key holding the request's id
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def current_request_id() -> str | None:
    """The id of the request this thread is serving, or None."""
    if not has_request_context():
        return None
    value = request.environ.get(REQUEST_ID)
    return value if isinstance(value, str) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, no newlines inside (tracebacks are a string field)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            out["request_id"] = request_id
        out |= {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(*, level: int = logging.INFO) -> None:
    """Send every logger's records (Flask's, ours, libraries') to stderr as JSON lines; called
    once per server process, a second call changes nothing."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)


class GunicornLogger(glogging.Logger):
    """gunicorn's own lines (starting, workers booting and exiting, signals) as the same JSON.

    Only its error log is kept; its access log stays off (``accesslog`` None): the app logs
    each request itself, with its id and without the query string, which can hold a kiosk token.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
