"""Probable duplicates: the same problem reported through different channels.

Incidents of the same category within ``RADIUS_M`` metres and ``WINDOW_HOURS`` of each other,
from different sources, are linked: the later points at the earliest (``duplicate_of``).
Nothing is deleted; counts and maps may leave linked rows out. Runs for the rows of one job:
the other sources' incidents in the job's time span are indexed once in a temporary table,
then each job row makes one GiST probe (rows of the job's own source never get in the way).
A job whose time span no other source touches skips all of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingest.kinds import JobContext
from ingest.upsert import STAGE

assert STAGE == "ingest_stage"  # named in the queries below

RADIUS_M = 50.0
WINDOW_HOURS = 24
_ANY_OTHERS = """
SELECT EXISTS (SELECT 1 FROM incident WHERE source <> :source
  AND reported_at BETWEEN (SELECT min(reported_at) FROM ingest_stage) - make_interval(hours => :hours)
                      AND (SELECT max(reported_at) FROM ingest_stage) + make_interval(hours => :hours))
"""
_JOB = """
CREATE TEMP TABLE dup_job ON COMMIT DROP AS
SELECT i.id, i.category, i.reported_at, i.geom FROM incident i
JOIN ingest_stage s ON s.source = i.source AND s.source_id = i.source_id
"""
_OTHERS = """
CREATE TEMP TABLE dup_others ON COMMIT DROP AS
SELECT id, category, reported_at, geom FROM incident
WHERE source <> :source
  AND reported_at BETWEEN (SELECT min(reported_at) FROM dup_job) - make_interval(hours => :hours)
                      AND (SELECT max(reported_at) FROM dup_job) + make_interval(hours => :hours)
"""
# 0.0007° is more than 50 m in latitude and in longitude at 40° N: the GiST pre-filter
_NEAR = """
    {o}.geom && ST_Expand({j}.geom, 0.0007) AND {o}.category = {j}.category
    AND {o}.reported_at BETWEEN {j}.reported_at - make_interval(hours => :hours) AND {j}.reported_at
    AND ({o}.reported_at, {o}.id) < ({j}.reported_at, {j}.id)
    AND ST_DWithin({o}.geom::geography, {j}.geom::geography, :radius)
"""
# each later report points at the earliest earlier one nearby (LIMIT 1: bounded work per row)
_LINK_JOB = """
UPDATE incident i SET duplicate_of = e.id FROM dup_job j CROSS JOIN LATERAL (
    SELECT o.id FROM dup_others o WHERE {near} ORDER BY o.reported_at, o.id LIMIT 1
) e WHERE i.id = j.id AND i.duplicate_of IS NULL
""".replace("{near}", _NEAR.format(o="o", j="j"))
_LINK_OTHERS = """
UPDATE incident i SET duplicate_of = e.id FROM dup_others o CROSS JOIN LATERAL (
    SELECT j.id FROM dup_job j WHERE {near} ORDER BY j.reported_at, j.id LIMIT 1
) e WHERE i.id = o.id AND i.duplicate_of IS NULL
""".replace("{near}", _NEAR.format(o="j", j="o"))


def link_duplicates(conn: Connection, run_id: int, ctx: JobContext) -> None:
    params = {"hours": WINDOW_HOURS, "radius": RADIUS_M, "source": ctx.source}
    if not conn.execute(sa.text(_ANY_OTHERS), params).scalar_one():
        return  # no other source reported anything in this job's time span
    conn.execute(sa.text(_JOB))
    conn.execute(sa.text(_OTHERS), params)
    for table in ("dup_job", "dup_others"):
        conn.execute(sa.text(f"CREATE INDEX ON {table} USING gist (geom)"))
        conn.execute(sa.text(f"ANALYZE {table}"))
    linked = (
        conn.execute(sa.text(_LINK_JOB), params).rowcount
        + conn.execute(sa.text(_LINK_OTHERS), params).rowcount
    )
    conn.execute(sa.text("DROP TABLE dup_job, dup_others"))
    ctx.notes["probable duplicates linked (same category, 50 m, 24 h, other source)"] += linked
