"""Service points with the days they opened and closed (#18): coverage as of a date counts the
points serving that day, the units without a point of their own are read the same way, and
`gridgov ingest service-points` reads 启用日期 / 停用日期 (a point closed before it opened is
quarantined with the reason)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from dashboard.coverage.callbacks import as_of
from dashboard.coverage.views import CoverageCache, WhatIf, coverage_view
from geo.service_types import LEVELS
from layers.service_points import points_of, units_without
from tests.databases import demo_copy
from tests.small_district import gridgov
from tests.sql import all_rows

BEFORE, CLOSING, OPENING = dt.date(2026, 5, 31), dt.date(2026, 6, 1), dt.date(2026, 9, 1)


def test_coverage_as_of_a_date_counts_the_points_serving_that_day(demo):
    with demo.connect() as conn:
        trans = conn.begin()
        points = points_of(conn, "employment", on=BEFORE)
        closed, opened = int(points.id.iloc[0]), int(points.id.iloc[1])
        conn.execute(
            sa.text("UPDATE service_point SET closed_on = :d WHERE id = :p"), {"d": CLOSING, "p": closed}
        )
        conn.execute(
            sa.text("UPDATE service_point SET opened_on = :d WHERE id = :p"), {"d": OPENING, "p": opened}
        )
        ids = {day: set(points_of(conn, "employment", on=day).id) for day in (BEFORE, CLOSING, OPENING)}
        assert closed in ids[BEFORE] and opened not in ids[BEFORE]  # not yet open
        assert closed not in ids[CLOSING] and opened not in ids[CLOSING]  # closed from its closing day
        assert closed not in ids[OPENING] and opened in ids[OPENING]
        unit = conn.execute(sa.text("SELECT CASE WHEN level = 'street' THEN street_id ELSE community_id END FROM service_point WHERE id = :p"), {"p": closed}).scalar_one()  # fmt: skip
        assert unit not in set(units_without(conn, "employment", levels=LEVELS, on=BEFORE).id)
        assert unit in set(units_without(conn, "employment", levels=LEVELS, on=CLOSING).id)
        cache = CoverageCache()
        shares = [coverage_view(conn, cache, kind="employment", metres=300.0, what_if=WhatIf(), on=d).result.share
                  for d in (BEFORE, CLOSING)]  # fmt: skip
        assert shares[1] <= shares[0]
        trans.rollback()
    assert as_of(None) == as_of("") and as_of("2026-06-01T00:00:00") == CLOSING


def test_ingest_reads_the_opening_and_closing_days(cluster, demo_template, tmp_path):
    with demo_copy(cluster, demo_template) as engine:
        ((lon, lat),) = all_rows(engine, "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM building ORDER BY id LIMIT 1")  # fmt: skip
        pd.DataFrame({
            "编号": ["D1", "D2"], "服务类型": "就业社保服务点", "名称": ["新开服务点", "错日期服务点"],
            "启用日期": ["2026-09-01", "2026-09-01"], "停用日期": ["", "2026-08-01"], "经度": lon, "纬度": lat,
        }).to_csv(tmp_path / "points.csv", index=False)  # fmt: skip
        run = gridgov(
            engine,
            "ingest",
            "service-points",
            str(tmp_path / "points.csv"),
            "--source",
            "dated",
            "--crs",
            "wgs84",
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "停用日期不晚于启用日期" in run.stdout
        rows = all_rows(
            engine, "SELECT source_id, opened_on, closed_on FROM service_point WHERE source = 'dated'"
        )
        assert [tuple(r) for r in rows] == [("D1", OPENING, None)]
        with engine.connect() as conn:
            assert "新开服务点" not in set(points_of(conn, "employment", on=BEFORE).name)
            names = set(points_of(conn, "employment", on=OPENING).name)
        assert "新开服务点" in names
