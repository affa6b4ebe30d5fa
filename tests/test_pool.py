"""The engine's pool (geo/db.make_engine): a connection that sat idle is checked before use and
replaced if the server ended it; one in steady use is handed out without a round trip."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from geo import db
from geo.db import make_engine

_PID = sa.text("SELECT pg_backend_pid()")


def _end_pooled_connection(cluster, engine) -> int:
    """The pid of the engine's one pooled connection, ended by the server while in the pool."""
    with engine.connect() as conn:
        pid = conn.execute(_PID).scalar_one()
    other = make_engine(cluster.url, pool_size=1)
    with other.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:p, 10000)"), {"p": pid}).scalar_one()
    other.dispose()
    return pid


def test_an_idle_connection_the_server_ended_is_replaced_before_use(cluster, monkeypatch):
    engine = make_engine(cluster.url, pool_size=1)
    pid = _end_pooled_connection(cluster, engine)
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", -1.0)  # as if it had sat idle past the limit
    with engine.connect() as conn:
        assert conn.execute(_PID).scalar_one() != pid
    engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged_and_a_dead_one_fails_once(cluster, monkeypatch):
    """Used a moment ago, it is not checked (a check would have replaced it unseen): the request
    on the dead connection fails as any request during an outage does; the pool then drops it
    and the next one connects anew."""
    engine = make_engine(cluster.url, pool_size=1)
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 1e9)  # however slow this machine is today
    pid = _end_pooled_connection(cluster, engine)
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(_PID)
    with engine.connect() as conn:
        assert conn.execute(_PID).scalar_one() != pid
    engine.dispose()
