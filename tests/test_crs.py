"""GCJ-02 / BD-09 conversions: published forward formulas, iterative inverses < 0.01 m."""

import numpy as np
import pytest

from geo import crs

RNG = np.random.default_rng(7)
# the district's bounding box and a margin, WGS-84
LON = RNG.uniform(113.05, 113.55, 20_000)
LAT = RNG.uniform(39.85, 40.25, 20_000)


def _metres(lon_a, lat_a, lon_b, lat_b):
    t = crs.metric_transformer()
    xa, ya = t.transform(lon_a, lat_a)
    xb, yb = t.transform(lon_b, lat_b)
    return np.hypot(np.subtract(xa, xb), np.subtract(ya, yb))


def test_gcj02_round_trip_is_under_a_centimetre():
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(LON, LAT))
    assert _metres(LON, LAT, *back).max() < 0.01


def test_bd09_round_trip_is_under_a_centimetre():
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(LON, LAT))
    assert _metres(LON, LAT, *back).max() < 0.01


def test_offsets_have_the_size_measured_around_datong():
    gcj = _metres(LON, LAT, *crs.wgs84_to_gcj02(LON, LAT))
    bd = _metres(LON, LAT, *crs.wgs84_to_bd09(LON, LAT))
    assert 400 < gcj.mean() < 800  # ~600 m
    assert bd.mean() > gcj.mean() + 500  # Baidu adds several hundred metres more


def test_one_step_inverse_would_not_be_good_enough():
    """Why we iterate: subtracting the offset once leaves metres of error."""
    g_lon, g_lat = crs.wgs84_to_gcj02(LON, LAT)
    d_lon, d_lat = crs.wgs84_to_gcj02(g_lon, g_lat)
    naive = (2 * g_lon - d_lon, 2 * g_lat - d_lat)
    assert _metres(LON, LAT, *naive).max() > 0.1


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [  # Tiananmen: a widely published WGS-84 / GCJ-02 pair (to ~1e-5 degree)
        ((116.391248, 39.907487), (116.397491, 39.908886)),
    ],
)
def test_known_pair(wgs, gcj):
    lon, lat = crs.wgs84_to_gcj02(*wgs)
    assert _metres(lon, lat, *gcj) < 5.0


def test_scalars_and_arrays_both_work():
    lon, lat = crs.gcj02_to_wgs84(113.30, 40.09)
    assert lon.shape == () and 113.29 < lon < 113.30 and 40.08 < lat < 40.09
