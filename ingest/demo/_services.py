"""Synthetic service-point locations for the real service network: the employment and social
security points, one per street, community and village (seed 004: "在该区18个街道、155个社区、
48个村设立了就业社保服务点", 221 in all; the 2023 code list the demo uses has 47 villages, so
the demo has 220 and invents none), plus the other types in ``geo.service_types``. Each stands
at a building near the middle of its area.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.service_types import SERVICE_TYPES
from ingest.demo._hierarchy import Hierarchy


def _central_building(buildings: pd.DataFrame, mask: np.ndarray) -> int:
    """Index of the building of ``mask`` nearest the residents' centre of gravity."""
    idx = np.flatnonzero(mask)
    xy = buildings[["x", "y"]].to_numpy()[idx]
    centre = np.average(xy, axis=0, weights=buildings.residents.to_numpy()[idx])
    return int(idx[np.argmin(np.hypot(*(xy - centre).T))])


def _point(
    kind: str, name: str, level: str, building: int, street: int, unit: int | None, staff: int
) -> dict[str, object]:
    return {
        "kind": kind,
        "name": name,
        "level": level,
        "building": building,
        "street": street,
        "unit": unit,
        "staff": staff,
        "opening_hours": SERVICE_TYPES[kind].opening_hours,
    }


def build_service_points(buildings: pd.DataFrame, h: Hierarchy, rng: np.random.Generator) -> pd.DataFrame:
    street_of = h.unit_street[buildings.unit.to_numpy()]
    rows = []
    for s, street in enumerate(h.streets):
        b = _central_building(buildings, street_of == s)
        rows.append(_point("employment", f"{street.name}就业社保服务站", "street", b, s, None, 2))
        rows.append(_point("civilisation", f"{street.name}新时代文明实践所", "street", b, s, None, 3))
        rows.append(_point("service_window", f"{street.name}便民服务窗口", "street", b, s, None, 2))
        other = _central_building(buildings, (street_of == s) & (np.arange(len(buildings)) != b))
        rows.append(_point("youth_school", f"{street.name}青年夜校", "street", other, s, None, 2))
    for u, unit in enumerate(h.units):
        b = _central_building(buildings, buildings.unit.to_numpy() == u)
        s = int(h.unit_street[u])
        rows.append(_point("employment", f"{unit.short_name}就业社保服务点", unit.kind, b, s, u, 2))
        if rng.uniform() < 0.6:
            rows.append(_point("civilisation", f"{unit.short_name}新时代文明实践站", unit.kind, b, s, u, 2))
        if unit.kind == "community" and rng.uniform() < 0.55:
            rows.append(_point("elder_care", f"{unit.short_name}助老服务站", unit.kind, b, s, u, 3))
    for i, s in enumerate(sorted(rng.choice(len(h.streets), 11, replace=False))):
        b = _central_building(buildings, street_of == s)
        rows.append(_point("senior_college", f"平城区老年大学第{i + 1}分校", "street", b, int(s), None, 4))
    return pd.DataFrame(rows)
