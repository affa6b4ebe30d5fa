"""Incidents per 1,000 residents by grid, and where they cluster beyond chance (Getis-Ord Gi*).

A raw heatmap mostly shows where people live. Rates per 1,000 residents correct for that, and
Gi* (PySAL ``esda.G_Local`` with ``star=True``) asks whether a grid *and its neighbours*
together have rates higher (hot) or lower (cold) than the district as a whole, more than chance
would give. Neighbours are queen-contiguous grids (sharing an edge or a corner), row-standardised.
The z-scores' p-values use the normal approximation (no permutations: fast and stable on a
wall screen that refreshes every minute), and a grid is marked at the 99 %, 95 % or 90 % level.
Each grid's own weight (the "star") is the largest of its neighbours', as esda assumes for
row-standardised weights; the weights with it are prepared once per set of grids
(:func:`star_weights`), as a libpysal ``Graph`` esda uses as given — building them again on
every call was ~90 % of a 30 ms Gi* on 1,500 grids, paid on every change of the incidents.
Gi* always runs over the whole district, so a drill-down shows the district's clusters.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from esda.getisord import G_Local
from libpysal.graph import Graph
from libpysal.weights import Queen, W, fill_diagonal
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

from layers.drill import Drill
from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.tally import Counter, Sums, tally

LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))  # (p below, label): most significant first
_GRIDS = "SELECT id, residents, geom FROM grid WHERE valid_to IS NULL ORDER BY id"


@dataclass(frozen=True)
class GridWeights:
    """Current grids (ids, residents) and their queen-contiguity weights with each grid's own
    (see :func:`star_weights`), built once per process."""

    ids: np.ndarray
    residents: np.ndarray
    w: Graph

    @classmethod
    def load(cls, conn: Connection) -> GridWeights:
        grids = gpd.read_postgis(sa.text(_GRIDS), conn, geom_col="geom")
        with warnings.catch_warnings():  # islands (a grid with no neighbour) are reported, not fatal
            warnings.simplefilter("ignore")
            w = Queen.from_dataframe(grids, use_index=False)
        return cls(grids["id"].to_numpy(), grids["residents"].to_numpy(float), star_weights(w))


@dataclass(frozen=True)
class GridRates:
    """Per current grid: incidents, rate per 1,000 residents, Gi* z-score, p-value, class."""

    table: pd.DataFrame  # index grid_id; columns n, rate, z, p, cluster ('hot99' … 'cold90', '')


def grid_counter(f: IncidentFilter) -> Counter:
    """Incidents per grid id of everything ``f`` selects except the place (the whole district),
    reported from ``f.since`` to the clock (:mod:`layers.tally`)."""
    district = f.at(Drill())

    def count(facts: Facts, idx: NDArray[np.intp] | None, clock: float) -> Sums:
        grids = facts.grid[district.at_clock(clock).select(facts, idx)]
        return {"n": np.bincount(grids).astype(np.float64)}

    return Counter(count, epoch=("grids", district.unclocked()))


def grid_rates(facts: Facts, f: IncidentFilter, weights: GridWeights) -> GridRates:
    assert f.until is not None
    return grid_rates_of(tally(grid_counter(f), facts, f.until.timestamp()).sums, weights)


def grid_rates_of(sums: Sums, weights: GridWeights) -> GridRates:
    """Rates and Gi* per current grid from :func:`grid_counter`'s sums."""
    n = np.rint(sums["n"])
    inside = weights.ids < len(n)
    counts = np.zeros(len(weights.ids))
    counts[inside] = n[weights.ids[inside]]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(weights.residents > 0, counts / weights.residents * 1000.0, 0.0)
    z, p = gi_star(rate, weights.w)
    table = pd.DataFrame({"n": counts.astype(int), "rate": rate, "z": z, "p": p}, index=weights.ids)
    table["cluster"] = classify(z, p)
    return GridRates(table.rename_axis("grid_id"))


def star_weights(w: W) -> Graph:
    """Row-standardised contiguity weights ``w`` with each unit's own weight set to the largest of
    its row (what ``G_Local(star=True)`` does to row-standardised weights on every call)."""
    w.transform = "r"
    own = np.asarray(w.sparse.max(axis=1).todense()).flatten()
    with warnings.catch_warnings():  # islands (no neighbour, own weight 0) are reported, not fatal
        warnings.simplefilter("ignore")
        starred = fill_diagonal(w, own)
        starred.transform = "r"
        return Graph.from_W(starred)


def gi_star(values: np.ndarray, w: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided normal p-values (all zeros / ones when values do not vary) for
    weights from :func:`star_weights`."""
    if np.ptp(values) == 0:
        return np.zeros(len(values)), np.ones(len(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(values, w, transform="R", star=None, permutations=0)  # star: w's own weights
    z = np.nan_to_num(np.asarray(g.Zs, float))
    return z, np.minimum(2 * np.asarray(g.p_norm, float), 1.0)


def classify(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """'hot99', 'hot95', 'hot90', 'cold…' or '' (not significant at 90 %)."""
    out = np.full(len(z), "", dtype=object)
    for level, label in reversed(LEVELS):
        sig = p < level
        out[sig & (z > 0)] = f"hot{label}"
        out[sig & (z < 0)] = f"cold{label}"
    return out
