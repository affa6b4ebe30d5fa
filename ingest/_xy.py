"""Points as complex numbers, x + y·i: the lon/lat path's geometry column without GEOS objects.

Creating a shapely point costs about 0.7 µs; a million-row file of coordinates would spend most
of a second on objects that are only ever read back as numbers. Kinds that opt in
(``IngestKind.xy_points``) get their ``geom`` column as complex128 (NaN where missing): the
district check, the grid lookup, the duplicate search and the COPY encoder read the numbers, and
shapely points are made only for the few rows that need an exact geometric test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

XY = NDArray[np.complex128]
Geoms = NDArray[Any]  # shapely geometries (object) or x + y·i (complex128)


def empty(n: int) -> XY:
    return np.full(n, complex(np.nan, np.nan), dtype=np.complex128)


def is_xy(values: NDArray[np.generic]) -> bool:
    return values.dtype == np.complex128


def missing(values: NDArray[np.generic]) -> NDArray[np.bool_]:
    """Rows without a geometry, for either kind of column."""
    return np.isnan(values.real) if is_xy(values) else shapely.is_missing(values)


def points(values: Geoms) -> NDArray[np.object_]:
    """Shapely points (None where missing), for the rows that need real geometries."""
    out = np.full(len(values), None, dtype=object)
    has = ~np.isnan(values.real)
    out[has] = shapely.points(values.real[has], values.imag[has])
    return out
