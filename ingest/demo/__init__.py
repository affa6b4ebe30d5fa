"""The Pingcheng demo district: real codes, names and outline; synthetic everything else.

``load_demo`` generates the district deterministically (fixed seed) and loads it in one
transaction under an advisory lock, recording an ``ingest_run``: a crash leaves nothing,
and a second call finds the district and does nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingest.bulk import copy_frame, metric_to_wgs84, reset_sequence
from ingest.demo import _tables
from ingest.demo._buildings import build_buildings
from ingest.demo._grids import build_grids
from ingest.demo._hierarchy import build_hierarchy
from ingest.demo._incidents import build_incidents
from ingest.demo._inspections import build_inspections, build_targets
from ingest.demo._lattice import build_cells
from ingest.demo._reference import read_divisions, read_outline_wgs84, to_metric
from ingest.demo._roads import build_roads
from ingest.demo._services import build_service_points

SEED = 140213
TZ = ZoneInfo("Asia/Shanghai")
TABLES = (
    "district",
    "street",
    "community",
    "grid",
    "building",
    "road_segment",
    "incident",
    "inspection_target",
    "inspection",
    "service_point",
)


def generate(*, now: dt.datetime, seed: int = SEED) -> _tables.Generated:
    """Build the whole demo district in memory (metric geometry, no database)."""
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
    incidents = build_incidents(buildings, now=now, rng=rng, to_lonlat=_lonlat)
    targets = build_targets(buildings, rng)
    return _tables.Generated(
        district=next(d for d in divisions if d.kind == "district"),
        outline_wgs84=outline_wgs84,
        cells=cells,
        hierarchy=h,
        buildings=buildings,
        building_grid=building_grid,
        grids=grids,
        roads=roads,
        incidents=incidents,
        targets=targets,
        inspections=build_inspections(targets, now=now, rng=rng),
        services=build_service_points(buildings, h, rng),
    )


def _lonlat(xy: np.ndarray) -> np.ndarray:
    import shapely

    return shapely.get_coordinates(metric_to_wgs84(shapely.points(xy)))


def is_loaded(conn: Connection) -> bool:
    return bool(conn.execute(sa.text("SELECT count(*) FROM district WHERE code = '140213'")).scalar_one())


def load_demo(engine: Engine, *, force: bool = False, now: dt.datetime | None = None) -> str:
    """Load the demo district unless it is there; ``force`` empties every gridgov table first."""
    with engine.connect() as conn:
        if is_loaded(conn) and not force:
            return "the demo district is already loaded; nothing to do (use --force to reload it)"
    started = time.perf_counter()
    now = now or dt.datetime.now(TZ)
    g = generate(now=now)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('gridgov-demo'))"))
        if is_loaded(conn) and not force:
            return "the demo district was loaded meanwhile by another process; nothing to do"
        if force:
            conn.execute(
                sa.text(f"TRUNCATE {', '.join(TABLES)}, quarantine, ingest_run RESTART IDENTITY CASCADE")
            )
        counts = _copy_all(conn, g)
        _record_run(conn, counts, now=now, seconds=time.perf_counter() - started)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    return "loaded the Pingcheng demo district: " + ", ".join(f"{n} {t}" for t, n in counts.items())


def _copy_all(conn: Connection, g: _tables.Generated) -> dict[str, int]:
    frames = {
        **_tables.hierarchy_tables(g),
        "building": _tables.building_table(g),
        "road_segment": _tables.road_table(g),
        "incident": _tables.incident_table(g),
        **_tables.inspection_tables(g),
        "service_point": _tables.service_table(g),
    }
    counts = {}
    for table in TABLES:
        counts[table] = copy_frame(conn, table, frames[table])
        reset_sequence(conn, table)
    return counts


def _record_run(conn: Connection, counts: dict[str, int], *, now: dt.datetime, seconds: float) -> None:
    total = sum(counts.values())
    conn.execute(
        sa.text(
            "INSERT INTO ingest_run (kind, source, file_name, status, finished_at, n_read, n_inserted, duration_s, message)"
            " VALUES ('demo', :source, NULL, 'done', now(), :n, :n, :s, :m)"
        ),
        {
            "source": _tables.SOURCE,
            "n": total,
            "s": seconds,
            "m": f"seed {SEED}, time anchor {now.isoformat()}",
        },
    )
