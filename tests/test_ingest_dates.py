"""Dates per column: each date/time column is read in one layout, detected from its cells or
named with --date-format; an ambiguous day/month column is refused. Real files, real PostGIS,
and the real `gridgov` command where a user would run it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from ingest import timelayout
from ingest.fields import clean_text
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind

KIND = get_kind("incidents")
HEADER = "工单编号,受理时间,办结时间,经度,纬度\n"


def gridgov(*args: str, engine: sa.engine.Engine) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, on the test's own database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "gridgov", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def db(migrated_engine: sa.engine.Engine) -> sa.engine.Engine:
    return migrated_engine


def csv_file(path: Path, rows: list[tuple[str, str]]) -> Path:
    """Incidents with the given 受理时间 and 办结时间 cells (the 办结时间 may be empty)."""
    lines = [f"T{i},{reported},{closed},113.3,40.09\n" for i, (reported, closed) in enumerate(rows)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def stored(engine: sa.engine.Engine, source: str, column: str = "reported_at") -> dict[str, dt.datetime]:
    """source_id → the stored time as naive Beijing time."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                f"SELECT source_id, {column} AT TIME ZONE 'Asia/Shanghai' FROM incident WHERE source = :s"
            ),
            {"s": source},
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def layout_of(cells: list[str]) -> str:
    text = clean_text(pd.Series(cells, dtype=object))
    found = timelayout.detect(text, what="受理时间", field="reported_at")
    assert found is not None
    return found.key


@pytest.mark.parametrize(
    ("cells", "key"),
    [
        (["2024-05-01 08:30:00", "2024-05-01T08:30", "2024-05-01 08:30", "2024-05-01"], "year_first"),
        (["2024/5/1 8:30", "2024/05/01 08:30:15", "2024/5/1"], "year_first"),
        (
            ["2024年5月1日 8时30分", "2024年5月1日 8时30分15秒", "2024年5月1日 8:30", "2024年5月1日"],
            "year_first",
        ),
        (["03/01/2011 02:27:57 PM", "03/13/2011 11:05:00 AM"], "month_first"),
        (["25/12/2024 08:30", "01/02/2024"], "day_first"),
        (["45231.5", "45232", "45233.25"], "excel"),
        (["20240501", "20240502083000"], "year_first"),
        (["yesterday", "soon"], "year_first"),  # nothing reads: every cell is bad, as before
        (["2026-12-05T20:17:00+08:00", "2026-12-05T12:17:00Z", "2026-12-05 20:17"], "year_first"),
        (["2024.5", "2023.25", "45232"], "excel"),  # a year's digits then a point: numbers
        (["2024-05-01", "03/01/2011 02:27:57 PM", "03/13/2011 11:05:00 AM"], "month_first"),
    ],
)
def test_each_common_layout_is_detected(cells: list[str], key: str) -> None:
    assert layout_of(cells) == key


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"\A\d{4}[-/年][^\n]{0,24}\Z"), min_size=1, max_size=8))
def test_a_column_led_by_years_is_year_first_without_reading_it(cells: list[str]) -> None:
    """The shortcut for cells led by a year and a date's separator (an API's ISO times): reading
    them every way comes to the same, year first."""
    column = pd.Series(cells, dtype="string")
    assert timelayout._detect(column) is timelayout.YEAR_FIRST
    assert timelayout._read_layout(pd.Series(column.unique(), dtype="string")) is timelayout.YEAR_FIRST


def test_excel_serials_only_in_a_column_of_numbers() -> None:
    assert layout_of(["45231.5", "45232", "2024-05-01 08:00:00", "2024-05-02 08:00:00"]) == "year_first"


def test_layouts_read_the_right_times() -> None:
    cases = {
        "month_first": ("03/01/2011 02:27:57 PM", "2011-03-01 14:27:57"),
        "day_first": ("25/12/2024 08:30", "2024-12-25 08:30:00"),
        "excel": ("45231.5", "2023-11-01 12:00:00"),
        "year_first": ("2024年5月1日 8时30分15秒", "2024-05-01 08:30:15"),
    }
    layouts = {layout.key: layout for layout in timelayout.DETECTED}
    for key, (cell, want) in cases.items():
        got = layouts[key].read(pd.Series([cell], dtype="string")).iloc[0]
        assert got == pd.Timestamp(want, tz="Asia/Shanghai"), key


@pytest.mark.parametrize("cell", ["02/30/2011 01:00:00 PM", "03/01/2011 13:00:00 PM", "03/01/2011 00:10 AM"])
def test_impossible_month_first_times_are_bad_cells(cell: str) -> None:
    read = timelayout.MONTH_FIRST.read(pd.Series([cell, "03/01/2011 12:00:00 AM"], dtype="string"))
    assert pd.isna(read.iloc[0]) and read.iloc[1] == pd.Timestamp("2011-03-01 00:00", tz="Asia/Shanghai")


def test_nyc_311_times_through_the_cli(db: sa.engine.Engine, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "311.csv",
        [
            ("03/01/2011 02:27:57 PM", "03/02/2011 09:00:00 AM"),
            ("03/13/2011 12:05:00 AM", ""),
            ("12/31/2011 11:59:59 PM", "01/01/2012 12:00:00 PM"),
            ("2011-03-01 14:27:57", ""),  # not the column's layout: quarantined, with why
        ],
    )
    result = gridgov(
        "ingest", "incidents", str(path), "--source", "nyc", "--crs", "wgs84", "--quiet", engine=db
    )
    assert result.returncode == 0, result.stderr
    assert "受理时间" not in result.stderr and "Traceback" not in result.stderr
    # 办结时间 alone reads both ways (every day ≤ 12): it follows 受理时间, as one export writes its dates one way
    assert "reported_at read as 月/日/年 MM/DD/YYYY; closed_at read as 月/日/年 MM/DD/YYYY" in result.stdout
    assert "inserted 3" in result.stdout and "quarantined 1" in result.stdout
    assert stored(db, "nyc") == {
        "T0": dt.datetime(2011, 3, 1, 14, 27, 57),
        "T1": dt.datetime(2011, 3, 13, 0, 5),
        "T2": dt.datetime(2011, 12, 31, 23, 59, 59),
    }
    assert stored(db, "nyc", "closed_at")["T2"] == dt.datetime(2012, 1, 1, 12, 0)
    with db.connect() as conn:
        reason, kind, value = conn.execute(
            sa.text("SELECT reason, reason_kind, reason_value FROM quarantine WHERE row_number = 5")
        ).one()
    assert (
        reason
        == "受理时间「2011-03-01 14:27:57」时间格式无法识别 (unreadable time; column read as 月/日/年 MM/DD/YYYY)"
    )
    assert kind == "受理时间「…」时间格式无法识别 (unreadable time; column read as 月/日/年 MM/DD/YYYY)"
    assert value == "2011-03-01 14:27:57"


def test_ambiguous_day_month_is_refused_until_the_format_is_given(
    db: sa.engine.Engine, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path / "dm.csv", [("03/01/2024 08:00", ""), ("04/02/2024 09:30", ""), ("12/11/2024 10:00", "")]
    )
    refused = gridgov(
        "ingest", "incidents", str(path), "--source", "dm", "--crs", "wgs84", "--quiet", engine=db
    )
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("gridgov: 受理时间 (reported_at): dates such as 「03/01/2024 08:00」")
    assert "read both as day/month and as month/day" in line
    assert "--date-format '%m/%d/%Y %H:%M'" in line and "'%d/%m/%Y %H:%M'" in line
    assert stored(db, "dm") == {}
    forced = gridgov(
        "ingest", "incidents", str(path), "--source", "dm", "--crs", "wgs84", "--quiet",
        "--date-format", "受理时间=%d/%m/%Y %H:%M", engine=db,
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert "reported_at read as %d/%m/%Y %H:%M" in forced.stdout
    assert stored(db, "dm") == {
        "T0": dt.datetime(2024, 1, 3, 8, 0),
        "T1": dt.datetime(2024, 2, 4, 9, 30),
        "T2": dt.datetime(2024, 11, 12, 10, 0),
    }


def test_one_day_over_12_settles_the_column(db: sa.engine.Engine, tmp_path: Path) -> None:
    path = csv_file(tmp_path / "dm.csv", [("03/01/2024", ""), ("04/02/2024", ""), ("25/11/2024", "")])
    result = run_file(db, kind=KIND, path=path, options=JobOptions(source="dm2", crs="wgs84"))
    assert (result.inserted, result.report["dates"]) == (3, {"reported_at": "日/月/年 DD/MM/YYYY"})
    assert stored(db, "dm2")["T0"] == dt.datetime(2024, 1, 3)


def test_a_format_for_every_column_and_bad_formats(db: sa.engine.Engine, tmp_path: Path) -> None:
    path = csv_file(tmp_path / "all.csv", [("01.02.2024", "02.02.2024"), ("03.02.2024", "")])
    result = run_file(
        db, kind=KIND, path=path, options=JobOptions(source="all", crs="wgs84", date_formats={"": "%d.%m.%Y"})
    )
    assert result.inserted == 2
    assert result.report["dates"] == {"reported_at": "%d.%m.%Y", "closed_at": "%d.%m.%Y"}
    assert stored(db, "all", "closed_at")["T0"] == dt.datetime(2024, 2, 2)
    for formats, needle in (
        ({"": "dd/mm/yyyy"}, "no %-directive"),
        ({"": "%d/%Q"}, "not a strptime format"),
        ({"事发地址": "%d/%m/%Y"}, "no date/time column here"),
    ):
        with pytest.raises(InputError, match=needle):
            run_file(
                db, kind=KIND, path=path, options=JobOptions(source="x", crs="wgs84", date_formats=formats)
            )


def test_excel_serial_numbers_in_a_workbook(db: sa.engine.Engine, tmp_path: Path) -> None:
    """A column of numbers reads as Excel's day numbers; a text cell in it is then a bad cell
    (in the first batch it would have made the column not one of numbers, and so year first)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["工单编号", "受理时间", "经度", "纬度"])
    for i, serial in enumerate([45231.5, 45232, 45233.75, "not a day"]):
        sheet.append([f"X{i}", serial, 113.3, 40.09])
    book.save(tmp_path / "serials.xlsx")
    options = JobOptions(source="xl", crs="wgs84", batch_size=3)  # "not a day" comes after the detection
    result = run_file(db, kind=KIND, path=tmp_path / "serials.xlsx", options=options)
    assert (result.inserted, result.quarantined) == (3, 1)
    assert result.report["dates"] == {"reported_at": "Excel 序列号 serial number"}
    assert stored(db, "xl") == {
        "X0": dt.datetime(2023, 11, 1, 12, 0),
        "X1": dt.datetime(2023, 11, 2, 0, 0),
        "X2": dt.datetime(2023, 11, 3, 18, 0),
    }


def test_the_layout_is_kept_from_the_first_batch_with_values(db: sa.engine.Engine, tmp_path: Path) -> None:
    """Batches of 2: the first has no 办结时间, the second settles it month first, the third
    must then follow it (a day-first cell there is a bad cell, not a new guess)."""
    rows = [("2024-01-01 08:00:00", ""), ("2024-01-01 09:00:00", "")]
    rows += [("2024-01-02 08:00:00", "03/13/2024 08:00"), ("2024-01-02 09:00:00", "03/14/2024 08:00")]
    rows += [("2024-01-03 08:00:00", "25/03/2024 08:00"), ("2024-01-03 09:00:00", "03/15/2024 08:00")]
    path = csv_file(tmp_path / "batches.csv", rows)
    result = run_file(db, kind=KIND, path=path, options=JobOptions(source="b", crs="wgs84", batch_size=2))
    assert (result.inserted, result.quarantined) == (5, 1)
    assert result.report["dates"] == {
        "reported_at": "年-月-日 YYYY-MM-DD",
        "closed_at": "月/日/年 MM/DD/YYYY",
    }
    assert stored(db, "b", "closed_at")["T5"] == dt.datetime(2024, 3, 15, 8, 0)
