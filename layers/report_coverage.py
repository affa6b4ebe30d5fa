"""A report's 服务覆盖 section: for each service type with points serving at the period's end,
the share of the people it serves (layers/populations: its group where every building counts
them, else the residents) within its walk (the type's ``walk_minutes``, along the road network
as on the coverage page, straight lines without one), in the district or the street, in towns
and in villages; the units that should have a point of their own and have none (seed 004's
measure); and the worst-served community."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

from geo.populations import POPULATIONS
from geo.service_types import ServiceType
from layers.compare import value_text
from layers.coverage import WALK_M_PER_MIN, Coverage, Demand, Homes, coverage, link_homes, walk_words
from layers.network import Network
from layers.service_points import points_of, units_without
from layers.units import unit_names

COVERAGE_HEADERS = ("服务类型", "步行范围", "服务点", "服务对象", "覆盖率", "城镇", "农村", "无自有服务点的单位", "覆盖率最低的社区")  # fmt: skip


@dataclass(frozen=True)
class Walking:
    """What coverage is counted on: the road network, the buildings and where they join it (a
    page's worker holds them; a command loads them)."""

    network: Network
    demand: Demand
    homes: Homes

    @classmethod
    def load(cls, conn: Connection) -> Walking:
        network, demand = Network.load(conn), Demand.load(conn)
        return cls(network, demand, link_homes(network, demand))


def _share(result: Coverage, mask: NDArray[np.bool_]) -> float | None:
    people = result.demand.residents[mask]
    total = float(people.sum())
    return float(people[result.covered[mask]].sum()) / total if total else None


def _worst(result: Coverage, mask: NDArray[np.bool_], names: Mapping[int, str]) -> str:
    """The community (or village) of ``mask`` with the lowest share, and its share."""
    frame = result.by("community")
    frame = frame[
        frame["community"].isin(np.unique(result.demand.community[mask])) & (frame["residents"] > 0)
    ]
    if frame.empty:
        return "—"
    row = frame.iloc[0]  # worst-served first
    return f"{names.get(int(row['community']), str(row['community']))} {row['share']:.1%}"


def _pct(value: float | None) -> str:
    return value_text(value, "%")


def coverage_rows(
    conn: Connection,
    types: Mapping[str, ServiceType],
    walking: Callable[[], Walking],
    *,
    on: dt.date,
    street: int | None,
) -> list[list[object]]:
    """One row per type with points serving ``on`` (COVERAGE_HEADERS), of the district or
    ``street`` (the points of the whole district serve it: people walk across a boundary);
    ``walking`` is asked for once, at the first type with points."""
    names, rows, held = unit_names(conn, "community"), [], functools.cache(walking)
    street_name = None if street is None else unit_names(conn, "street").get(street)
    for t in types.values():
        points = points_of(conn, t.key, on=on)
        if points.empty:
            continue
        walk = held()
        demand, who = walk.demand.counting(t.serves)
        metres = t.walk_minutes * WALK_M_PER_MIN
        result = coverage(walk.network, demand, points[["lon", "lat"]].to_numpy(), max_walk_m=metres, homes=walk.homes)  # fmt: skip
        inside = np.ones(len(demand.ids), bool) if street is None else demand.street == street
        missing = units_without(conn, t.key, levels=t.levels, on=on) if t.levels else None
        if missing is not None and street_name is not None:
            missing = missing[missing["street"] == street_name]
        rows.append([t.zh, walk_words(metres, unit="min"), len(points), POPULATIONS[who].zh, _pct(_share(result, inside)),
                     _pct(_share(result, inside & ~demand.village)), _pct(_share(result, inside & demand.village)),
                     "—" if missing is None else len(missing), _worst(result, inside, names)])  # fmt: skip
    return rows
