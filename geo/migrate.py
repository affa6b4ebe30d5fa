"""Alembic migrations, driven from code (``gridgov db migrate``) with gridgov's own engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from geo import partitions
from geo.db import checked_engine
from geo.errors import DatabaseError
from geo.schema import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def _run(engine: Engine, action: str, revision: str) -> None:
    cfg = _config(engine)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, revision)
    except DBAPIError as exc:  # e.g. an extension whose library is not installed
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"migration {action} failed: {reason}; if a PostgreSQL extension's file is missing, install "
            "postgresql-15-postgis-3 and postgresql-15-pgrouting (or your server's equivalents)"
        ) from None


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, *, revision: str = "base") -> None:
    """Take the schema down to ``revision`` (``base``: no gridgov tables at all)."""
    _run(engine, "downgrade", revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as conn:
        return current_on(conn)


def current_on(conn: Connection) -> str | None:
    """``current`` on an open connection."""
    return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    """The newest revision shipped with this code."""
    rev = ScriptDirectory.from_config(_config_no_engine()).get_current_head()
    assert rev is not None
    return rev


def pending_changes(engine: Engine) -> list[object]:
    """What autogenerate would put in a new migration; empty when schema and models agree."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "include_object": partitions.include_object,
                "compare_type": True,
            },
        )
        return list(compare_metadata(ctx, Base.metadata))


def _config_no_engine() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    """``checked_engine`` for a command that works on gridgov's tables: the schema must be at the
    code's revision, else one line says what to run."""
    with checked_engine(url) as engine:
        if current(engine) != head():
            raise DatabaseError("the database schema is not up to date; run `gridgov db migrate` first")
        yield engine
