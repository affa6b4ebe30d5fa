"""Private databases in the test cluster: a fresh, empty one, or a copy of the demo district.

The session's ``demo`` database is shared and read-only; a test that writes works in one of
these, so no other test sees (or counts) its rows. A copy of the demo is made by the server
itself (``CREATE DATABASE … TEMPLATE``, a file-level copy in a second or two) from a snapshot
taken once, right after the demo was loaded (``snapshot``): no dump and restore per copy.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import Engine

from geo.cluster import EmbeddedCluster
from geo.db import make_engine

_counter = itertools.count()


def admin(cluster: EmbeddedCluster) -> psycopg.Connection:
    return psycopg.connect(
        f"host={cluster.socket_dir} port=5432 user=gridgov dbname=postgres", autocommit=True
    )


@contextmanager
def fresh_database(cluster: EmbeddedCluster, *, template: str = "template0") -> Iterator[Engine]:
    """A new database of the test cluster (empty, or a copy of ``template``), dropped afterwards."""
    name = f"scratch_{next(_counter)}"
    with admin(cluster) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template} ENCODING 'UTF8'")
    engine = make_engine(cluster.url.replace("/gridgov?", f"/{name}?"))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin(cluster) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def snapshot(cluster: EmbeddedCluster, engine: Engine, name: str) -> str:
    """A copy of ``engine``'s database named ``name``, closed to connections, to make copies
    from. Every pooled connection to the source is closed first (a template must have none)."""
    engine.dispose()
    with admin(cluster) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {engine.url.database} ENCODING 'UTF8'")
        conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    return name


@contextmanager
def demo_copy(cluster: EmbeddedCluster, template: str) -> Iterator[Engine]:
    """A private copy of the demo database (made from the snapshot ``template``, see the
    ``demo_template`` fixture), for tests that write a lot or must see no one else's writes;
    dropped afterwards."""
    with fresh_database(cluster, template=template) as engine:
        yield engine
