"""The generated demo as the inputs of ordinary ingest jobs: one table per job, with the
column names a clerk's file would map to, geometry in WGS-84 (GCJ-02 where a mini-program
would send it). The demo goes through exactly the jobs any district's files go through."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import wgs84_to_gcj02
from ingest.bulk import metric_to_wgs84
from ingest.demo._hierarchy import Hierarchy
from ingest.demo._lattice import Cells, union_cells
from ingest.demo._reference import Division
from ingest.demo._steps import SOURCE as STEPS_SOURCE

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
    steps: pd.DataFrame | None = None  # lifecycle steps of recent 12345 cases (ingest/demo/_steps.py)


@dataclass(frozen=True)
class JobInput:
    """One ingest job of the demo: which kind, as which source, the table and its CRS."""

    kind: str
    variant: str | None
    source: str
    frame: pd.DataFrame
    crs: str | None = "wgs84"


def _points_of(buildings: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
    return metric_to_wgs84(shapely.centroid(buildings.geom.to_numpy()[idx]))


def _boundaries(g: Generated) -> list[JobInput]:
    h, cells = g.hierarchy, g.cells
    district = pd.DataFrame({"code": [g.district.code[:6]], "name": [g.district.name], "valid_from": [VALID_FROM],
                             "geometry": [g.outline_wgs84]})  # fmt: skip
    streets = pd.DataFrame({"code": [s.code for s in h.streets], "name": [s.name for s in h.streets], "valid_from": VALID_FROM,
                            "geometry": metric_to_wgs84([union_cells(cells, h.cell_street == s) for s in range(len(h.streets))])})  # fmt: skip
    units = pd.DataFrame({"code": [u.code for u in h.units], "name": [u.name for u in h.units], "kind": [u.kind for u in h.units],
                          "valid_from": VALID_FROM,
                          "geometry": metric_to_wgs84([union_cells(cells, h.cell_unit == u) for u in range(len(h.units))])})  # fmt: skip
    seq = g.grids.code.str[-3:].astype(int)
    grids = pd.DataFrame({"code": g.grids.code, "name": [f"{h.units[u].short_name}第{s}网格" for u, s in zip(g.grids.unit, seq, strict=True)],
                          "worker_name": g.grids.worker_name, "worker_phone": g.grids.worker_phone, "valid_from": VALID_FROM,
                          "geometry": metric_to_wgs84(g.grids.geom.to_numpy())})  # fmt: skip
    return [JobInput("boundaries", level, "demo", frame) for level, frame in
            (("district", district), ("street", streets), ("community", units), ("grid", grids))]  # fmt: skip


def _buildings(g: Generated) -> JobInput:
    b = g.buildings
    frame = pd.DataFrame({"source_id": [f"B{i + 1:06d}" for i in range(len(b))], "compound": b.compound, "number": b.number,
                          "address": b.address, "floors": b.floors, "households": b.households, "residents": b.residents,
                          "geometry": metric_to_wgs84(b.geom.to_numpy())})  # fmt: skip
    return JobInput("buildings", None, "demo", frame)


def _roads(g: Generated) -> JobInput:
    r = g.roads
    frame = pd.DataFrame({"source_id": [f"R{k + 1:06d}" for k in range(len(r))], "name": r.name, "kind": r.kind,
                          "geometry": metric_to_wgs84(r.geom.to_numpy())})  # fmt: skip
    return JobInput("roads", None, "demo", frame)


_INCIDENT_FIELDS = ["source_id", "category", "description", "reporter_phone", "reported_at", "registered_at",
                    "dispatched_at", "handled_at", "verified_at", "closed_at", "rework_count"]  # deadlines: by the SLA rules  # fmt: skip


def _incidents(g: Generated) -> list[JobInput]:
    """Hotline and mailbox tickets carry addresses only (geocoded on load); mini-program reports
    carry GCJ-02 coordinates; grid workers' devices report WGS-84."""
    inc = g.incidents
    lonlat = shapely.get_coordinates(metric_to_wgs84(shapely.points(inc[["x", "y"]].to_numpy())))
    gcj = np.column_stack(wgs84_to_gcj02(lonlat[:, 0], lonlat[:, 1]))
    jobs = []
    for source, crs in (
        ("12345", None),
        ("mailbox", None),
        ("miniprogram", "gcj02"),
        ("grid_worker", "wgs84"),
    ):
        rows = (inc.source == source).to_numpy()
        frame = inc.loc[rows, _INCIDENT_FIELDS].copy()
        if crs is None:
            frame["address"] = inc.loc[rows, "raw_address"]
        else:
            xy = gcj[rows] if crs == "gcj02" else lonlat[rows]
            frame["lon"], frame["lat"] = np.round(xy[:, 0], 7), np.round(xy[:, 1], 7)
        jobs.append(JobInput("incidents", None, source, frame, crs))
    return jobs


def _sites(g: Generated) -> list[JobInput]:
    s, t, b = g.services, g.targets, g.buildings
    sp = _points_of(b, s.building.to_numpy())
    services = pd.DataFrame({"source_id": [f"S{k + 1:04d}" for k in range(len(s))], "kind": s.kind, "name": s.name,
                             "level": s.level, "address": b.address.to_numpy()[s.building], "opening_hours": s.opening_hours,
                             "staff": s.staff, "lon": shapely.get_x(sp), "lat": shapely.get_y(sp)})  # fmt: skip
    tp = _points_of(b, t.building.to_numpy())
    targets = pd.DataFrame({"source_id": [f"T{k + 1:05d}" for k in range(len(t))], "kind": t.kind, "name": t.name,
                            "address": t.address, "risk_level": t.risk_level, "interval_days": t.interval_days,
                            "lon": shapely.get_x(tp), "lat": shapely.get_y(tp)})  # fmt: skip
    i = g.inspections
    ledger = pd.DataFrame({"source_id": [f"I{k + 1:06d}" for k in range(len(i))],
                           "target_id": [f"T{k + 1:05d}" for k in i.target], "inspected_at": i.inspected_at,
                           "inspector": i.inspector, "passed": i.passed, "findings": i.findings,
                           "rectify_deadline": i.rectify_deadline, "rectified_at": i.rectified_at})  # fmt: skip
    return [JobInput("service-points", None, "demo", services), JobInput("inspection-targets", None, "demo", targets),
            JobInput("inspections", None, "demo", ledger, None)]  # fmt: skip


def job_inputs(g: Generated) -> list[JobInput]:
    """Every job of the demo, in the order they depend on each other."""
    steps = [] if g.steps is None else [JobInput("incident-events", None, STEPS_SOURCE, g.steps, None)]
    return [*_boundaries(g), _buildings(g), _roads(g), *_incidents(g), *steps, *_sites(g)]
