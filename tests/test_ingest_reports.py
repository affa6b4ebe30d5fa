"""Readable quarantine reports: reasons grouped by kind with counts and sample values, in
`gridgov ingest report` and in a dry run; and the command's quiet exit into a closed pipe.
Real PostGIS and the real `gridgov` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from geo import migrate
from ingest import runs
from ingest.geocode.matcher import Match
from ingest.placing import _outside
from ingest.reasons import split_reason
from tests.test_ingest_dates import gridgov

DATE_KIND = "受理时间「…」时间格式无法识别 (unreadable time; column read as 年-月-日 YYYY-MM-DD)"


@pytest.fixture
def db(migrated_engine: sa.engine.Engine) -> sa.engine.Engine:
    return migrated_engine


@pytest.fixture
def bad_dates(tmp_path: Path) -> Path:
    """60 incidents: 10 fine, then 50 with a different impossible date each, then one with
    no 工单编号 (header is line 1, so the bad dates are lines 12-61)."""
    lines = ["工单编号,受理时间,经度,纬度"]
    lines += [f"G{i},2024-05-01 08:{i:02d}:00,113.3,40.09" for i in range(10)]
    lines += [f"B{i},2024-13-{i % 28 + 1:02d} 08:{i:02d}:00,113.3,40.09" for i in range(50)]
    lines += [",2024-05-01 09:00:00,113.3,40.09"]
    path = tmp_path / "bad_dates.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("reason", "kind", "value"),
    [
        ("受理时间「2024-13-01」时间格式无法识别 (unreadable time)", "受理时间「…」时间格式无法识别 (unreadable time)", "2024-13-01"),
        ("经度「东经113度」不是有效的数值 (unreadable coordinate)", "经度「…」不是有效的数值 (unreadable coordinate)", "东经113度"),
        ("未知的服务类型「网吧」 (unknown)", "未知的服务类型「…」 (unknown)", "网吧"),
        ("编号与第 5 行重复 (same source_id as row 5)", "编号与前面的行重复 (same source_id as an earlier row)", "row 5"),
        (_outside(1234.4), "位于辖区外 (outside the district)", "1,234 m"),
        ("上级 140213050 不存在 (no current street with that code: load it first)",
         "上级「…」不存在 (no current street with that code: load it first)", "140213050"),
        (Match(Point(0, 0), "community", 0.42, ("局前小区 3号楼",)).reason(),
         "地址无法可靠定位 (address not matched reliably)", "level community, score 0.42; 最接近 closest: 局前小区 3号楼"),
        ("缺少经纬度 (no longitude/latitude)", "缺少经纬度 (no longitude/latitude)", None),
        (_outside(float("inf")), "位于辖区外很远 (far outside the district)", None),
    ],
)  # fmt: skip
def test_each_reason_splits_into_a_kind_without_its_value(reason: str, kind: str, value: str | None) -> None:
    assert split_reason(reason) == (kind, value)


def test_report_groups_by_kind_with_three_samples(
    db: sa.engine.Engine, bad_dates: Path, tmp_path: Path
) -> None:
    loaded = gridgov(
        "ingest", "incidents", str(bad_dates), "--source", "r", "--crs", "wgs84", "--quiet", engine=db
    )
    assert loaded.returncode == 0, loaded.stderr
    run_id = int(loaded.stdout.split("run ", 1)[1].split(":", 1)[0])
    export = tmp_path / "fix.csv"
    result = gridgov("ingest", "report", str(run_id), "--export", str(export), engine=db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"{50:>8}  {DATE_KIND}" in lines
    at = lines.index(f"{50:>8}  {DATE_KIND}")
    assert lines[at + 1].strip() == (
        "e.g. row 12「2024-13-01 08:00:00」, row 13「2024-13-02 08:01:00」, row 14「2024-13-03 08:02:00」"
    )
    assert f"{1:>8}  缺少工单编号 (missing source_id)" in lines
    assert lines[lines.index(f"{1:>8}  缺少工单编号 (missing source_id)") + 1].strip() == "e.g. row 62"
    assert len([line for line in lines if re.match(r" +\d+  ", line)]) == 2  # two kinds, no more
    full = pd.read_csv(export, encoding="utf-8-sig", dtype=str)
    assert len(full) == 51 and full["原因 reason"].str.contains("2024-13-", regex=False).sum() == 50


def test_dry_run_prints_the_top_reasons_with_sample_rows(db: sa.engine.Engine, bad_dates: Path) -> None:
    result = gridgov(
        "ingest", "incidents", str(bad_dates), "--source", "d", "--crs", "wgs84", "--dry-run", "--quiet", engine=db
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("dry run, nothing written: read 61, inserted 10")
    assert "quarantined by reason (top 2, first rows of each):" in out
    assert f"{50:>8}  {DATE_KIND}\n          e.g. row 12「2024-13-01 08:00:00」, row 13「" in out
    assert "gridgov ingest report" not in out  # a dry run leaves no run to report on
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM quarantine")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM incident")).scalar_one() == 0


def test_sample_values_stay_on_one_short_line() -> None:
    group = runs.ReasonGroup("备注「…」太长 (too long)", 1, ((7, "第一行\n" + "很长" * 100),))
    assert group.describe()[1] == "          e.g. row 7「第一行 " + "很长" * 27 + "很…」"


def test_runs_of_before_the_kinds_are_grouped_by_the_quoted_value_rule(
    scratch_engine: sa.engine.Engine,
) -> None:
    """Migration 0012 gives the quarantine rows already stored a kind and a value."""
    migrate.upgrade(scratch_engine, revision="0011")
    with scratch_engine.begin() as conn:
        run_id = conn.execute(
            sa.text("INSERT INTO ingest_run (kind, source) VALUES ('incidents', 'old') RETURNING id")
        ).scalar_one()
        for row, reason in enumerate(["受理时间「x」不是有效的日期时间 date/time", "受理时间「y」不是有效的日期时间 date/time", "缺少经纬度 (no longitude/latitude)"]):  # fmt: skip
            conn.execute(
                sa.text("INSERT INTO quarantine (run_id, row_number, raw, reason) VALUES (:r, :n, '{}', :t)"),
                {"r": run_id, "n": row + 2, "t": reason},
            )
    migrate.upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        groups = runs.reason_groups(conn, run_id)
    assert [(g.kind, g.count, g.samples) for g in groups] == [
        ("受理时间「…」不是有效的日期时间 date/time", 2, ((2, "x"), (3, "y"))),
        ("缺少经纬度 (no longitude/latitude)", 1, ((4, None),)),
    ]


def _environment(engine: sa.engine.Engine) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {"DATABASE_URL": engine.url.render_as_string(hide_password=False)}


def test_a_closed_pipe_ends_the_command_quietly(db: sa.engine.Engine, bad_dates: Path) -> None:
    for source in ("p1", "p2"):
        loaded = gridgov(
            "ingest", "incidents", str(bad_dates), "--source", source, "--crs", "wgs84", engine=db
        )
        assert loaded.returncode == 0, loaded.stderr
    piped = subprocess.run(
        ["bash", "-c", "set +o pipefail; gridgov ingest runs | head -1"],
        capture_output=True,
        text=True,
        env=_environment(db) | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        timeout=120,
    )
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.split() == [
        "id",
        "kind",
        "source",
        "status",
        "read",
        "ins",
        "upd",
        "same",
        "quar",
        "file",
    ]
    # the reader gone before a byte is written (what `| head -1` meets when the output is long)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        closed = subprocess.run(
            [sys.executable, "-m", "gridgov", "ingest", "runs"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment(db),
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert (closed.returncode, closed.stderr) == (141, "")
