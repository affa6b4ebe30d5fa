"""Turn the generated demo into one frame per table: explicit ids, WGS-84 EWKB geometry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ingest.bulk import ewkb_hex, metric_to_wgs84
from ingest.demo._hierarchy import Hierarchy
from ingest.demo._lattice import Cells, union_cells
from ingest.demo._reference import Division

SOURCE = "demo"
VALID_FROM = dt.date(2023, 1, 1)  # the division list is the 2023 edition


@dataclass(frozen=True)
class Generated:
    district: Division
    outline_wgs84: BaseGeometry
    cells: Cells
    hierarchy: Hierarchy
    buildings: pd.DataFrame
    building_grid: np.ndarray
    grids: pd.DataFrame
    roads: pd.DataFrame
    incidents: pd.DataFrame
    targets: pd.DataFrame
    inspections: pd.DataFrame
    services: pd.DataFrame


def _multi(geoms: np.ndarray) -> list[str]:
    out = [MultiPolygon([g]) if isinstance(g, Polygon) else g for g in geoms]
    return ewkb_hex(out)


def _points(buildings: pd.DataFrame, idx: np.ndarray) -> list[str]:
    centroids = shapely.centroid(buildings.geom.to_numpy()[idx])
    return ewkb_hex(metric_to_wgs84(centroids))


def hierarchy_tables(g: Generated) -> dict[str, pd.DataFrame]:
    h, cells = g.hierarchy, g.cells
    district = pd.DataFrame(
        {
            "id": [1],
            "code": [g.district.code[:6]],
            "name": [g.district.name],
            "valid_from": [VALID_FROM],
            "geom": _multi(np.array([g.outline_wgs84])),
        }
    )
    street_geom = [union_cells(cells, h.cell_street == s) for s in range(len(h.streets))]
    street = pd.DataFrame(
        {
            "id": np.arange(1, len(h.streets) + 1),
            "code": [s.code for s in h.streets],
            "name": [s.name for s in h.streets],
            "district_id": 1,
            "valid_from": VALID_FROM,
            "geom": _multi(metric_to_wgs84(street_geom)),
        }
    )
    unit_geom = [union_cells(cells, h.cell_unit == u) for u in range(len(h.units))]
    community = pd.DataFrame(
        {
            "id": np.arange(1, len(h.units) + 1),
            "code": [u.code for u in h.units],
            "name": [u.name for u in h.units],
            "kind": [u.kind for u in h.units],
            "street_id": h.unit_street + 1,
            "valid_from": VALID_FROM,
            "geom": _multi(metric_to_wgs84(unit_geom)),
        }
    )
    return {"district": district, "street": street, "community": community, "grid": _grid_table(g)}


def _grid_table(g: Generated) -> pd.DataFrame:
    b = g.buildings
    n = len(g.grids)
    seq = g.grids.code.str[-3:].astype(int)
    unit_names = [g.hierarchy.units[u].short_name for u in g.grids.unit]
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "code": g.grids.code,
            "community_id": g.grids.unit + 1,
            "name": [f"{u}第{s}网格" for u, s in zip(unit_names, seq, strict=True)],
            "worker_name": g.grids.worker_name,
            "worker_phone": g.grids.worker_phone,
            "households": np.bincount(g.building_grid, weights=b.households, minlength=n).astype(int),
            "residents": np.bincount(g.building_grid, weights=b.residents, minlength=n).astype(int),
            "valid_from": VALID_FROM,
            "geom": _multi(metric_to_wgs84(g.grids.geom.to_numpy())),
        }
    )


def building_table(g: Generated) -> pd.DataFrame:
    b = g.buildings
    return pd.DataFrame(
        {
            "id": np.arange(1, len(b) + 1),
            "source": SOURCE,
            "source_id": [f"B{i + 1:06d}" for i in range(len(b))],
            "compound": b.compound,
            "number": b.number,
            "address": b.address,
            "floors": b.floors,
            "households": b.households,
            "residents": b.residents,
            "grid_id": g.building_grid + 1,
            "community_id": b.unit + 1,
            "geom": ewkb_hex(metric_to_wgs84(b.geom.to_numpy())),
        }
    )


def incident_table(g: Generated) -> pd.DataFrame:
    inc, b = g.incidents, g.buildings
    where = inc.building.to_numpy()
    unit = b.unit.to_numpy()[where]
    points = metric_to_wgs84(shapely.points(inc.x.to_numpy(), inc.y.to_numpy()))
    cols = [
        "source",
        "source_id",
        "category",
        "description",
        "reporter_phone",
        "reported_at",
        "registered_at",
        "dispatched_at",
        "handled_at",
        "verified_at",
        "closed_at",
        "deadline_at",
        "rework_count",
        "raw_address",
        "raw_x",
        "raw_y",
        "raw_crs",
        "match_level",
        "match_score",
    ]
    frame = inc[cols].copy()
    frame.insert(0, "id", np.arange(1, len(inc) + 1))
    frame["street_id"] = g.hierarchy.unit_street[unit] + 1
    frame["community_id"] = unit + 1
    frame["grid_id"] = g.building_grid[where] + 1
    frame["geom"] = ewkb_hex(points)
    return frame


def inspection_tables(g: Generated) -> dict[str, pd.DataFrame]:
    t, b = g.targets, g.buildings
    where = t.building.to_numpy()
    unit = b.unit.to_numpy()[where]
    targets = pd.DataFrame(
        {
            "id": np.arange(1, len(t) + 1),
            "source": SOURCE,
            "source_id": [f"T{i + 1:05d}" for i in range(len(t))],
            "kind": t.kind,
            "name": t.name,
            "address": t.address,
            "risk_level": t.risk_level,
            "interval_days": t.interval_days,
            "attributes": [{"building_id": int(w) + 1} for w in where],
            "street_id": g.hierarchy.unit_street[unit] + 1,
            "community_id": unit + 1,
            "grid_id": g.building_grid[where] + 1,
            "geom": _points(b, where),
        }
    )
    i = g.inspections
    inspections = pd.DataFrame(
        {
            "id": np.arange(1, len(i) + 1),
            "source": SOURCE,
            "source_id": [f"I{k + 1:06d}" for k in range(len(i))],
            "target_id": i.target + 1,
            "inspected_at": i.inspected_at,
            "inspector": i.inspector,
            "passed": i.passed,
            "findings": i.findings,
            "rectify_deadline": i.rectify_deadline,
            "rectified_at": i.rectified_at,
        }
    )
    return {"inspection_target": targets, "inspection": inspections}


def service_table(g: Generated) -> pd.DataFrame:
    s, b = g.services, g.buildings
    where = s.building.to_numpy()
    return pd.DataFrame(
        {
            "id": np.arange(1, len(s) + 1),
            "source": SOURCE,
            "source_id": [f"S{k + 1:04d}" for k in range(len(s))],
            "kind": s.kind,
            "name": s.name,
            "level": s.level,
            "address": b.address.to_numpy()[where],
            "opening_hours": s.opening_hours,
            "staff": s.staff,
            "street_id": s.street + 1,
            "community_id": pd.array([None if pd.isna(u) else int(u) + 1 for u in s.unit], dtype="Int64"),
            "geom": _points(b, where),
        }
    )


def road_table(g: Generated) -> pd.DataFrame:
    r = g.roads
    return pd.DataFrame(
        {
            "id": np.arange(1, len(r) + 1),
            "source": SOURCE,
            "source_id": [f"R{k + 1:06d}" for k in range(len(r))],
            "source_node": r.source_node,
            "target_node": r.target_node,
            "length_m": r.length_m,
            "kind": r.kind,
            "name": r.name,
            "geom": ewkb_hex(metric_to_wgs84(r.geom.to_numpy())),
        }
    )
