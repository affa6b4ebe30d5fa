"""Chinese coordinate systems: WGS-84, GCJ-02 (AMap, Tencent, WeChat) and BD-09 (Baidu).

GCJ-02 is WGS-84 plus a deliberate non-linear offset (~600 m around Datong); BD-09 adds a
further rotation and shift (~800 m). The forward offsets are the published formulas; the
inverses are fixed-point iterations, vectorised over numpy arrays, that stop when the
residual is below ~1e-10 degrees (about 0.01 mm), far inside the 0.01 m target.
WGS-84 and CGCS2000 (EPSG:4490) agree to centimetres and are treated as equal.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from pyproj.exceptions import ProjError

Array = NDArray[np.float64]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-10
_MAX_ITER = 30


def _offset(lon: Array, lat: Array) -> tuple[Array, Array]:
    """GCJ-02 minus WGS-84, in degrees, at WGS-84 positions (lon, lat)."""
    x, y = lon - 105.0, lat - 35.0
    common = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (common + 20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (common + 20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return d_lon, d_lat


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS-84 → GCJ-02 (the published forward formula)."""
    lon_a, lat_a = _arrays(lon, lat)
    d_lon, d_lat = _offset(lon_a, lat_a)
    return lon_a + d_lon, lat_a + d_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward formula."""
    return _invert(wgs84_to_gcj02, *_arrays(lon, lat))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → GCJ-02 by fixed-point iteration of the forward formula."""
    return _invert(gcj02_to_bd09, *_arrays(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _invert(
    forward: Callable[[Array, Array], tuple[Array, Array]], lon: Array, lat: Array
) -> tuple[Array, Array]:
    """Solve forward(x) = target: x ← x − (forward(x) − target) until the residual is tiny."""
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if np.all(np.abs(dx) < _TOLERANCE_DEG) and np.all(np.abs(dy) < _TOLERANCE_DEG):
            break
    return x, y


_PER_THREAD = threading.local()  # pyproj transformers are not thread-safe: one per thread


@functools.cache
def _pipeline(source: int, target: int) -> str | None:
    """The PROJ pipeline from ``source`` to ``target`` (lon/lat order), worked out once per process
    (searching PROJ's database takes ~100 ms); None where PROJ picks among several operations
    only when it transforms (then each thread searches for itself)."""
    definition: str = Transformer.from_crs(source, target, always_xy=True).definition
    try:
        Transformer.from_pipeline(definition)
    except ProjError:
        return None
    return definition


def transformer(source: int, target: int) -> Transformer:
    """A transformer (lon/lat order) for this thread, made from the process's pipeline (~0.2 ms):
    ingest jobs run on short-lived threads, which would otherwise each pay the search."""
    cache: dict[tuple[int, int], Transformer] = _PER_THREAD.__dict__.setdefault("transformers", {})
    if (source, target) not in cache:
        definition = _pipeline(source, target)
        cache[(source, target)] = (
            Transformer.from_crs(source, target, always_xy=True)
            if definition is None
            else Transformer.from_pipeline(definition)
        )
    return cache[(source, target)]


def metric_transformer() -> Transformer:
    """WGS-84 lon/lat → EPSG:4547 metres (CGCS2000 / 3-degree GK CM 114E)."""
    return transformer(4326, 4547)


def geographic_transformer() -> Transformer:
    """EPSG:4547 metres → WGS-84 lon/lat."""
    return transformer(4547, 4326)
