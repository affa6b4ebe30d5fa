"""The layer map and the coverage views are computed once for everyone asking alike, per row scope,
and computed again when they are old (the map) or their data changed (coverage)."""

from contextlib import contextmanager

import flask
import numpy as np
import pytest
import sqlalchemy as sa

from dashboard import server, views
from dashboard.app import create_app
from dashboard.auth.current import current_row_scope, set_current_user
from dashboard.coverage.views import CoverageCache, WhatIf, coverage_view
from dashboard.identity import IdentityCache
from dashboard.inspections.solver import Solver
from dashboard.monitor.views import MonitorCache
from geo import row_scope
from geo.district_names import DistrictNames
from geo.row_scope import RowScope
from geo.users import User
from geo.vocabulary import Vocabulary
from layers.drill import Drill
from layers.registry import default_registry
from layers.scope import Scope


@contextmanager
def signed_in(scope: RowScope, role: str = "street_leader"):
    """A request of an account whose transactions see ``scope``."""
    with flask.Flask(__name__).test_request_context():
        set_current_user(User(1, "someone", role, (), False), scope)
        yield


@pytest.fixture
def scoped(demo):
    """The demo's engine as the web app uses it: every transaction in the request's row scope."""
    engine = demo.execution_options()
    row_scope.install(engine, current_row_scope)
    return engine


def _street(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")
        ).scalar_one()


def _incidents_drawn(state) -> int:
    return int(sum(np.asarray(t.z).sum() for t in state.figure.data if t.type == "densitymap"))


def test_the_map_is_shared_within_a_row_scope_never_across_and_made_again_when_old(demo, scoped, monkeypatch):
    shared, registry = views.MapCaches(), default_registry()
    ask = dict(keys=registry.defaults(), scope=Scope.district(), window_key="all", tile_url=None)
    with signed_in(RowScope.everything(), "admin"):
        first = views.shared_map_state(shared, scoped, registry, **ask)
        assert views.shared_map_state(shared, scoped, registry, **ask) is first
    with signed_in(RowScope.everything(), "planner"):
        assert views.shared_map_state(shared, scoped, registry, **ask) is first  # same rows, same map
    with signed_in(RowScope((_street(demo),))):
        leaders = views.shared_map_state(shared, scoped, registry, **ask)
    assert leaders is not first
    assert 0 < _incidents_drawn(leaders) < _incidents_drawn(first)  # only their street's incidents
    monkeypatch.setattr(views, "MAP_SECONDS", 0.0)
    with signed_in(RowScope.everything(), "admin"):
        assert views.shared_map_state(shared, scoped, registry, **ask) is not first


def test_a_coverage_view_is_shared_until_the_type_s_points_change_and_kept_per_row_scope(demo, scoped):
    cache = CoverageCache()
    with signed_in(RowScope.everything(), "planner"), demo.connect() as conn:
        kind = conn.execute(sa.text("SELECT min(kind) FROM service_point")).scalar_one()
        ask = dict(kind=kind, metres=800.0, what_if=WhatIf())
        first = coverage_view(conn, cache, **ask)
        assert coverage_view(conn, cache, **ask) is first
        assert coverage_view(conn, cache, kind=kind, metres=900.0, what_if=WhatIf()) is not first
        conn.execute(
            sa.text(
                "INSERT INTO service_point (source, source_id, kind, name, level, geom) "
                "SELECT 'test-shared', 'new', kind, 'new point', level, geom FROM service_point "
                "WHERE kind = :k ORDER BY id LIMIT 1"
            ),
            {"k": kind},
        )  # seen by this transaction only, rolled back below
        changed = coverage_view(conn, cache, **ask)
        assert changed is not first and len(changed.points) == len(first.points) + 1
        conn.rollback()
    with signed_in(RowScope((_street(demo),))), scoped.connect() as conn:
        assert coverage_view(conn, cache, **ask) is not first


def test_a_worker_warms_its_caches_in_the_row_scope_its_screens_use(settings, demo):
    """Facts are kept per row scope: warmed outside it, the first wall screens loaded them again."""
    monitor, coverage = MonitorCache(), CoverageCache()
    app = create_app(
        settings, demo, monitor_cache=monitor, coverage_cache=coverage, solver=Solver(in_process=True)
    )
    identity = IdentityCache(demo, DistrictNames())
    server._warm_up(
        app.server,
        settings=settings,
        engine=demo,
        caches=(monitor, coverage),
        vocabulary=Vocabulary(),
        identity=identity,
    )
    assert monitor.fact_scopes() == [RowScope.everything().setting]


def test_boundary_layers_are_kept_for_every_window_until_the_boundaries_change(demo):
    kept, registry = views.LayerCache(), default_registry()
    grids, density, district = registry["grids"], registry["density"], Scope.district()
    with demo.connect() as conn:
        week, month = views.window_from(conn, "7")[0], views.window_from(conn, "30")[0]
        drawn = kept.build(conn, grids, district, week)
        assert kept.build(conn, grids, district, month) is drawn
        assert kept.build(conn, density, district, week) is not kept.build(conn, density, district, week)
        conn.execute(
            sa.text(
                "UPDATE grid SET valid_to = now() WHERE id = (SELECT max(id) FROM grid WHERE valid_to IS NULL)"
            )
        )
        assert kept.build(conn, grids, district, week) is not drawn  # one grid fewer: drawn anew
        conn.rollback()


def test_the_wall_screen_keeps_outlines_until_the_boundaries_change_and_weights_past_many_drills(demo):
    cache = MonitorCache()
    cache.MAX_OUTLINES = 2
    with demo.connect() as conn:
        streets = conn.execute(
            sa.text("SELECT id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 3")
        ).scalars()
        weights, grids = cache.weights(conn), cache.outlines(conn, "grids", Drill())
        assert cache.outlines(conn, "grids", Drill()) is grids
        for street in streets:  # more drills than outlines kept
            cache.outlines(conn, "children", Drill("street", street))
        assert cache.weights(conn) is weights
        conn.execute(
            sa.text(
                "UPDATE grid SET valid_to = now() WHERE id = (SELECT max(id) FROM grid WHERE valid_to IS NULL)"
            )
        )
        assert len(cache.outlines(conn, "grids", Drill())) == len(grids) - 1
        assert cache.weights(conn) is not weights
        conn.rollback()


def test_a_new_road_or_building_is_seen_once_the_check_is_due(cluster, demo_template):
    """The coverage page's network and buildings are asked whether they changed at most every
    NetworkCache.CHECK_SECONDS (each question scans its table): a road and a building added are
    not seen by a check just made, and are seen once the clock (the cache's own) has passed it."""
    from layers.network import NetworkCache
    from tests.databases import demo_copy

    clock = [0.0]
    cache = CoverageCache(clock=lambda: clock[0])
    with demo_copy(cluster, demo_template) as engine:
        with engine.connect() as conn:
            network, demand = cache.networks.get(conn), cache.demand(conn)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO road_segment (source, source_id, source_node, target_node, length_m, kind, geom) "
                "SELECT 't', 'r1', source_node, target_node, 100, kind, geom FROM road_segment LIMIT 1"
            ))  # fmt: skip
            conn.execute(sa.text(
                "INSERT INTO building (source, source_id, address, households, residents, community_id, geom) "
                "SELECT 't', 'new', address, 3, 9, community_id, geom FROM building WHERE residents > 0 LIMIT 1"
            ))  # fmt: skip
        clock[0] = NetworkCache.CHECK_SECONDS * 0.9
        with engine.connect() as conn:
            assert cache.networks.get(conn) is network and cache.demand(conn) is demand
        clock[0] = NetworkCache.CHECK_SECONDS * 1.1
        with engine.connect() as conn:
            assert cache.networks.get(conn) is not network
            assert len(cache.demand(conn).ids) == len(demand.ids) + 1
