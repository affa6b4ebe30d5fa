"""The Pingcheng demo district: real codes, names and outline; synthetic everything else.

``load_demo`` generates the district deterministically (fixed seed) and loads it through the
same ingest jobs as any district's files: boundaries, buildings, roads, four incident sources
(hotline and mailbox tickets geocoded from their addresses), service points, inspection
targets and their ledger. Each job is atomic and idempotent, so a demo load that dies is
completed by running it again; a finished load is recorded and not repeated.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from geo.inspection_kinds import InspectionKind
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from ingest.bulk import metric_to_wgs84
from ingest.demo._buildings import build_buildings
from ingest.demo._grids import build_grids
from ingest.demo._hierarchy import Hierarchy, build_hierarchy
from ingest.demo._incidents import build_incidents
from ingest.demo._inputs import Generated, JobInput, job_inputs
from ingest.demo._inspections import ELDER_COMMUNITY, build_elder_targets, build_inspections, build_targets
from ingest.demo._lattice import build_cells
from ingest.demo._reference import ALIASES_CSV, read_divisions, read_outline_wgs84, to_metric
from ingest.demo._roads import build_roads
from ingest.demo._services import build_service_points
from ingest.demo._steps import lifecycle_steps
from ingest.geocode import geocoder_factory
from ingest.geocode.gazetteer import read_aliases
from ingest.job import JobOptions, JobResult, run_job
from ingest.kinds import get_kind
from ingest.reading import frame_source

SEED = 140213
TZ = ZoneInfo("Asia/Shanghai")
TABLES = ("district", "street", "community", "grid", "building", "road_segment", "incident", "incident_event",
          "inspection_target", "inspection", "service_point", "quarantine", "ingest_run")  # fmt: skip


def generate(
    *, now: dt.datetime, sla: SlaRules, vocabulary: Vocabulary | None = None, seed: int = SEED
) -> Generated:
    """Build the whole demo district in memory (metric geometry, no database); inspection
    targets are named and checked as ``vocabulary``'s kinds say (default: the built-ins)."""
    kinds = (vocabulary or Vocabulary()).inspection_kinds
    rng = np.random.default_rng(seed)
    divisions = read_divisions()
    outline_wgs84 = read_outline_wgs84()
    outline = to_metric(outline_wgs84)
    cells = build_cells(outline)
    h = build_hierarchy(divisions, cells, outline, rng)
    buildings = build_buildings(cells, h, rng)
    grids, building_grid = build_grids(cells, h, buildings, rng)
    built = np.zeros(len(cells.col), dtype=bool)
    built[buildings.cell.to_numpy()] = True
    roads = build_roads(cells, built, outline)
    incidents = build_incidents(buildings, now=now, rng=rng, to_lonlat=_lonlat, sla=sla)
    targets = build_targets(buildings, rng, kinds=kinds)
    inspections = build_inspections(targets, now=now, rng=rng, kinds=kinds)
    services = build_service_points(buildings, h, np.random.default_rng(seed + 3))  # the same every day
    targets, inspections = _with_elders(targets, inspections, buildings, h, now=now, seed=seed, kinds=kinds)
    return Generated(
        district=next(d for d in divisions if d.kind == "district"), outline_wgs84=outline_wgs84, cells=cells,
        hierarchy=h, buildings=buildings, building_grid=building_grid, grids=grids, roads=roads,
        incidents=incidents, targets=targets, inspections=inspections, services=services,
        steps=lifecycle_steps(incidents, now=now, seed=seed + 1),
    )  # fmt: skip


def _elder_homes(buildings: pd.DataFrame, h: Hierarchy) -> np.ndarray:
    codes = np.array([u.code for u in h.units])
    return codes[buildings.unit.to_numpy()] == ELDER_COMMUNITY


def _with_elders(targets: pd.DataFrame, inspections: pd.DataFrame, buildings: pd.DataFrame, h: Hierarchy, *, now: dt.datetime,
                 seed: int, kinds: Mapping[str, InspectionKind]) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The targets and visits with the weekly elder round added, drawn from a generator of its
    own (the rest of the demo stays as it was)."""
    rng = np.random.default_rng(seed + 2)
    homes = _elder_homes(buildings, h)
    elders = build_elder_targets(buildings, homes, rng, kinds=kinds)
    elders.index += len(targets)  # visits name their target by its row
    visits = build_inspections(elders, now=now, rng=rng, kinds=kinds) if len(elders) else inspections[:0]
    if len(visits):  # what a visit finds is seen to within the week (before the next visit)
        failed = ~visits.passed.astype(bool)
        fixed = visits.inspected_at + pd.to_timedelta(rng.uniform(1, 6, size=len(visits)), unit="D")
        visits["rectified_at"] = visits.rectified_at.where(~failed, fixed.where(fixed < now))
    return pd.concat([targets, elders]), pd.concat([inspections, visits], ignore_index=True)


def _lonlat(xy: np.ndarray) -> np.ndarray:
    import shapely

    return shapely.get_coordinates(metric_to_wgs84(shapely.points(xy)))


def is_loaded(conn: Connection) -> bool:
    query = "SELECT count(*) FROM ingest_run WHERE kind = 'demo' AND status = 'done'"
    return bool(conn.execute(sa.text(query)).scalar_one())


def load_demo(engine: Engine, *, force: bool = False, now: dt.datetime | None = None, sla: SlaRules | None = None,
              vocabulary: Vocabulary | None = None, progress: Callable[[str], None] | None = None) -> str:  # fmt: skip
    """Load the demo district unless it is there; ``force`` empties every gridgov table first."""
    with engine.connect() as conn:
        if is_loaded(conn) and not force:
            return "the demo district is already loaded; nothing to do (use --force to reload it)"
        other = conn.execute(sa.text("SELECT min(name) FROM district WHERE valid_to IS NULL")).scalar_one()
        if other is not None and not force:  # ./serve.sh on a database holding your own district
            return f"the database holds {other}, not the demo; nothing loaded (--force replaces everything with the demo)"
    if force:
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    started = time.perf_counter()
    now = now or dt.datetime.now(TZ)
    sla, vocabulary = sla or SlaRules(), vocabulary or Vocabulary()
    generated = generate(now=now, sla=sla, vocabulary=vocabulary)
    results = [
        _run(engine, job, JobOptions(source=job.source, sla=sla, vocabulary=vocabulary), progress)
        for job in job_inputs(generated)
    ]
    _record(engine, results, now=now, seconds=time.perf_counter() - started)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    return "loaded the Pingcheng demo district: " + ", ".join(
        f"{r.inserted} {k}" for k, r in _by_kind(results).items()
    )


def _run(
    engine: Engine, job: JobInput, base: JobOptions, progress: Callable[[str], None] | None
) -> tuple[str, JobResult]:
    name = f"demo {job.kind}{':' + job.variant if job.variant else ''} ({job.source})"
    if progress:
        progress(name)
    kind = get_kind(job.kind, job.variant)
    source = frame_source(job.frame, name=name, crs="EPSG:4326" if "geometry" in job.frame else None)
    options = replace(base, crs=job.crs if "geometry" not in job.frame else None)
    geocoder = geocoder_factory(read_aliases(ALIASES_CSV))
    return kind.key, run_job(engine, kind=kind, source=source, options=options, geocoder_factory=geocoder)


def _by_kind(results: list[tuple[str, JobResult]]) -> dict[str, JobResult]:
    merged: dict[str, JobResult] = {}
    for key, result in results:
        previous = merged.get(key)
        merged[key] = result if previous is None else previous.plus(result)
    return merged


def _record(
    engine: Engine, results: list[tuple[str, JobResult]], *, now: dt.datetime, seconds: float
) -> None:
    read = sum(r.read for _, r in results)
    quarantined = sum(r.quarantined for _, r in results)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO ingest_run (kind, source, status, finished_at, n_read, n_inserted, n_quarantined, "
                    "duration_s, message) VALUES ('demo', 'demo', 'done', now(), :r, :i, :q, :s, :m)"),
            {"r": read, "i": sum(r.inserted for _, r in results), "q": quarantined, "s": seconds,
             "m": f"seed {SEED}, time anchor {now.isoformat()}, {len(results)} jobs"},
        )  # fmt: skip
