"""Grid assignment: the label raster a large batch uses agrees with the exact per-point test."""

from __future__ import annotations

import numpy as np
import shapely
import sqlalchemy as sa

from ingest._raster import EDGE, NONE, LabelRaster
from ingest.locate import RASTER_FROM, Locator, LocatorCache


def _points_near_edges(locator: Locator, rng: np.random.Generator, n: int) -> np.ndarray:
    """Points on and just beside the grids' edges (metres or less away), where cells are mixed."""
    edges = shapely.get_coordinates(shapely.boundary(locator.levels["grid"].tree.geometries))
    picked = edges[rng.integers(0, len(edges), n)] + rng.normal(0, 2e-5, (n, 2))
    return shapely.points(picked)


def test_large_batches_are_assigned_exactly_as_point_by_point(demo):
    with demo.connect() as conn:
        locator = Locator.load(conn)
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = shapely.total_bounds(locator.levels["street"].tree.geometries)
    spread = shapely.points(
        rng.uniform(x0 - 0.01, x1 + 0.01, 30_000), rng.uniform(y0 - 0.01, y1 + 0.01, 30_000)
    )
    points = np.concatenate([spread, _points_near_edges(locator, rng, 20_000)])
    assert len(points) >= RASTER_FROM
    whole = locator.assign(points)  # the raster, then the trees for what it cannot place
    exact = [locator.assign(part) for part in np.array_split(points, 10)]  # below RASTER_FROM: trees only
    for key, values in whole.items():
        expected = np.concatenate([part[key] for part in exact])
        np.testing.assert_array_equal(values, expected, err_msg=key)
    assert np.isfinite(whole["grid_id"]).sum() > 20_000 and np.isnan(whole["street_id"]).sum() > 1_000


def test_the_raster_says_edge_wherever_a_cell_is_not_wholly_in_one_grid(demo):
    with demo.connect() as conn:
        tree = Locator.load(conn).levels["grid"].tree
    raster = LabelRaster.over(tree, cell=0.0002)
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = shapely.total_bounds(tree.geometries)
    x, y = rng.uniform(x0 - 0.005, x1 + 0.005, 100_000), rng.uniform(y0 - 0.005, y1 + 0.005, 100_000)
    found = raster.lookup(x, y)
    placed = found >= 0
    hit_point, hit_grid = tree.query(shapely.points(x, y), predicate="within")
    exact = np.full(len(x), NONE)
    exact[hit_point] = hit_grid
    np.testing.assert_array_equal(found[placed], exact[placed])
    assert (exact[found == NONE] == NONE).all()
    assert 0 < (found == EDGE).mean() < 0.9 and placed.mean() > 0.1


def test_the_intakes_locator_is_kept_until_a_boundary_changes_even_redrawn_in_place(demo):
    """A second boundary load on the same day updates rows in place (same id, same valid_from):
    the kept locator must still be replaced, and place points by the new outline."""
    cache = LocatorCache()
    with demo.connect() as conn, conn.begin() as trans:
        first = cache(conn)
        assert cache(conn) is first
        grid_id, x, y = conn.execute(
            sa.text(
                "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grid "
                "WHERE valid_to IS NULL ORDER BY id LIMIT 1"
            )
        ).one()
        assert first.assign(shapely.points([x], [y]))["grid_id"][0] == grid_id
        conn.execute(
            sa.text("UPDATE grid SET geom = ST_Multi(ST_Translate(geom, 1, 0)) WHERE id = :id"),
            {"id": grid_id},
        )  # moved a degree east, as a same-day reload would rewrite it
        second = cache(conn)
        assert second is not first
        assert second.assign(shapely.points([x], [y]))["grid_id"][0] != grid_id
        assert second.assign(shapely.points([x + 1], [y]))["grid_id"][0] == grid_id
        trans.rollback()
