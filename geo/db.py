"""Which database gridgov uses, engines for it, and the checks it must pass."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from geo.cluster import EmbeddedCluster
from geo.errors import ConfigError, DatabaseError
from geo.settings import Settings

REQUIRED_EXTENSIONS = ("postgis", "pg_trgm", "pgrouting")


WEB_LOGIN = "gridgov_app"  # migration 0015: a login role, member of gridgov_web, owner of nothing


def web_database_url(settings: Settings) -> str:
    """The URL the web app connects with: ``GRIDGOV_WEB_DATABASE_URL`` when set; for the embedded
    cluster, its socket as ``gridgov_app``; else (an external server without a web URL) the
    owner's ``DATABASE_URL``, and the web app is only as safe as ``SET LOCAL ROLE`` makes it."""
    if settings.web_database_url:
        return _psycopg_url(settings.web_database_url, "GRIDGOV_WEB_DATABASE_URL")
    if settings.database_url is None:
        url = make_url(EmbeddedCluster.from_settings(settings).url).set(username=WEB_LOGIN)
        return url.render_as_string(hide_password=False)
    return database_url(settings)


def database_url(settings: Settings) -> str:
    """``DATABASE_URL`` when set, else the embedded cluster's URL (psycopg 3 driver)."""
    if settings.database_url is None:
        return EmbeddedCluster.from_settings(settings).url
    return _psycopg_url(settings.database_url, "DATABASE_URL")


def _psycopg_url(raw: str, name: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"{name} is not a database URL; use e.g. postgresql://user:password@host/dbname"
        ) from None
    if url.get_backend_name() != "postgresql":
        raise ConfigError(f"{name} must point at PostgreSQL with PostGIS, not {url.drivername}")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine with a small pool. A connection that sat in the pool longer than
    ``PING_IDLE_SECONDS`` is checked before use: after a server restart the first check finds
    it dead, the pool drops every connection and connects anew, so a request after an outage
    does not see a stale one. Connections in steady use are not checked (``pool_pre_ping``
    checked every one: a round trip per request, each waiting for Python's lock again while
    other threads compute). A server that does not answer fails a connection attempt after
    ``CONNECT_TIMEOUT_SECONDS`` instead of hanging a worker thread. Errors never carry the
    statement's parameters (``hide_parameters``): a logged traceback holds no password, token
    or personal data that was bound to a failing query."""
    engine = sa.create_engine(
        url,
        hide_parameters=True,
        pool_size=pool_size,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    sa.event.listen(engine, "checkin", _checked_in)
    sa.event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    return engine


PING_IDLE_SECONDS = 2.0
_CHECKED_IN = "gridgov_checked_in"  # in a pooled connection's info: when it went back (monotonic)


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_idle(dialect: sa.engine.Dialect) -> Callable[[Any, Any, Any], None]:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_CHECKED_IN, math.inf) <= PING_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the pool discards it and connects anew
            raise sa.exc.DisconnectionError(str(exc)) from exc

    return checkout


@contextmanager
def checked_engine(url: str) -> Iterator[Engine]:
    """A one-connection engine for a command: the server checked first, the pool closed after."""
    engine = make_engine(url, pool_size=1)
    try:
        check_database(engine)
        yield engine
    finally:
        engine.dispose()


def check_database(engine: Engine) -> None:
    """Raise ``DatabaseError`` saying plainly what is wrong with the server, if anything."""
    try:
        with engine.connect() as conn:
            ctype = conn.execute(
                sa.text("SELECT datctype FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
            available = set(
                conn.execute(
                    sa.text("SELECT name FROM pg_available_extensions WHERE name = ANY(:names)"),
                    {"names": list(REQUIRED_EXTENSIONS)},
                ).scalars()
            )
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"cannot reach the database ({reason}); run `gridgov db start` or check DATABASE_URL"
        ) from None
    missing = [name for name in REQUIRED_EXTENSIONS if name not in available]
    if missing:
        raise DatabaseError(
            f"the database server lacks the extension(s) {', '.join(missing)}; install them, "
            "e.g. sudo apt-get install -y postgresql-15-postgis-3 postgresql-15-pgrouting"
        )
    if ctype in ("C", "POSIX"):
        raise DatabaseError(
            f"the database's LC_CTYPE is {ctype!r}: pg_trgm would drop every Chinese character; "
            "recreate it with a UTF-8 ctype, e.g. CREATE DATABASE ... LC_CTYPE 'C.UTF-8' TEMPLATE template0"
        )
