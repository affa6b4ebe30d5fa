"""Private databases in the test cluster: a fresh, empty one, or a copy of the demo district.

The session's ``demo`` database is shared and read-only; a test that writes works in one of
these, so no other test sees (or counts) its rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import Engine

from geo import backup
from geo.cluster import EmbeddedCluster
from geo.db import make_engine

_counter = itertools.count()


@contextmanager
def fresh_database(cluster: EmbeddedCluster) -> Iterator[Engine]:
    """A new, empty database of the test cluster, dropped afterwards."""
    name = f"scratch_{next(_counter)}"
    conninfo = f"host={cluster.socket_dir} port=5432 user=gridgov dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    engine = make_engine(cluster.url.replace("/gridgov?", f"/{name}?"))
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@contextmanager
def demo_copy(cluster: EmbeddedCluster, archive: Path) -> Iterator[Engine]:
    """A private copy of the demo database (restored from ``archive``), for tests that write a
    lot or must see no one else's writes; dropped afterwards."""
    with fresh_database(cluster) as engine:
        url = engine.url.render_as_string(hide_password=False)
        backup.restore(url, archive, bindir=backup.client_bindir(None), engine=engine)
        yield engine
