"""How many people each service point's staff serve (服务负荷), and which points are overloaded.

A point serves the people counted (residents, or the group its type serves) of the buildings
within the walking threshold whose nearest point it is (``layers/coverage.catchments``); its load
is those people per member of staff. A point is overloaded when its load is over the type's
``people_per_staff`` (the district file), or, with no norm set, over twice the median load of the
type's points with staff recorded. Points with no staff recorded are listed, never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

MEDIAN_TIMES = 2.0  # with no norm: overloaded past this many times the type's median load


@dataclass(frozen=True)
class Load:
    table: pd.DataFrame  # id, name, people, staff, per_staff, overloaded; the most loaded first
    limit: float | None  # people per staff past which a point is overloaded (None: no point to compare)
    rule: str  # "norm" (the district file's) or "median"

    @property
    def overloaded(self) -> int:
        return int(self.table["overloaded"].sum())


def _limit(per_staff: pd.Series, norm: int | None) -> tuple[float | None, str]:
    if norm is not None:
        return float(norm), "norm"
    known = per_staff.dropna()
    return (float(known.median()) * MEDIAN_TIMES if len(known) else None), "median"


def loads(
    points: pd.DataFrame, owner: NDArray[np.int64], people: NDArray[np.float64], *, norm: int | None
) -> Load:
    """``points`` (id, name, staff; in the order ``owner`` numbers them), ``owner`` each
    building's point (-1: none within the threshold), ``people`` each building's people counted."""
    served = owner >= 0
    totals = np.bincount(owner[served], weights=people[served], minlength=len(points))[: len(points)]
    staff = points["staff"].astype(float).where(points["staff"] > 0)
    table = pd.DataFrame({"id": points["id"].to_numpy(), "name": points["name"].to_numpy(), "people": totals,
                          "staff": staff.to_numpy()})  # fmt: skip
    table["per_staff"] = table["people"] / table["staff"]
    limit, rule = _limit(table["per_staff"], norm)
    table["overloaded"] = (table["per_staff"] > limit).to_numpy() if limit is not None else False
    ordered = table.sort_values(["per_staff", "people"], ascending=False, na_position="last")
    return Load(ordered.reset_index(drop=True), limit, rule)
