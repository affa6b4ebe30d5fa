"""Probable duplicates: the same problem reported through different channels.

Incidents of the same category within ``RADIUS_M`` metres and ``WINDOW_HOURS`` of each other,
from different sources, are linked: the later points at the earliest (``duplicate_of``); on a
tie in time the report already loaded counts as the earlier one. Nothing is deleted; counts and
maps may leave linked rows out.

Runs once per job, on the job's loaded rows (kept in memory by the job) and the other sources'
incidents in the job's time span (one query, before the merge). Pairs come from a k-d tree over
(x, y, time) in metres per category, found while the server merges the job's rows; only the
links are written back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from sqlalchemy.engine import Connection

from geo.crs import metric_transformer
from ingest import _xy
from ingest.kinds import JobContext

RADIUS_M = 50.0
WINDOW_HOURS = 24
KEEP = ("source_id", "category", "reported_at", "geom")
_SECOND_AS_M = RADIUS_M / (WINDOW_HOURS * 3600)  # the time window scaled to the radius
_OTHERS = """
SELECT id, category, extract(epoch FROM reported_at), ST_X(geom), ST_Y(geom) FROM incident
WHERE source <> :source AND duplicate_of IS NULL AND reported_at BETWEEN :start AND :end
  AND category = ANY(CAST(:categories AS text[]))
"""  # a pair has one category: only the job's are read (a feed's batch has one or a few)
_LINK_JOB = """
UPDATE incident i SET duplicate_of = v.original
FROM unnest(CAST(:sids AS text[]), CAST(:originals AS integer[])) AS v(sid, original)
WHERE i.source = :source AND i.source_id = v.sid AND i.duplicate_of IS NULL
"""
_LINK_OTHERS = """
UPDATE incident i SET duplicate_of = j.id
FROM unnest(CAST(:ids AS integer[]), CAST(:sids AS text[])) AS v(id, sid)
JOIN incident j ON j.source = :source AND j.source_id = v.sid
WHERE i.id = v.id AND i.duplicate_of IS NULL
"""


@dataclass(frozen=True)
class Reports:
    """Incidents as arrays: key (source_id or id), category, epoch seconds, x and y in metres."""

    key: NDArray[np.object_]
    category: NDArray[np.object_]
    t: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]

    @classmethod
    def of(cls, key: object, category: object, t: object, lon: object, lat: object) -> Reports:
        x, y = metric_transformer().transform(np.asarray(lon, float), np.asarray(lat, float))
        return cls(np.asarray(key, object), np.asarray(category, object), np.asarray(t, float), x, y)


def _job_reports(kept: pd.DataFrame) -> Reports:
    t = kept["reported_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    geoms = kept["geom"].to_numpy()
    x, y = (geoms.real, geoms.imag) if _xy.is_xy(geoms) else (shapely.get_x(geoms), shapely.get_y(geoms))
    return Reports.of(kept["source_id"], kept["category"], t.astype(np.int64) / 1e6, x, y)


def _xyt(r: Reports, rows: NDArray[np.int64]) -> NDArray[np.float64]:
    return np.column_stack([r.x[rows], r.y[rows], r.t[rows] * _SECOND_AS_M])


def near_pairs(a: Reports, b: Reports) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Index pairs (i in a, j in b): same category, within the radius and the time window.

    Per category, ``a``'s reports are first screened against a tree of ``b`` (nearest one
    within the box); only the few with a neighbour take part in the exact pair search.
    """
    found_a, found_b = [], []
    for category in np.intersect1d(np.unique(a.category), np.unique(b.category)):
        ia, ib = np.flatnonzero(a.category == category), np.flatnonzero(b.category == category)
        tree_b = cKDTree(_xyt(b, ib))
        near, _ = tree_b.query(_xyt(a, ia), k=1, p=np.inf, distance_upper_bound=RADIUS_M, workers=-1)
        ia = ia[np.isfinite(near)]
        if not len(ia):
            continue
        pairs = cKDTree(_xyt(a, ia)).sparse_distance_matrix(tree_b, RADIUS_M, p=np.inf, output_type="ndarray")
        pa, pb = ia[pairs["i"]], ib[pairs["j"]]
        close = (a.x[pa] - b.x[pb]) ** 2 + (a.y[pa] - b.y[pb]) ** 2 <= RADIUS_M**2
        found_a.append(pa[close])
        found_b.append(pb[close])
    if not found_a:
        return np.array([], np.int64), np.array([], np.int64)
    return np.concatenate(found_a), np.concatenate(found_b)


def earliest(
    later: NDArray[np.int64], earlier: NDArray[np.int64], t: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each distinct ``later`` index, the ``earlier`` index with the smallest time ``t``."""
    order = np.lexsort((earlier, t[earlier], later))
    first = np.unique(later[order], return_index=True)[1]
    return later[order][first], earlier[order][first]


@dataclass(frozen=True)
class _Links:
    job: Reports
    others: Reports
    j: NDArray[np.int64]  # pairs: job index, others index
    o: NDArray[np.int64]


def prepare_links(conn: Connection, ctx: JobContext) -> Callable[[], _Links | None]:
    """Reads the other sources' reports in the job's time span now; the pairs are found in the
    returned computation (run while the server merges the job's rows)."""
    kept = pd.concat(ctx.kept) if ctx.kept else pd.DataFrame(columns=list(KEEP))
    if kept.empty:
        return lambda: None
    window = pd.Timedelta(hours=WINDOW_HOURS)
    span = {"start": kept["reported_at"].min() - window, "end": kept["reported_at"].max() + window}
    categories = sorted({str(c) for c in kept["category"]})
    rows = conn.execute(sa.text(_OTHERS), {"source": ctx.source, "categories": categories, **span}).all()
    if not rows:
        return lambda: None  # no other source reported anything in this job's time span

    def pairs() -> _Links:
        ids, categories, t, lon, lat = (np.array(c) for c in zip(*rows, strict=True))
        job, others = _job_reports(kept), Reports.of(ids, categories, t.astype(float), lon, lat)
        return _Links(job, others, *near_pairs(job, others))

    return pairs


def link_duplicates(conn: Connection, run_id: int, ctx: JobContext) -> None:
    """Write the links :func:`prepare_links` found."""
    if not isinstance(ctx.prepared, _Links):
        return
    job, others, j, o = ctx.prepared.job, ctx.prepared.others, ctx.prepared.j, ctx.prepared.o
    job_first = others.t[o] <= job.t[j]  # a tie goes to the report already loaded
    linked = _link_job(conn, ctx.source, job, others, *earliest(j[job_first], o[job_first], others.t))
    linked += _link_others(conn, ctx.source, job, others, *earliest(o[~job_first], j[~job_first], job.t))
    ctx.notes["probable duplicates linked (same category, 50 m, 24 h, other source)"] += linked


def _link_job(
    conn: Connection, source: str, job: Reports, others: Reports, j: NDArray[np.int64], o: NDArray[np.int64]
) -> int:
    if not len(j):
        return 0
    params = {"sids": job.key[j].tolist(), "originals": others.key[o].astype(int).tolist(), "source": source}
    return int(conn.execute(sa.text(_LINK_JOB), params).rowcount)


def _link_others(
    conn: Connection, source: str, job: Reports, others: Reports, o: NDArray[np.int64], j: NDArray[np.int64]
) -> int:
    if not len(o):
        return 0
    params = {"ids": others.key[o].astype(int).tolist(), "sids": job.key[j].tolist(), "source": source}
    return int(conn.execute(sa.text(_LINK_OTHERS), params).rowcount)
