"""Every bad input gets one clear message and writes nothing (or is quarantined row by row)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.errors import InputError
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from tests.ingest_files import incident_rows, many_incidents, sample_buildings, write
from tests.sql import one

KIND = get_kind("incidents")


def ingest(engine, path, **options):
    return run_file(engine, kind=KIND, path=Path(path), options=JobOptions(**options))


@pytest.fixture(scope="module")
def rows(demo):
    return incident_rows(sample_buildings(demo, 30, seed=11), prefix="bad")


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("report.docx", b"PK\x03\x04", "unknown format"),
        ("empty.csv", b"", "is empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old .xls"),
        ("broken.xlsx", b"not a zip at all", "not a readable .xlsx"),
        ("broken.gpkg", b"SQLite format 3\x00garbage", "not a readable gpkg"),
        ("header_only.csv", "工单编号,受理时间,经度,纬度\n".encode(), "header but no rows"),
        ("no_id.csv", "受理时间,经度,纬度\n2025-01-01,113.3,40.09\n".encode(), "工单编号"),
        ("no_place.csv", "工单编号,受理时间\nA,2025-01-01\n".encode(), "no location"),
        ("garbage.csv", bytes(range(128, 256)) * 50, "encoding"),
        (
            "ragged.csv",
            "工单编号,受理时间,经度,纬度\nA,2025-01-01,113.3,40.09\nB,2025-01-01,113.3\n".encode(),
            "3 cells but the header has 4",
        ),
    ],
)
def test_bad_files_get_one_clear_message(demo, tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle):
        ingest(demo, path, source="bad-files", crs="wgs84")
    assert one(demo, "SELECT count(*) FROM incident WHERE source = 'bad-files'") == 0


def test_a_failed_job_is_in_the_ledger(demo, tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("工单编号,受理时间,经度,纬度\n", encoding="utf-8")
    with pytest.raises(InputError):
        ingest(demo, path, source="ledger", crs="wgs84")
    assert one(demo, "SELECT count(*) FROM ingest_run WHERE source = 'ledger' AND status = 'failed'") == 1


def test_wrong_declared_encoding(demo, rows, tmp_path):
    path = write(rows, tmp_path / "gbk.csv", encoding="gbk")
    with pytest.raises(InputError, match="not valid utf-8"):
        ingest(demo, path, source="enc", crs="wgs84", encoding="utf-8")
    assert ingest(demo, path, source="enc", crs="wgs84").inserted == 30  # detected when not declared


def test_coordinates_without_a_crs_are_refused(demo, rows, tmp_path):
    with pytest.raises(InputError, match="--crs"):
        ingest(demo, write(rows, tmp_path / "nocrs.csv"), source="nocrs")


def test_mixed_degrees_and_metres_are_refused(demo, rows, tmp_path):
    mixed = rows.copy()
    mixed.loc[5, ["lon", "lat"]] = [440000.0, 4439000.0]
    with pytest.raises(InputError, match="mixed coordinate systems"):
        ingest(demo, write(mixed, tmp_path / "mixed.csv"), source="mixed", crs="wgs84")


def test_unknown_crs_and_bad_mapping_are_refused(demo, rows, tmp_path):
    path = write(rows, tmp_path / "ok.csv")
    with pytest.raises(InputError, match="unknown coordinate system"):
        ingest(demo, path, source="x", crs="mars")
    with pytest.raises(InputError, match="not in the file"):
        ingest(demo, path, source="x", crs="wgs84", mapping={"没有这列": "address"})
    with pytest.raises(InputError, match="unknown field"):
        ingest(demo, path, source="x", crs="wgs84", mapping={"事发地址": "addr"})


def test_unparseable_numbers_and_dates_are_quarantined_per_row(demo, rows, tmp_path):
    bad = rows.astype(object)
    bad.loc[0, "lon"] = "东经113度"
    bad.loc[1, "reported_at"] = "2025-13-45 25:00"
    result = ingest(demo, write(bad, tmp_path / "cells.csv"), source="cells", crs="wgs84")
    assert (result.inserted, result.quarantined) == (28, 2)
    with demo.connect() as conn:
        reasons = (
            conn.execute(
                sa.text("SELECT reason FROM quarantine WHERE run_id = :r ORDER BY row_number"),
                {"r": result.run_id},
            )
            .scalars()
            .all()
        )
    assert "东经113度" in reasons[0] and "2025-13-45" in reasons[1]


def _wait_for_job(engine, timeout=60.0):
    """True once an ingest job holds its advisory lock, i.e. it is inside its transaction."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if one(engine, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"):
            return True
        time.sleep(0.01)
    return False


def test_killed_job_leaves_the_database_as_it_was_and_a_rerun_completes(demo, settings, rows, tmp_path):
    buildings = sample_buildings(demo, 3000, seed=12)
    big = many_incidents(buildings, 120_000, prefix="kill")  # long enough to kill mid-way
    path = write(big, tmp_path / "big.csv")
    before = {t: one(demo, f"SELECT count(*) FROM {t}") for t in ("incident", "ingest_run", "quarantine")}
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "GRIDGOV_DATA_DIR": str(settings.data_dir)
    }
    cmd = [
        sys.executable,
        "-m",
        "gridgov",
        "ingest",
        "incidents",
        str(path),
        "--source",
        "kill",
        "--crs",
        "wgs84",
        "--quiet",
    ]
    job = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _wait_for_job(demo), "the job never started"
    time.sleep(0.3)  # well inside the job
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=30)
    time.sleep(0.5)  # the server notices the dropped connection and rolls back
    after = {t: one(demo, f"SELECT count(*) FROM {t}") for t in before}
    assert after == before
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert one(demo, "SELECT count(*) FROM incident WHERE source = 'kill'") == 120_000
    assert "inserted 120000" in done.stdout


def test_jobs_on_the_same_source_do_not_interleave(demo, rows, tmp_path):
    path = write(rows, tmp_path / "lock.csv")
    finished = threading.Event()
    with demo.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_lock(hashtext('ingest:incidents:locked'))"))
        worker = threading.Thread(
            target=lambda: (ingest(demo, path, source="locked", crs="wgs84"), finished.set())
        )
        worker.start()
        time.sleep(1.5)
        assert not finished.is_set(), "the job ran while another held the source's lock"
        holder.execute(sa.text("SELECT pg_advisory_unlock(hashtext('ingest:incidents:locked'))"))
        holder.commit()
    worker.join(timeout=60)
    assert finished.is_set()
    assert one(demo, "SELECT count(*) FROM incident WHERE source = 'locked'") == 30
