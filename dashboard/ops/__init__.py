"""Running the dashboard in production: health endpoints, request ids and JSON logs, and the
"database unavailable" state (see README: Operations)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.engine import Engine

from dashboard.ops.bad_input import install_bad_input
from dashboard.ops.db_down import install_db_unavailable
from dashboard.ops.health import health_blueprint
from dashboard.ops.request_log import install_request_log

__all__ = ["install_operations"]


def install_operations(server: Flask, *, engine: Engine, heading: Callable[[], str]) -> None:
    """Request ids and access lines, 503 while the database is unreachable (a page headed
    ``heading()``), ``/healthz`` and ``/readyz`` (on ``engine``, unscoped), 400 for a callback that
    fails on its input. Install before the login gate: its hooks run in order, and refused
    requests get an id too."""
    install_request_log(server)
    install_db_unavailable(server, heading=heading)
    install_bad_input(server)
    server.register_blueprint(health_blueprint(engine))
