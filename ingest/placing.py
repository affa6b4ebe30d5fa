"""Where each input row is: a file geometry, a WKT cell, lon/lat cells or an address.

Everything ends in WGS-84: shapely geometries, or x + y·i numbers for a kind that takes its
lon/lat points so (``ingest/_xy.py``). Rows that cannot be placed get a reason; the
file as a whole is refused only when it cannot be placed at all (no CRS for coordinates).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.errors import InputError
from ingest import _xy
from ingest.coords import CRS_CHOICES, CoordSystem, check_not_mixed, parse_crs, swapped
from ingest.fields import clean_text, to_float
from ingest.locate import Locator

GEOMETRY_TYPES = {
    "point": ("Point",),
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString"),
}


class Geocoder(Protocol):
    def locate(self, addresses: pd.Series) -> pd.DataFrame:
        """Columns ``geom`` (WGS-84 point or None), ``match_level``, ``match_score``, ``reason``."""
        ...


@dataclass
class Placed:
    geom: _xy.Geoms
    reason: pd.Series
    columns: dict[str, pd.Series] = field(
        default_factory=dict
    )  # raw_x, raw_y, raw_crs, match_level, match_score
    notes: Counter[str] = field(default_factory=Counter)


def _to_wgs84(geoms: NDArray[np.object_], system: CoordSystem) -> NDArray[np.object_]:
    def convert(c: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(system.to_wgs84(c[:, 0], c[:, 1]))

    return shapely.transform(geoms, convert)


def _need_crs(system: CoordSystem | None, what: str) -> CoordSystem:
    if system is None:
        raise InputError(
            f"{what} but no coordinate system is known: pass --crs ({CRS_CHOICES}); "
            "data from mini-programs and AMap/Tencent is usually gcj02, Baidu bd09"
        )
    return system


def _no_reason(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(None, index=frame.index, dtype=object)


def _from_file(frame: pd.DataFrame, system: CoordSystem | None) -> Placed:
    system = _need_crs(system, "the file's features have no CRS")
    geoms = _to_wgs84(frame["geometry"].to_numpy(dtype=object), system)
    reason = _no_reason(frame)
    reason[shapely.is_missing(geoms) | shapely.is_empty(geoms)] = "缺少几何图形 (no geometry)"
    return Placed(geoms, reason)


def _from_wkt(frame: pd.DataFrame, system: CoordSystem | None) -> Placed:
    text = clean_text(frame["wkt"])
    absent = text.isna().to_numpy()
    with np.errstate(over="ignore"):  # POINT(1e400 40) reads as inf, refused by _check_finite
        geoms = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="ignore")
    empty = shapely.is_empty(geoms)
    geoms[absent | empty] = None
    reason = _no_reason(frame)
    reason[absent] = "缺少 WKT (no WKT)"
    reason[~absent & shapely.is_missing(geoms)] = "WKT 无法解析 (unreadable WKT)"
    reason[empty] = "WKT 为空几何 (empty WKT geometry)"
    if (~shapely.is_missing(geoms)).any():
        geoms = _to_wgs84(geoms, _need_crs(system, "the file has WKT coordinates"))
    return Placed(geoms, reason)


def _row_systems(frame: pd.DataFrame, system: CoordSystem | None) -> pd.Series:
    """Each row's coordinate system name: its own ``crs`` cell if the file has one, else the
    declared one ("" when neither says)."""
    declared = system.name if system else ""
    if "crs" not in frame:
        return pd.Series(declared, index=frame.index, dtype=object)
    cells = clean_text(frame["crs"])
    names = {v: parse_crs(v).name for v in cells.dropna().unique()}
    named = cells.astype(object).map(names).astype(object)  # a batch with no crs cell maps to float
    named[named.isna()] = declared
    return named


def _from_lonlat(frame: pd.DataFrame, system: CoordSystem | None, *, xy_points: bool) -> Placed:
    cells = {column: clean_text(frame[column]) for column in ("lon", "lat")}
    x, y = to_float(cells["lon"]), to_float(cells["lat"])
    names = _row_systems(frame, system)
    geom = _xy.empty(len(frame)) if xy_points else np.full(len(frame), None, dtype=object)
    placed = Placed(geom, _no_reason(frame))
    for name, rows in frame.groupby(names).groups.items():
        row_system = _need_crs(parse_crs(name) if name else None, "the file has longitude/latitude")
        _convert_points(placed, x.loc[rows], y.loc[rows], frame.loc[rows, "_row"], row_system)
    present = x.notna() & y.notna()
    placed.reason[~present] = "缺少经纬度 (no longitude/latitude)"
    for text, values in ((cells["lon"], x), (cells["lat"], y)):
        unreadable = (text.notna() & values.isna()).to_numpy()
        placed.reason[unreadable] = "经纬度「" + text[unreadable] + "」不是有效的数值 (unreadable coordinate)"
    placed.columns = {"raw_x": x, "raw_y": y, "raw_crs": names.mask(~present | (names == ""), None)}
    return placed


def _convert_points(placed: Placed, x: pd.Series, y: pd.Series, rows: pd.Series, system: CoordSystem) -> None:
    check_not_mixed(x, y, rows, system)
    lon, lat = x.to_numpy(float), y.to_numpy(float)
    flip = swapped(lon, lat) if system.geographic else np.zeros(len(lon), bool)
    lon, lat = np.where(flip, lat, lon), np.where(flip, lon, lat)
    placed.notes["swapped longitude/latitude fixed"] += int(flip.sum())
    ok = ~(np.isnan(lon) | np.isnan(lat))
    wlon, wlat = system.to_wgs84(lon[ok], lat[ok])
    positions = placed.reason.index.get_indexer(x.index)
    at = positions[ok]
    placed.geom[at] = wlon + 1j * wlat if _xy.is_xy(placed.geom) else shapely.points(wlon, wlat)


def place(
    frame: pd.DataFrame,
    *,
    system: CoordSystem | None,
    geometry: str,
    locator: Locator,
    geocoder: Geocoder | None,
    xy_points: bool = False,
) -> Placed:
    """Geometry (WGS-84) and a reason for every row that cannot be placed inside the district.
    With ``xy_points``, lon/lat rows come as x + y·i numbers (unless addresses fill the gaps)."""
    if "geometry" in frame:
        placed = _from_file(frame, system)
    elif "wkt" in frame:
        placed = _from_wkt(frame, system)
    elif "lon" in frame and "lat" in frame:
        geocoding = "address" in frame and geocoder is not None
        placed = _from_lonlat(frame, system, xy_points=xy_points and not geocoding)
    else:
        placed = Placed(
            np.full(len(frame), None, dtype=object),
            pd.Series("缺少位置 (no location)", index=frame.index, dtype=object),
        )
    if "address" in frame and geocoder is not None:
        _geocode_rest(placed, frame, geocoder)
    _check_finite(placed)
    _check_types(placed, geometry)
    _check_inside(placed, locator)
    return placed


def _check_finite(placed: Placed) -> None:
    """Coordinates that are NaN, infinite or beyond ±180/±90 after conversion (``POINT(nan
    nan)``, a file's NaN, a latitude of 113) place nothing: the row gets a reason instead."""
    geoms = placed.geom
    if _xy.is_xy(geoms):
        lon, lat, rows = geoms.real, geoms.imag, np.arange(len(geoms))
        has = ~_xy.missing(geoms)
        lon, lat, rows = lon[has], lat[has], rows[has]
    else:
        coords, rows = shapely.get_coordinates(geoms, return_index=True)
        lon, lat = coords[:, 0], coords[:, 1]
    with np.errstate(invalid="ignore"):
        wrong = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))  # NaN compares False
    bad = np.zeros(len(geoms), dtype=bool)
    bad[rows[wrong]] = True
    if bad.any():
        placed.reason[bad & placed.reason.isna().to_numpy()] = (
            "坐标不是有效的经纬度 (coordinate NaN, infinite or beyond ±180/±90)"
        )
        placed.geom[bad] = complex(np.nan, np.nan) if _xy.is_xy(geoms) else None


def _geocode_rest(placed: Placed, frame: pd.DataFrame, geocoder: Geocoder) -> None:
    todo = shapely.is_missing(placed.geom) & clean_text(frame["address"]).notna().to_numpy()
    level = pd.Series("coordinates", index=frame.index, dtype=object).where(
        ~shapely.is_missing(placed.geom), None
    )
    score = pd.Series(1.0, index=frame.index).where(level.notna())
    if todo.any():
        found = geocoder.locate(frame.loc[todo, "address"])
        placed.geom[todo] = found["geom"].to_numpy(dtype=object)
        placed.reason[todo] = found["reason"].to_numpy(dtype=object)
        level[todo] = found["match_level"].to_numpy(dtype=object)
        score[todo] = found["match_score"].to_numpy(dtype=float, na_value=np.nan)  # None where unmatched
        placed.notes["geocoded from address"] += int((~shapely.is_missing(placed.geom[todo])).sum())
    placed.columns.update({"match_level": level, "match_score": score})


def _check_types(placed: Placed, geometry: str) -> None:
    wanted = GEOMETRY_TYPES[geometry]
    if _xy.is_xy(placed.geom):
        if "Point" not in wanted:
            placed.geom = _xy.points(placed.geom)  # checked (and refused) as geometries below
        else:
            return
    types = shapely.get_type_id(placed.geom)
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ]
    )
    has = types >= 0
    bad = has & ~np.isin(names[np.where(has, types, 0)], wanted)
    placed.reason[bad & placed.reason.isna().to_numpy()] = (
        f"几何类型不符, 需要 {'/'.join(wanted)} (wrong geometry type)"
    )
    placed.geom[bad] = None


def _check_inside(placed: Placed, locator: Locator) -> None:
    has = ~_xy.missing(placed.geom)
    if not has.any() or locator.district is None:
        return
    dist = np.zeros(len(placed.geom))
    dist[has] = locator.outside(placed.geom[has])
    out = dist > 0
    placed.reason[out] = [_outside(d) for d in dist[out]]
    placed.geom[out] = complex(np.nan, np.nan) if _xy.is_xy(placed.geom) else None


def _outside(metres: float) -> str:
    if not np.isfinite(metres):  # beyond what the district's metric projection can measure
        return "位于辖区外很远 (far outside the district)"
    return f"位于辖区外 {metres:,.0f} 米 (outside the district by {metres:,.0f} m)"
