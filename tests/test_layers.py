"""Map layers on the loaded demo district, checked against independent SQL and numpy."""

import datetime as dt
import itertools
import json
from collections import Counter

import numpy as np
import pytest
import sqlalchemy as sa

from geo.crs import metric_transformer
from layers import boundaries, buildings, density
from layers.extent import extent
from layers.facts import load
from layers.registry import HeldIncidents, LayerRegistry, default_registry
from layers.scope import Scope
from layers.window import ALL_TIME, TimeWindow
from tests.sql import all_rows, one

GUCHENG = "140213051000"  # 古城街道, the old city
DISTRICT = Scope.district()
STREET = Scope.street(GUCHENG)
MAP_TRACE_TYPES = {"scattermap", "densitymap", "choroplethmap"}


def _with(engine, fn, *args, **kwargs):
    with engine.connect() as conn:
        return fn(conn, *args, **kwargs)


def _multilinestring(lines):
    """A Lines object as GeoJSON, split at its NaN gaps."""
    xy = np.column_stack([lines.lon, lines.lat])
    breaks = np.flatnonzero(np.isnan(xy[:, 0]))
    parts = [p for p in np.split(xy, breaks) if len(p)]
    parts = [p[~np.isnan(p[:, 0])] for p in parts]
    return json.dumps({"type": "MultiLineString", "coordinates": [p.tolist() for p in parts]})


def _hausdorff_m(engine, lines, table, street_code=None):
    """Hausdorff distance in metres between drawn outlines and the true current boundaries."""
    sql = f"""
        SELECT ST_HausdorffDistance(
            ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326), 4547),
            (SELECT ST_Transform(ST_Union(ST_Boundary(t.geom)), 4547) FROM {table} t
             JOIN street s ON s.id = {"t.street_id" if table == "community" else "t.id"}
             WHERE t.valid_to IS NULL AND (CAST(:code AS text) IS NULL OR s.code = :code)))"""
    return one(engine, sql, g=_multilinestring(lines), code=street_code)


# --- scope and window --------------------------------------------------------------------


def test_scope_accepts_only_street_codes():
    assert DISTRICT.is_district and not STREET.is_district
    for bad in ("14021305100", "1402130510000", "14021305100x", "' OR 1=1 --"):
        with pytest.raises(ValueError):
            Scope.street(bad)


def test_time_window_needs_aware_ordered_ends():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        TimeWindow(since=dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        TimeWindow(since=now, until=now)
    week = TimeWindow.last_days(7, end=now)
    assert week.until - week.since == dt.timedelta(days=7) and week.until > now


# --- boundaries ---------------------------------------------------------------------------


def test_streets_are_the_18_current_streets_with_labels_inside(demo):
    data = _with(demo, boundaries.streets, DISTRICT)
    assert len(data.areas) == 18
    expected = set(all_rows(demo, "SELECT code, name FROM street WHERE valid_to IS NULL"))
    assert {(a.code, a.name) for a in data.areas} == expected
    inside = one(
        demo,
        "SELECT count(*) FROM street s JOIN json_to_recordset(CAST(:pts AS json)) AS p(code text, x float, y float)"
        " ON p.code = s.code WHERE ST_Contains(s.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))",
        pts=json.dumps([{"code": a.code, "x": a.lon, "y": a.lat} for a in data.areas]),
    )
    assert inside == 18
    assert sum(a.attrs["units"] for a in data.areas) == 202


def test_outlines_stay_within_the_simplification_tolerance(demo):
    """Simplified in metres: every drawn line is within the tolerance of a true boundary and
    every true boundary within the tolerance of a drawn line (Hausdorff distance)."""
    for fetch, table, tolerance in (
        (boundaries.streets, "street", 20.0),
        (boundaries.communities, "community", 10.0),
    ):
        data = _with(demo, fetch, DISTRICT, tolerance_m=tolerance)
        assert 0 < _hausdorff_m(demo, data.outlines, table) <= tolerance + 0.5
    coarse = _with(demo, boundaries.streets, DISTRICT, tolerance_m=200.0)
    fine = _with(demo, boundaries.streets, DISTRICT, tolerance_m=1.0)
    assert len(coarse.outlines.lon) < len(fine.outlines.lon) / 3


def test_a_shared_edge_is_drawn_once(demo):
    lines = _with(demo, boundaries.grids, DISTRICT).outlines
    points = list(zip(lines.lon.round(6), lines.lat.round(6), strict=True))
    segments = [
        tuple(sorted((a, b))) for a, b in itertools.pairwise(points) if not (np.isnan(a[0]) or np.isnan(b[0]))
    ]
    assert len(segments) > 1000
    assert len(set(segments)) == len(segments)


def test_communities_and_villages_district_wide_and_in_one_street(demo):
    every = _with(demo, boundaries.communities, DISTRICT)
    kinds = [a.attrs["kind"] for a in every.areas]
    assert (kinds.count("community"), kinds.count("village")) == (155, 47)
    mine = _with(demo, boundaries.communities, STREET)
    expected = set(
        all_rows(
            demo,
            "SELECT c.code FROM community c JOIN street s ON s.id = c.street_id"
            " WHERE c.valid_to IS NULL AND s.code = :code",
            code=GUCHENG,
        )
    )
    assert {(a.code,) for a in mine.areas} == expected and 0 < len(expected) < 202
    assert {a.attrs["street"] for a in mine.areas} == {"古城街道"}
    assert _hausdorff_m(demo, mine.outlines, "community", GUCHENG) <= 10.5


def test_grids_carry_worker_and_population_and_respect_scope(demo):
    every = _with(demo, boundaries.grids, DISTRICT)
    assert len(every.areas) == one(demo, "SELECT count(*) FROM grid WHERE valid_to IS NULL")
    assert all(len(a.code) == 15 and a.code.isdigit() for a in every.areas)
    households = sum(a.attrs["households"] for a in every.areas)
    assert households == one(demo, "SELECT sum(households) FROM grid WHERE valid_to IS NULL")
    mine = _with(demo, boundaries.grids, STREET)
    n = one(
        demo,
        "SELECT count(*) FROM grid g JOIN community c ON c.id = g.community_id"
        " JOIN street s ON s.id = c.street_id WHERE g.valid_to IS NULL AND s.code = :code",
        code=GUCHENG,
    )
    assert len(mine.areas) == n and 0 < n < len(every.areas)
    assert len(mine.outlines.lon) < len(every.outlines.lon)


def test_street_list_and_extent_follow_the_scope(demo):
    assert len(_with(demo, boundaries.street_list, DISTRICT)) == 18
    assert _with(demo, boundaries.street_list, STREET) == [(GUCHENG, "古城街道")]
    whole, old_city = _with(demo, extent, DISTRICT), _with(demo, extent, STREET)
    assert whole.west < old_city.west < old_city.east < whole.east
    assert whole.south < old_city.south < old_city.north < whole.north
    assert 113.1 < whole.west < whole.east < 113.5 and 39.9 < whole.south < whole.north < 40.3


# --- buildings ----------------------------------------------------------------------------


def test_buildings_are_centroids_with_households_and_residents(demo):
    every = _with(demo, buildings.buildings, DISTRICT)
    assert len(every) == one(demo, "SELECT count(*) FROM building") > 1000
    totals = all_rows(demo, "SELECT sum(households), sum(residents) FROM building")[0]
    assert (every.households.sum(), every.residents.sum()) == totals
    box = _with(demo, extent, DISTRICT)
    assert box.west <= every.lon.min() and every.lon.max() <= box.east
    assert box.south <= every.lat.min() and every.lat.max() <= box.north
    mine = _with(demo, buildings.buildings, STREET)
    n = one(
        demo,
        "SELECT count(*) FROM building b JOIN community c ON c.id = b.community_id"
        " JOIN street s ON s.id = c.street_id WHERE s.code = :code",
        code=GUCHENG,
    )
    assert len(mine) == n and 0 < n < len(every)


# --- incident density ---------------------------------------------------------------------


def _last_30_days(engine):
    latest = _with(engine, density.latest_report, DISTRICT)
    assert latest is not None
    return TimeWindow.last_days(30, end=latest)


def test_density_counts_every_incident_in_the_window_once(demo):
    window = _last_30_days(demo)
    data = _with(demo, density.incident_density, DISTRICT, window=window)
    expected = one(
        demo,
        "SELECT count(*) FROM incident WHERE duplicate_of IS NULL AND reported_at >= :a AND reported_at < :b",
        a=window.since,
        b=window.until,
    )
    assert data.total == expected > 0
    assert (data.count >= 1).all()
    assert len(set(zip(data.lon.round(7), data.lat.round(7), strict=True))) == len(data.count)
    everything = _with(demo, density.incident_density, DISTRICT, window=ALL_TIME)
    assert everything.total == one(demo, "SELECT count(*) FROM incident WHERE duplicate_of IS NULL")


def test_density_bins_are_square_metric_cells_matching_numpy(demo):
    """The same cells and counts as binning lon/lat with numpy, and the cells are square in metres."""
    cell = 250.0
    data = _with(demo, density.incident_density, DISTRICT, cell_m=cell)
    lat0 = one(demo, "SELECT ST_Y(ST_Centroid(ST_Extent(geom))) FROM district WHERE valid_to IS NULL")
    f = np.radians(lat0)
    dy = cell / (111132.954 - 559.822 * np.cos(2 * f) + 1.175 * np.cos(4 * f))
    dx = cell / (111412.84 * np.cos(f) - 93.5 * np.cos(3 * f))
    xy = np.array(all_rows(demo, "SELECT ST_X(geom), ST_Y(geom) FROM incident WHERE duplicate_of IS NULL"))
    cells, counts = np.unique(np.floor(xy / [dx, dy]).astype(int), axis=0, return_counts=True)
    expected = {(int(i), int(j)): int(n) for (i, j), n in zip(cells, counts, strict=True)}
    ix, iy = data.lon / dx - 0.5, data.lat / dy - 0.5
    assert max(np.abs(ix - ix.round()).max(), np.abs(iy - iy.round()).max()) < 1e-6  # cell centres
    got = {(int(i), int(j)): int(n) for i, j, n in zip(ix.round(), iy.round(), data.count, strict=True)}
    assert got == expected
    # a cell at the district's centre measures cell × cell metres in EPSG:4547 (CGCS2000 GK)
    x, y = metric_transformer().transform(
        [data.lon[0], data.lon[0] + dx, data.lon[0]], [lat0, lat0, lat0 + dy]
    )
    assert (
        abs(np.hypot(x[1] - x[0], y[1] - y[0]) - cell) < 1.0
        and abs(np.hypot(x[2] - x[0], y[2] - y[0]) - cell) < 1.0
    )


def test_density_in_one_street_counts_only_that_street(demo):
    window = _last_30_days(demo)
    data = _with(demo, density.incident_density, STREET, window=window)
    expected = one(
        demo,
        "SELECT count(*) FROM incident i JOIN street s ON s.id = i.street_id WHERE s.code = :code"
        " AND i.duplicate_of IS NULL AND i.reported_at >= :a AND i.reported_at < :b",
        code=GUCHENG,
        a=window.since,
        b=window.until,
    )
    assert data.total == expected > 0
    assert data.total < _with(demo, density.incident_density, DISTRICT, window=window).total


def _cells(trace) -> Counter:
    """Incidents per cell centre (to 1e-4°, cells being ~2e-3° wide)."""
    centres = zip(np.round(trace.lon, 4), np.round(trace.lat, 4), strict=True)
    return Counter(dict(zip(centres, trace.z, strict=True)))


@pytest.mark.parametrize("scope", [DISTRICT, STREET, Scope.street("999999999999")], ids=str)
def test_density_from_held_incidents_draws_the_cells_the_query_does(demo, scope):
    """The layer map bins the incidents the server holds instead of querying: the same trace."""
    layer = default_registry()["density"]
    with demo.connect() as conn:
        latitude = one(demo, "SELECT ST_Y(ST_Centroid(ST_Extent(geom))) FROM district WHERE valid_to IS NULL")
        held = HeldIncidents(load(conn), latitude)
        for window in (_last_30_days(demo), ALL_TIME):
            (queried,) = layer.build(conn, scope, window=window)
            (drawn,) = layer.traces(conn, scope, window=window, held=held)
            assert sum(drawn.z) == sum(queried.z)
            # held coordinates are float32 (~1 m): an incident within a metre or so of a cell's
            # edge may fall on its other side, so a few incidents per hundred may move a cell —
            # by chance more in a street's few dozen (3 of 65 in one run): a small allowance too
            moved = (_cells(drawn) - _cells(queried)).total()
            assert moved <= 0.03 * sum(queried.z) + 4
            assert (len(drawn.z) > 0) == (scope.street_code != "999999999999")
            assert drawn.hovertemplate == queried.hovertemplate
            # the colour scale tops out at a count some cell has, near the queried cells' 98th percentile
            # (a moved incident may shift a cell's rank, never far); counts, not interpolations
            # between them: of a street's 47 cells the 98th percentile is the busiest one's count
            assert drawn.zmax in set(drawn.z) | {1}
            if len(queried.z):
                low, high = np.percentile(queried.z, 96, method="lower"), np.percentile(queried.z, 99.5, method="higher")  # fmt: skip
                assert low <= drawn.zmax <= high


def test_density_rejects_silly_cell_sizes(demo):
    for cell in (0.0, 10.0, 1e6):
        with pytest.raises(ValueError):
            _with(demo, density.incident_density, DISTRICT, cell_m=cell)


# --- the registry and its traces ----------------------------------------------------------


def test_registry_lists_the_five_layers_top_first():
    registry = default_registry()
    assert registry.keys() == ["streets", "communities", "grids", "buildings", "density"]
    assert registry.defaults() == ["streets", "communities", "grids", "density"]
    assert [layer.label_zh for layer in registry] == ["街道", "社区/村", "网格", "楼栋", "事件密度"]
    assert registry.drawing_order(["streets", "nonsense", "density"]) == ["density", "streets"]


def test_a_layer_key_cannot_be_registered_twice():
    registry = LayerRegistry()
    registry.layer(key="x", label_zh="甲", label_en="X", z=1)(lambda conn, scope, *, window: [])
    with pytest.raises(ValueError):
        registry.layer(key="x", label_zh="乙", label_en="X", z=2)(lambda conn, scope, *, window: [])


def test_every_layer_builds_maplibre_traces_for_both_scopes(demo):
    registry = default_registry()
    with demo.connect() as conn:
        for scope in (DISTRICT, STREET):
            for layer in registry:
                traces = layer.build(conn, scope, window=ALL_TIME)
                assert traces, layer.key
                assert {t.type for t in traces} <= MAP_TRACE_TYPES, layer.key


def test_the_street_layer_labels_and_hovers_every_street(demo):
    with demo.connect() as conn:
        outline, labels = default_registry()["streets"].build(conn, DISTRICT, window=ALL_TIME)
    assert outline.mode == "lines" and outline.hoverinfo == "skip"
    assert len(labels.lon) == 18 and "text" in labels.mode
    assert sorted(labels.text) == sorted(name for _, name in all_rows(demo, "SELECT code, name FROM street"))
    assert labels.hovertemplate.startswith("<b>%{customdata[0]}</b>")
    assert [row[1] for row in labels.customdata] == [
        a.code for a in _with(demo, boundaries.streets, DISTRICT).areas
    ]


def test_density_trace_is_a_densitymap_of_binned_counts(demo):
    with demo.connect() as conn:
        (trace,) = default_registry()["density"].build(conn, DISTRICT, window=ALL_TIME)
    assert trace.type == "densitymap"
    assert int(np.asarray(trace.z).sum()) == one(
        demo, "SELECT count(*) FROM incident WHERE duplicate_of IS NULL"
    )
    assert len(trace.z) < 10_000  # cells, never raw incidents


# --- escaping -----------------------------------------------------------------------------

NASTY = "<img src=x onerror=alert(1)>&amp;"


def _nasty_district(engine):
    from geo import migrate

    migrate.upgrade(engine)
    square = "MULTIPOLYGON(((113.3 40.0,113.31 40.0,113.31 40.01,113.3 40.01,113.3 40.0)))"
    with engine.begin() as conn:
        run = conn.execute
        ids = {}
        ids["d"] = run(
            sa.text(
                "INSERT INTO district(code, name, geom) VALUES ('140213', :n, ST_GeomFromText(:g, 4326)) RETURNING id"
            ),
            {"n": NASTY, "g": square},
        ).scalar_one()
        ids["s"] = run(
            sa.text(
                "INSERT INTO street(code, name, district_id, geom)"
                " VALUES (:c, :n, :d, ST_GeomFromText(:g, 4326)) RETURNING id"
            ),
            {"c": GUCHENG, "n": NASTY, "d": ids["d"], "g": square},
        ).scalar_one()
        ids["c"] = run(
            sa.text(
                "INSERT INTO community(code, name, kind, street_id, geom)"
                " VALUES ('140213051001', :n, 'community', :s, ST_GeomFromText(:g, 4326)) RETURNING id"
            ),
            {"n": NASTY, "s": ids["s"], "g": square},
        ).scalar_one()
        run(
            sa.text(
                "INSERT INTO grid(code, name, community_id, worker_name, worker_phone, geom)"
                " VALUES ('140213051001001', :n, :c, :n, '<b>1</b>', ST_GeomFromText(:g, 4326))"
            ),
            {"n": NASTY, "c": ids["c"], "g": square},
        )


def test_hover_text_escapes_names_from_the_data(scratch_engine):
    _nasty_district(scratch_engine)
    registry = default_registry()
    with scratch_engine.connect() as conn:
        for key in ("streets", "communities", "grids"):
            labels = registry[key].build(conn, DISTRICT, window=ALL_TIME)[1]
            cells = [str(v) for row in labels.customdata for v in row]
            assert "&lt;img src=x onerror=alert(1)&gt;&amp;amp;" in cells, key
            assert not any("<" in cell for cell in cells), key
            assert "<b>%{customdata[0]}</b>" in labels.hovertemplate  # our own markup survives
