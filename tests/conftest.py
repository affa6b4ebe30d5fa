"""Shared fixtures: a throwaway PostgreSQL cluster started by the same code as `gridgov db start`.

The cluster lives in a fresh directory under /tmp (traversable by the unprivileged server
user when the tests run as root) and is removed when the session ends. ``DATABASE_URL`` in
the environment is ignored: tests never touch a real server.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from geo import migrate
from geo.cluster import EmbeddedCluster
from geo.db import make_engine
from geo.settings import Settings
from tests.databases import admin, demo_copy, fresh_database, snapshot

DEMO_TEMPLATE, MIGRATED_TEMPLATE, SMALL_DISTRICT_TEMPLATE = (
    "demo_template",
    "migrated_template",
    "small_district",
)


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    root = Path(tempfile.mkdtemp(prefix="gridgov-test-", dir="/tmp"))
    root.chmod(0o755)
    yield Settings.from_env({"GRIDGOV_DATA_DIR": str(root / "cluster"), "GRIDGOV_PORT": "8050"})
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(settings: Settings) -> Iterator[EmbeddedCluster]:
    cluster = EmbeddedCluster.from_settings(settings)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def engine(cluster: EmbeddedCluster) -> Iterator[Engine]:
    """The cluster's gridgov database, migrated to head (shared; the demo loads into it)."""
    engine = make_engine(cluster.url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo(cluster: EmbeddedCluster, engine: Engine) -> Iterator[Engine]:
    """The gridgov database with the Pingcheng demo district loaded (read-only for tests).
    A snapshot of it is taken at once, before any test uses it (``demo_template``)."""
    from ingest.demo import load_demo

    load_demo(engine)
    snapshot(cluster, engine, DEMO_TEMPLATE)
    yield engine
    with admin(cluster) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DEMO_TEMPLATE}")


@pytest.fixture(scope="session")
def demo_template(demo: Engine) -> str:
    """The name of the database holding the demo as loaded (no test's rows), to copy from."""
    return DEMO_TEMPLATE


@pytest.fixture
def scratch_engine(cluster: EmbeddedCluster) -> Iterator[Engine]:
    """A fresh, empty database of its own, dropped after the test."""
    with fresh_database(cluster) as engine:
        yield engine


@pytest.fixture(scope="session")
def migrated_template(cluster: EmbeddedCluster) -> Iterator[str]:
    """The name of an empty database migrated to head (`gridgov db migrate` on an empty
    database, done once), to copy from: a copy takes a fraction of a second, the migrations ~2 s.
    The migrations themselves are tested on empty databases of their own (test_migrations.py)."""
    with fresh_database(cluster) as engine:
        migrate.upgrade(engine)
        snapshot(cluster, engine, MIGRATED_TEMPLATE)
    yield MIGRATED_TEMPLATE
    with admin(cluster) as c:
        c.execute(f"DROP DATABASE IF EXISTS {MIGRATED_TEMPLATE}")


@pytest.fixture
def migrated_engine(cluster: EmbeddedCluster, migrated_template: str) -> Iterator[Engine]:
    """A fresh database of its own at the newest schema, with no rows (a copy of
    ``migrated_template``), dropped after the test."""
    with fresh_database(cluster, template=migrated_template) as engine:
        yield engine


@pytest.fixture(scope="session")
def ingest_demo(cluster: EmbeddedCluster, demo_template: str) -> Iterator[Engine]:
    """A private copy of the demo district for the tests that load files into it (each its
    own sources), so the shared ``demo`` stays as loaded; made once, dropped at the end."""
    with demo_copy(cluster, demo_template) as engine:
        yield engine


@pytest.fixture(scope="session")
def accounts(demo: Engine) -> dict[str, tuple[str, str]]:
    """One account per role in the demo database: role → (username, password). The street
    leader is bound to the first street."""
    from tests.auth import make_account

    with demo.connect() as conn:
        street = conn.exec_driver_sql("SELECT min(code) FROM street WHERE valid_to IS NULL").scalar_one()
    return {
        role: make_account(demo, f"test_{role}", role, streets=[street] if role == "street_leader" else [])
        for role in ("admin", "street_leader", "planner", "wall_screen")
    }


@pytest.fixture(scope="session")
def demo_server(
    settings: Settings,
    demo: Engine,
    accounts: dict[str, tuple[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    """The real `gridgov serve` on the demo with the default settings, started once for the
    browser tests that need nothing else of it: (its URL, its log). Each test opens its own
    browser context (own cookies), signs in itself, and reads the log for its own messages."""
    from tests.browser import serving

    with serving(settings, tmp_path_factory.mktemp("demo-server")) as running:
        yield running


@pytest.fixture(scope="session")
def wall_server(
    settings: Settings,
    demo: Engine,
    accounts: dict[str, tuple[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    """`gridgov serve` on the demo whose pages refresh every 4 s and whose kiosk moves on every
    3 s, for the browser tests that wait for a refresh (the wall screen's, a session ended
    elsewhere): started once for the session, (its URL, its log)."""
    from tests.browser import serving

    log_dir = tmp_path_factory.mktemp("wall-server")
    with serving(settings, log_dir, GRIDGOV_REFRESH_SECONDS="4", GRIDGOV_KIOSK_SECONDS="3") as running:
        yield running


@pytest.fixture(scope="session")
def small_district(
    cluster: EmbeddedCluster, migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The name of a database holding only the boundaries of a small district the demo never saw
    (测试区, tests/small_district.py), loaded once by `gridgov ingest boundaries FILE --level …`,
    to copy from (the four loads take ~10 s; a copy a fraction of a second)."""
    from tests.small_district import load_boundaries

    with fresh_database(cluster, template=migrated_template) as engine:
        load_boundaries(engine, tmp_path_factory.mktemp("small-district"))
        snapshot(cluster, engine, SMALL_DISTRICT_TEMPLATE)
    yield SMALL_DISTRICT_TEMPLATE
    with admin(cluster) as c:
        c.execute(f"DROP DATABASE IF EXISTS {SMALL_DISTRICT_TEMPLATE}")


@pytest.fixture(scope="session")
def boundaries_only(cluster: EmbeddedCluster, small_district: str) -> Iterator[Engine]:
    """A database holding only the small district's boundaries (a copy of ``small_district``)."""
    with fresh_database(cluster, template=small_district) as engine:
        yield engine


@pytest.fixture(scope="session")
def no_roads(
    cluster: EmbeddedCluster, small_district: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The small district with buildings, service points and inspection targets, but no road
    network and no incidents."""
    from tests.small_district import load_sites

    with fresh_database(cluster, template=small_district) as engine:
        load_sites(engine, tmp_path_factory.mktemp("no-roads"))
        yield engine
