"""Coordinates from input files → WGS-84: declared CRS, Chinese offsets, swapped lat/lon."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo import crs as cn
from geo.errors import InputError

_NAMED = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "cgcs2000": "wgs84",
    "epsg:4490": "wgs84",
    "4490": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "火星坐标": "gcj02",
    "高德": "gcj02",
    "腾讯": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "百度": "bd09",
}
CRS_CHOICES = "wgs84, cgcs2000, gcj02, bd09 or EPSG:n"
# China's extent, generously: lon 73–136 E, lat 3–54 N
_LON, _LAT = (73.0, 136.0), (3.0, 54.0)


@dataclass(frozen=True)
class CoordSystem:
    """A declared coordinate system: ``wgs84`` (incl. CGCS2000), ``gcj02``, ``bd09`` or a pyproj CRS."""

    name: str
    epsg: int | None = None

    def to_wgs84(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if self.name == "gcj02":
            return cn.gcj02_to_wgs84(x, y)
        if self.name == "bd09":
            return cn.bd09_to_wgs84(x, y)
        if self.epsg is not None:
            lon, lat = cn.transformer(self.epsg, 4326).transform(x, y)
            return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        return x, y

    @property
    def geographic(self) -> bool:
        return self.epsg is None or CRS.from_epsg(self.epsg).is_geographic


def parse_crs(text: str) -> CoordSystem:
    """``--crs`` or a file's CRS string → CoordSystem; a clear error for anything else."""
    key = text.strip().lower().replace(" ", "")
    if key in _NAMED:
        return CoordSystem(_NAMED[key])
    try:
        found = CRS.from_user_input(text.strip())
    except CRSError:
        raise InputError(f"unknown coordinate system {text!r}; use {CRS_CHOICES}") from None
    epsg = found.to_epsg()
    if epsg in (4326, 4490):
        return CoordSystem("wgs84")
    if epsg is None:
        raise InputError(
            f"coordinate system {text!r} has no EPSG code; reproject the file or pass --crs EPSG:n"
        )
    return CoordSystem(f"EPSG:{epsg}", epsg)


def swapped(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rows whose longitude and latitude were written the wrong way round (degrees in China)."""
    in_china = (lon >= _LON[0]) & (lon <= _LON[1]) & (lat >= _LAT[0]) & (lat <= _LAT[1])
    flipped = (lat >= _LON[0]) & (lat <= _LON[1]) & (lon >= _LAT[0]) & (lon <= _LAT[1])
    return flipped & ~in_china


def check_not_mixed(x: pd.Series, y: pd.Series, rows: pd.Series, system: CoordSystem) -> None:
    """Refuse a file whose coordinates mix degrees and projected metres."""
    present = x.notna() & y.notna()
    metres = present & ((x.abs() > 360) | (y.abs() > 360))
    if not present.any() or not metres.any():
        if system.geographic or not present.any():
            return
        raise InputError(
            f"--crs {system.name} is projected (metres) but the coordinates look like degrees; "
            f"use --crs wgs84, gcj02 or bd09"
        )
    degrees = present & ~metres
    if degrees.any():
        raise InputError(
            f"mixed coordinate systems: row {int(rows[degrees].iloc[0])} looks like degrees but row "
            f"{int(rows[metres].iloc[0])} like projected metres; split the file and ingest each with its --crs"
        )
    if system.geographic:
        raise InputError(
            f"the coordinates look like projected metres (e.g. row {int(rows[metres].iloc[0])}); "
            "pass --crs EPSG:n for their projection, e.g. EPSG:4547"
        )
