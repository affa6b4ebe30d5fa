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


def remove_marked(engine: Engine, *, source: str, target: int) -> None:
    """Undo a test's hand-made rows in the shared demo: one inspection target (with its visits)
    and one source's incident partition; other modules count the demo's rows."""
    from geo import partitions

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM inspection WHERE target_id = :t"), {"t": target})
        conn.execute(sa.text("DELETE FROM inspection_target WHERE id = :t"), {"t": target})
        conn.execute(sa.text(f'DROP TABLE "{partitions.partition_name(source)}"'))
        conn.execute(
            sa.text("INSERT INTO incident_change DEFAULT VALUES")
        )  # a dropped partition fires no trigger
