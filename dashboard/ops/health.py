"""``/healthz`` and ``/readyz`` for a load balancer or a process supervisor.

- ``GET /healthz``: the process answers (no database): 200 ``{"status": "ok"}``.
- ``GET /readyz``: the database answers and its schema is at the code's newest migration:
  200 ``{"status": "ready"}``, else 503 ``{"status": "unavailable", "reason": ...}`` with a
  fixed reason (``database unreachable`` or ``migrations not at head``).

Both are open without a session (``dashboard/auth/web.PUBLIC_ENDPOINTS``) and say nothing
else: no versions, hosts, driver messages or counts.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.engine import Connection, Engine

from dashboard.ops.db_down import RETRY_SECONDS, is_unavailable, reason
from geo import migrate

ENDPOINTS = frozenset({"health.healthz", "health.readyz"})
UNREACHABLE, BEHIND = "database unreachable", "migrations not at head"
_TIMEOUT = "SELECT set_config('statement_timeout', '2000', true)"  # a hung server fails the probe
log = logging.getLogger("gridgov.health")


def _revision(conn: Connection) -> str | None:
    """The schema's Alembic revision, None before the first migration (read directly: Alembic's
    own reader logs two lines per call, every probe)."""
    if conn.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return conn.execute(sa.text("SELECT max(version_num) FROM alembic_version")).scalar()


def readiness(engine: Engine, *, head: str) -> str | None:
    """None when ready, else the reason."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(_TIMEOUT))
            current = _revision(conn)
    except sa.exc.SQLAlchemyError as error:
        if not is_unavailable(error):
            raise
        log.warning("not ready", extra={"reason": reason(error)})
        return UNREACHABLE
    return None if current == head else BEHIND


def _answer(status: int, body: dict[str, str]) -> Any:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_SECONDS)
    return response


def health_blueprint(engine: Engine) -> Blueprint:
    """The two routes; ``engine`` without the web app's row scope (the probe reads only the
    schema revision)."""
    bp = Blueprint("health", __name__)
    head = migrate.head()

    def healthz() -> Any:
        return _answer(200, {"status": "ok"})

    def readyz() -> Any:
        why = readiness(engine, head=head)
        return (
            _answer(200, {"status": "ready"})
            if why is None
            else _answer(503, {"status": "unavailable", "reason": why})
        )

    bp.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    bp.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])
    return bp
