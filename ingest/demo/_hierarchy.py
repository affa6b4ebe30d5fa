"""Synthetic street and community/village boundaries for the real Pingcheng divisions.

Streets are k-means regions of a density sample, so inner (urban) streets are small and
outer ones large; streets with more villages go further out. Communities partition their
street the same way, the densest regions becoming communities and the rest villages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from ingest.demo._lattice import CORE, Cells, density, kmeans, nearest, sample_density
from ingest.demo._reference import Division


@dataclass(frozen=True)
class Hierarchy:
    streets: list[Division]
    units: list[Division]  # communities and villages
    unit_street: NDArray[np.int64]  # index into streets, per unit
    unit_center: NDArray[np.float64]
    cell_street: NDArray[np.int64]
    cell_unit: NDArray[np.int64]


def _street_order(streets: list[Division], units: list[Division]) -> list[Division]:
    """The old city first, then by share of villages: urban streets inside, rural outside."""

    def key(street: Division) -> tuple[bool, float, int]:
        mine = [u for u in units if u.street_code == street.code]
        villages = sum(u.kind == "village" for u in mine)
        return (street.name != "古城街道", villages / len(mine), -len(mine))

    return sorted(streets, key=key)


def build_hierarchy(
    divisions: list[Division], cells: Cells, outline: BaseGeometry, rng: np.random.Generator
) -> Hierarchy:
    streets = [d for d in divisions if d.kind == "street"]
    units = [d for d in divisions if d.kind in ("community", "village")]
    sample = sample_density(outline, 120_000, rng)
    centers = kmeans(sample, len(streets), rng)
    by_distance = np.argsort(np.hypot(*(centers - CORE).T))
    ordered = _street_order(streets, units)
    street_center = np.empty_like(centers)
    for rank, street in enumerate(ordered):
        street_center[streets.index(street)] = centers[by_distance[rank]]
    cell_street = nearest(street_center, cells.center)
    sample_street = nearest(street_center, sample)
    unit_center = np.zeros((len(units), 2))
    for s, street in enumerate(streets):
        idx = [i for i, u in enumerate(units) if u.street_code == street.code]
        unit_center[idx] = _unit_centers([units[i] for i in idx], sample[sample_street == s], rng)
    cell_unit = np.empty(len(cells.col), dtype=np.int64)
    unit_street = np.array([streets.index(_street(streets, u)) for u in units])
    for s in range(len(streets)):
        mine = np.flatnonzero(unit_street == s)
        in_street = cell_street == s
        cell_unit[in_street] = mine[nearest(unit_center[mine], cells.center[in_street])]
    _check_nonempty(units, cell_unit)
    return Hierarchy(streets, units, unit_street, unit_center, cell_street, cell_unit)


def _unit_centers(
    units: list[Division], sample: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Centres for one street's units in code order: densest regions → communities."""
    centers = kmeans(sample, len(units), rng)
    centers = centers[np.argsort(-density(centers))]
    n_comm = sum(u.kind == "community" for u in units)
    out = np.empty_like(centers)
    comm = [i for i, u in enumerate(units) if u.kind == "community"]
    vill = [i for i, u in enumerate(units) if u.kind == "village"]
    for group, chosen in ((comm, centers[:n_comm]), (vill, centers[n_comm:])):
        order = np.lexsort((chosen[:, 0], -np.round(chosen[:, 1] / 500.0)))
        out[group] = chosen[order]
    return out


def _street(streets: list[Division], unit: Division) -> Division:
    return next(s for s in streets if s.code == unit.street_code)


def _check_nonempty(units: list[Division], cell_unit: NDArray[np.int64]) -> None:
    counts = np.bincount(cell_unit, minlength=len(units))
    empty = [units[i].name for i in np.flatnonzero(counts == 0)]
    if empty:
        raise RuntimeError(f"demo generator left units without area: {empty}")
