"""Tiny helpers for tests that check results with their own SQL (always parameterised)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def all_rows(engine: Engine, sql: str, **params: object) -> list[Any]:
    """Every row of a query."""
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def one(engine: Engine, sql: str, **params: object) -> Any:
    """The single value of a query."""
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()
