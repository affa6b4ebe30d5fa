"""The risk register of a street: every inspection target with its last visit, its open
rectifications and a risk score that explains itself (layers/risk.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy.spatial import cKDTree
from sqlalchemy.engine import Connection

from geo.results import result_array, result_frame
from layers.network import to_metres
from layers.risk import RiskWeights, score

NEAR_M = 100.0
INCIDENT_DAYS = 30
VULNERABLE_KEYS = ("elders_alone", "独居老人")
_TARGETS = """
SELECT t.id, t.kind, t.name, t.address, t.risk_level, t.interval_days, t.attributes, t.grid_id,
       ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, v.last_visit, v.last_passed, coalesce(v.hazards, 0) AS hazards,
       coalesce(r.open, 0) AS rectifications_open, r.first_deadline,
       coalesce(r.late, 0) AS rectifications_late
FROM inspection_target t
LEFT JOIN LATERAL (
    SELECT max(inspected_at) AS last_visit, (array_agg(passed ORDER BY inspected_at DESC))[1] AS last_passed,
           count(*) FILTER (WHERE NOT passed AND inspected_at >= :year_ago) AS hazards
    FROM inspection WHERE target_id = t.id AND inspected_at < :until
) v ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS open, min(rectify_deadline) AS first_deadline,
           count(*) FILTER (WHERE rectify_deadline < :today) AS late
    FROM inspection WHERE target_id = t.id AND rectify_deadline IS NOT NULL AND rectified_at IS NULL
) r ON true
WHERE t.street_id = :street AND t.closed_at IS NULL AND (cardinality(CAST(:kinds AS text[])) = 0 OR t.kind = ANY(CAST(:kinds AS text[])))
ORDER BY t.id
"""
_INCIDENTS = """
SELECT ST_X(geom), ST_Y(geom) FROM incident
WHERE street_id = :street AND duplicate_of IS NULL AND reported_at >= :since AND reported_at < :until
"""


def _vulnerable(attributes: pd.Series) -> pd.Series:
    def count(a: object) -> int:
        if not isinstance(a, dict):
            return 0
        return int(sum(float(a.get(k) or 0) for k in VULNERABLE_KEYS))

    return attributes.map(count)


def _incidents_near(conn: Connection, frame: pd.DataFrame, *, street: int, until: dt.datetime) -> pd.Series:
    params = {"street": street, "since": until - dt.timedelta(days=INCIDENT_DAYS), "until": until}
    points = result_array(conn.execute(sa.text(_INCIDENTS), params), width=2)
    if frame.empty or not len(points):
        return pd.Series(0, index=frame.index)
    tree = cKDTree(to_metres(points[:, 0], points[:, 1]))
    near = tree.query_ball_point(
        to_metres(frame["lon"].to_numpy(), frame["lat"].to_numpy()), NEAR_M, return_length=True
    )
    return pd.Series(np.asarray(near, int), index=frame.index)


def risk_register(
    conn: Connection,
    *,
    street: int,
    today: dt.date,
    kinds: tuple[str, ...] = (),
    weights: RiskWeights | None = None,
) -> pd.DataFrame:
    """One row per target of ``street`` (of ``kinds``, or all), highest risk first."""
    until = dt.datetime.combine(
        today + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    params = {
        "street": street,
        "kinds": list(kinds),
        "today": today,
        "until": until,
        "year_ago": until - dt.timedelta(days=365),
    }
    frame = result_frame(conn.execute(sa.text(_TARGETS), params))
    if frame.empty:
        return frame
    frame["vulnerable"] = _vulnerable(frame["attributes"])
    frame["incidents"] = _incidents_near(conn, frame, street=street, until=until)
    scored = score(frame.drop(columns=["attributes"]), today=today, weights=weights or RiskWeights())
    return scored.sort_values(["score", "id"], ascending=[False, True]).reset_index(drop=True)
