"""Does a boundary file hold the level it is loaded as? Streets loaded as communities (the wrong
layer of a GeoPackage) would otherwise go in quietly: a street's code names itself as its parent.

Codes follow the national statistical layout: district 6 digits; street (街道/乡镇) 12 digits
ending in 000; community/village 12 digits not ending in 000; grid 15 digits (its community's
code and a 3-digit sequence). Areas: a level's features are smaller than their parents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError

ZH = {"district": "区县", "street": "街道", "community": "社区/村", "grid": "网格"}
_SHAPES = {  # level → regular expression of its codes
    "district": r"\d{6}",
    "street": r"\d{6}(?!000)\d{3}000",
    "community": r"\d{9}(?!000)\d{3}",
    "grid": r"\d{15}",
}
_M2_PER_DEG2 = 111_320.0**2


def code_shape_reasons(codes: pd.Series, level: str) -> pd.Series:
    """Per row: why the code cannot be a ``level`` code (None when it can), naming the level it fits."""
    fits = codes.str.fullmatch(_SHAPES[level]).fillna(False).astype(bool)
    reasons = pd.Series(None, index=codes.index, dtype=object)
    for other, shape in _SHAPES.items():
        looks = ~fits & codes.str.fullmatch(shape).fillna(False).astype(bool) & reasons.isna()
        reasons[looks] = f"代码形如{ZH[other]}代码 (code has the form of a {other} code, not a {level} code)"
    reasons[~fits & reasons.isna()] = f"代码不是{ZH[level]}代码 (not a {level} code: {_SHAPES[level]})"
    return reasons


def refuse_wrong_level(reasons: pd.Series, level: str, *, file_rows: int) -> None:
    """Most codes of another level's shape: the whole file is the wrong layer, not a few typos."""
    bad = int(reasons.notna().sum())
    if file_rows >= 2 and bad * 2 > file_rows:
        common = reasons.dropna().mode().iloc[0]
        raise InputError(
            f"{bad} of {file_rows} features have codes that are not {level} codes ({common}); "
            f"is this the right file or --layer for --level {level}?"
        )


def areas_m2(geoms: np.ndarray) -> np.ndarray:
    """Approximate areas in m² of WGS-84 polygons (enough to compare a child with its parent)."""
    lat = np.radians(shapely.get_coordinates(shapely.centroid(geoms))[:, 1])
    return np.asarray(shapely.area(geoms), dtype=float) * _M2_PER_DEG2 * np.cos(lat)


def refuse_parent_sized(child_m2: np.ndarray, parent_m2: np.ndarray, level: str, parent: str) -> None:
    """Most features as large as their parent: this is the parent level again (or its copy)."""
    known = ~np.isnan(parent_m2) & (parent_m2 > 0)
    if known.sum() < 3:
        return
    big = child_m2[known] >= 0.9 * parent_m2[known]
    if big.mean() >= 0.8:
        raise InputError(
            f"{int(big.sum())} of {int(known.sum())} {level} features are as large as their {parent}: "
            f"is this the {parent} layer? Load the {level} boundaries (--layer) instead"
        )
