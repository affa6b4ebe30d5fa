"""Synthetic buildings: apartment blocks, old bungalow rows in the old city, village courtyards.

One building stands inside each built lattice cell, clear of the lanes on the cell edges.
Urban buildings are grouped into compounds (小区) of up to 5×5 cells and numbered within
them north→south, west→east, so every building has a unique canonical address.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from ingest.demo._hierarchy import Hierarchy
from ingest.demo._lattice import CORE, Cells
from ingest.demo._names import CompoundNames

OLD_CITY_HALF_M = 1300.0


@dataclass(frozen=True)
class _Kind:
    name: str
    suffix: str  # how the address names the building


APARTMENT, BUNGALOW, COURTYARD = (
    _Kind("apartment", "号楼"),
    _Kind("bungalow", "号院"),
    _Kind("courtyard", "号院"),
)


def _built(cells: Cells, h: Hierarchy, rng: np.random.Generator) -> NDArray[np.bool_]:
    is_village = np.array([u.kind == "village" for u in h.units])[h.cell_unit]
    r = np.hypot(*(cells.center - CORE).T)
    d_village = np.hypot(*(cells.center - h.unit_center[h.cell_unit]).T)
    p = np.where(
        is_village,
        0.85 * np.exp(-((d_village / 300.0) ** 2)) + 0.003,
        0.2 + 0.4 * np.exp(-((r / 4500.0) ** 2)),
    )
    return cells.full & (rng.uniform(size=len(p)) < p)


def _kinds(xy: NDArray[np.float64], village: NDArray[np.bool_], rng: np.random.Generator) -> NDArray[np.str_]:
    old_city = np.all(np.abs(xy - CORE) < OLD_CITY_HALF_M, axis=1)
    bungalow = rng.uniform(size=len(xy)) < np.where(old_city, 0.7, 0.3)  # old city; 城中村
    return np.where(village, COURTYARD.name, np.where(bungalow, BUNGALOW.name, APARTMENT.name))


def _sizes(kind: NDArray[np.str_], r: NDArray[np.float64], rng: np.random.Generator) -> pd.DataFrame:
    n = len(kind)
    old_floors = rng.choice([4, 5, 6, 6], size=n)
    new_floors = rng.choice([6, 6, 11, 18, 26], size=n, p=[0.4, 0.25, 0.18, 0.12, 0.05])
    floors = np.where(r < 3000, old_floors, new_floors)
    units = rng.integers(1, 4, size=n)
    apt = kind == APARTMENT.name
    households = np.where(
        apt, floors * units * 2, np.where(kind == BUNGALOW.name, rng.integers(2, 9, n), rng.integers(2, 5, n))
    )
    return pd.DataFrame(
        {
            "floors": np.where(apt, floors, 1),
            "households": households,
            "residents": np.maximum(households, rng.poisson(households * 2.55)),
            "width": np.where(apt, units * 12.0, np.where(kind == BUNGALOW.name, 36.0, 22.0)),
            "depth": np.where(apt, 11.0, np.where(kind == BUNGALOW.name, 14.0, 22.0)),
        }
    )


def build_buildings(cells: Cells, h: Hierarchy, rng: np.random.Generator) -> pd.DataFrame:
    """One row per building: cell, unit, kind, sizes, footprint (metric), compound, number."""
    idx = np.flatnonzero(_built(cells, h, rng))
    xy = cells.center[idx]
    unit = h.cell_unit[idx]
    village = np.array([u.kind == "village" for u in h.units])[unit]
    kind = _kinds(xy, village, rng)
    frame = _sizes(kind, np.hypot(*(xy - CORE).T), rng)
    frame.insert(0, "cell", idx)
    frame.insert(1, "unit", unit)
    frame.insert(2, "kind", kind)
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    frame["geom"] = shapely.box(
        frame.x - frame.width / 2,
        frame.y - frame.depth / 2,
        frame.x + frame.width / 2,
        frame.y + frame.depth / 2,
    )
    _name_compounds(frame, cells, h, rng)
    _address(frame, h)
    return frame.drop(columns=["width", "depth"]).reset_index(drop=True)


def _name_compounds(frame: pd.DataFrame, cells: Cells, h: Hierarchy, rng: np.random.Generator) -> None:
    col, row = cells.col[frame.cell], cells.row[frame.cell]
    block = pd.Series(list(zip(frame.unit, col // 5, row // 5, strict=True)), index=frame.index)
    village = frame.kind == COURTYARD.name
    block[village] = [(u, -1, -1) for u in frame.unit[village]]
    frame["compound"] = ""
    names_for = CompoundNames(rng)
    for unit, blocks in block.groupby(frame.unit):
        keys = sorted(set(blocks), key=lambda k: (-k[2], k[1]))
        if h.units[unit].kind == "village":
            names = [h.units[unit].short_name] * len(keys)
        else:
            names = names_for.take(len(keys))
        lookup = dict(zip(keys, names, strict=True))
        frame.loc[blocks.index, "compound"] = [lookup[k] for k in blocks]
    order = np.lexsort((col, -row))
    frame["number"] = ""
    ranks = frame.iloc[order].groupby(["unit", "compound"]).cumcount() + 1
    frame.loc[ranks.index, "number"] = ranks.astype(str)


def _address(frame: pd.DataFrame, h: Hierarchy) -> None:
    street = [h.streets[h.unit_street[u]].name for u in frame.unit]
    unit = [h.units[u].short_name for u in frame.unit]
    suffix = np.where(frame.kind == APARTMENT.name, APARTMENT.suffix, BUNGALOW.suffix)
    village = frame.kind == COURTYARD.name
    place = np.where(village, "", frame.compound)
    frame["address"] = [
        f"{s}{u}{p}{n}{x}" for s, u, p, n, x in zip(street, unit, place, frame.number, suffix, strict=True)
    ]
