"""`gridgov status` as a user runs it: what is loaded, and what each page is ready to show or needs."""

from __future__ import annotations

import sqlalchemy as sa

from geo import migrate
from geo.lifecycle import STEPS
from tests.small_district import gridgov


def _status(engine):
    """The report (printed, so a failing test shows it)."""
    result = gridgov(engine, "status")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    print(result.stdout)
    return result.stdout


def _line(text, start):
    return next(line.strip() for line in text.splitlines() if line.strip().startswith(start))


def test_status_on_boundaries_only_lists_levels_and_what_each_page_needs(boundaries_only):
    out = _status(boundaries_only)
    assert _line(out, "district:").startswith("district: 测试区 (110105)") and "demo" not in _line(
        out, "district:"
    )
    assert "2 villages" in _line(out, "community")
    for level, n in (("district", 1), ("street", 2), ("community", 4), ("grid", 8)):
        line = _line(out, level + " ")
        assert line.split()[1] == str(n) and "topology: clean" in line, line
    assert _line(out, "楼栋 buildings").endswith("Load: gridgov ingest buildings FILE")
    assert "gridgov ingest roads FILE (pages use straight lines)" in _line(out, "路网 roads")
    assert _line(out, "事件 incidents").endswith("gridgov ingest incidents FILE --source NAME")
    assert _line(out, "案件进展 lifecycle steps").endswith(
        "gridgov ingest incident-events FILE --source NAME (or the batch API)"
    )
    assert (
        _line(out, "/monitor")
        == "/monitor     needs incidents. Load: gridgov ingest incidents FILE --source NAME"
    )
    assert _line(out, "/map").startswith("/map         ready:")
    assert "needs inspection targets" in _line(out, "/inspections")
    assert "needs buildings with households/residents" in _line(out, "/coverage")
    assert "平城" not in out


def test_status_without_roads_says_planning_and_coverage_use_straight_lines(no_roads):
    out = _status(no_roads)
    assert "55 (" in _line(out, "楼栋 buildings")
    assert (
        _line(out, "服务点 service points")
        == "服务点 service points: 3 — 助老服务站 elder_care 2, 就业社保服务点 employment 1"
    )
    assert "民宿 homestay 2" in _line(out, "排查对象") and "0 visits recorded" in _line(out, "排查对象")
    assert _line(out, "/coverage").startswith("/coverage    ready:")
    assert _line(out, "/inspections").startswith("/inspections ready:")
    assert out.count("without walking road network: ") == 2  # planning and coverage


def test_status_on_the_demo_says_every_page_is_ready(demo):
    out = _status(demo)
    assert "the demo district (gridgov demo)" in _line(out, "district:")
    for page in ("/monitor", "/map", "/inspections", "/coverage"):
        assert _line(out, page).startswith(f"{page:<13}ready:"), out
    assert "12345 " in _line(out, "事件 incidents") and " open)" in _line(out, "事件 incidents")
    assert "18 " in _line(out, "street") and "47 villages" in _line(out, "community")
    assert "needs" not in out and "without" not in out
    assert "1 connected piece(s), none small" in out  # the demo's streets all meet
    with demo.connect() as conn:  # the lifecycle steps, per step, as the table holds them
        steps = dict(conn.execute(sa.text("SELECT kind, count(*) FROM incident_event GROUP BY 1")).all())
    line = _line(out, "案件进展 lifecycle steps")
    assert steps, "the demo loads the steps of its recent 12345 cases"
    assert line.startswith(f"案件进展 lifecycle steps: {sum(steps.values()):,} — ")
    assert all(f"{STEPS[k].zh} {k} {n:,}" in line for k, n in steps.items()), line


def test_status_on_an_empty_database_says_load_boundaries_and_an_old_schema_is_one_line(scratch_engine):
    result = gridgov(scratch_engine, "status")
    assert (
        result.returncode == 2
        and result.stderr.startswith("gridgov: ")
        and "gridgov db migrate" in result.stderr
    )
    migrate.upgrade(scratch_engine)
    out = _status(scratch_engine)
    assert _line(out, "district:").startswith(
        "district: none loaded yet. Load: gridgov ingest boundaries FILE"
    )
    assert "needs district, street, community/village and grid boundaries" in _line(out, "/map")
