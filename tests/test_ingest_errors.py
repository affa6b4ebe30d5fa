"""Every bad input gets one clear message and writes nothing (or is quarantined row by row).

The jobs run on ``ingest_demo``, a private copy of the demo: the shared one stays as loaded.
"""

from pathlib import Path

import pytest
import sqlalchemy as sa

from geo import partitions
from geo.errors import InputError
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from tests.ingest_files import incident_rows, many_incidents, sample_buildings, write
from tests.ingest_jobs import IngestJob, holding_back_commits, wait_rolled_back
from tests.sql import one

KIND = get_kind("incidents")


def ingest(engine, path, **options):
    return run_file(engine, kind=KIND, path=Path(path), options=JobOptions(**options))


@pytest.fixture(scope="module")
def rows(ingest_demo):
    return incident_rows(sample_buildings(ingest_demo, 30, seed=11), prefix="bad")


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
def test_bad_files_get_one_clear_message(ingest_demo, tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle):
        ingest(ingest_demo, path, source="bad-files", crs="wgs84")
    assert one(ingest_demo, "SELECT count(*) FROM incident WHERE source = 'bad-files'") == 0


def test_a_failed_job_is_in_the_ledger(ingest_demo, tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("工单编号,受理时间,经度,纬度\n", encoding="utf-8")
    with pytest.raises(InputError):
        ingest(ingest_demo, path, source="ledger", crs="wgs84")
    assert (
        one(ingest_demo, "SELECT count(*) FROM ingest_run WHERE source = 'ledger' AND status = 'failed'") == 1
    )


def test_wrong_declared_encoding(ingest_demo, rows, tmp_path):
    path = write(rows, tmp_path / "gbk.csv", encoding="gbk")
    with pytest.raises(InputError, match="not valid utf-8"):
        ingest(ingest_demo, path, source="enc", crs="wgs84", encoding="utf-8")
    assert ingest(ingest_demo, path, source="enc", crs="wgs84").inserted == 30  # detected when not declared


def test_coordinates_without_a_crs_are_refused(ingest_demo, rows, tmp_path):
    with pytest.raises(InputError, match="--crs"):
        ingest(ingest_demo, write(rows, tmp_path / "nocrs.csv"), source="nocrs")


def test_mixed_degrees_and_metres_are_refused(ingest_demo, rows, tmp_path):
    mixed = rows.copy()
    mixed.loc[5, ["lon", "lat"]] = [440000.0, 4439000.0]
    with pytest.raises(InputError, match="mixed coordinate systems"):
        ingest(ingest_demo, write(mixed, tmp_path / "mixed.csv"), source="mixed", crs="wgs84")


def test_unknown_crs_and_bad_mapping_are_refused(ingest_demo, rows, tmp_path):
    path = write(rows, tmp_path / "ok.csv")
    with pytest.raises(InputError, match="unknown coordinate system"):
        ingest(ingest_demo, path, source="x", crs="mars")
    with pytest.raises(InputError, match="not in the file"):
        ingest(ingest_demo, path, source="x", crs="wgs84", mapping={"没有这列": "address"})
    with pytest.raises(InputError, match="unknown field"):
        ingest(ingest_demo, path, source="x", crs="wgs84", mapping={"事发地址": "addr"})


def test_unparseable_numbers_and_dates_are_quarantined_per_row(ingest_demo, rows, tmp_path):
    bad = rows.astype(object)
    bad.loc[0, "lon"] = "东经113度"
    bad.loc[1, "reported_at"] = "2025-13-45 25:00"
    result = ingest(ingest_demo, write(bad, tmp_path / "cells.csv"), source="cells", crs="wgs84")
    assert (result.inserted, result.quarantined) == (28, 2)
    with ingest_demo.connect() as conn:
        reasons = (
            conn.execute(
                sa.text("SELECT reason FROM quarantine WHERE run_id = :r ORDER BY row_number"),
                {"r": result.run_id},
            )
            .scalars()
            .all()
        )
    assert "东经113度" in reasons[0] and "2025-13-45" in reasons[1]


def test_killed_job_leaves_the_database_as_it_was_and_a_rerun_completes(ingest_demo, tmp_path):
    big = many_incidents(sample_buildings(ingest_demo, 3000, seed=12), 12_000, prefix="kill")
    path = write(big, tmp_path / "big.csv")
    before = {
        t: one(ingest_demo, f"SELECT count(*) FROM {t}") for t in ("incident", "ingest_run", "quarantine")
    }
    # however slow the machine, the kill comes before the commit
    with (
        holding_back_commits(ingest_demo),
        IngestJob(ingest_demo, path, source="kill", app="killed", batch_size=2_000) as job,
    ):
        job.reach("batch", batches=2)  # well inside the job: two of six batches copied
        job.kill()
    wait_rolled_back(ingest_demo, source="kill")
    after = {t: one(ingest_demo, f"SELECT count(*) FROM {t}") for t in before}
    assert after == before
    assert one(ingest_demo, "SELECT to_regclass(:p) IS NULL", p=partitions.partition_name("kill"))
    with IngestJob(ingest_demo, path, source="kill", app="rerun", batch_size=2_000) as rerun:
        assert "inserted 12000" in rerun.finish()
    assert one(ingest_demo, "SELECT count(*) FROM incident WHERE source = 'kill'") == 12_000


def test_progress_lines_name_each_step_then_done_or_failed(ingest_demo, rows, tmp_path):
    path = write(rows, tmp_path / "progress.csv")
    with IngestJob(ingest_demo, path, source="progress", app="progress", batch_size=10) as job:
        assert "inserted 30" in job.finish()
    phases = ["begun", "batch", "batch", "batch", "merge", "merged", "commit", "done"]
    assert [step["phase"] for step in job.steps] == phases
    assert [step.get("batches") for step in job.steps[1:4]] == [1, 2, 3]
    assert {step["run"] for step in job.steps} == {one(ingest_demo, "SELECT max(id) FROM ingest_run")}
    assert job.steps[-1] == {"phase": "done", "run": job.steps[0]["run"], "batches": 3, "read": 30}
    empty = tmp_path / "header_only.csv"
    empty.write_text("工单编号,受理时间,经度,纬度\n", encoding="utf-8")
    with IngestJob(ingest_demo, empty, source="progress", app="refused", batch_size=10) as refused:
        status, _out = refused.end()
    assert status == 2 and refused.steps[-1]["phase"] == "failed"
    assert "header but no rows" in refused.steps[-1]["message"]


def test_jobs_on_the_same_source_do_not_interleave(ingest_demo, rows, tmp_path):
    """A job waits for another on the same source: here the other is a session holding the
    source's lock. `gridgov ingest` says it waits (a ``waiting`` step; with the lock taken out
    of the job, it runs through and this fails), and goes on once the lock is released."""
    path, key = write(rows, tmp_path / "lock.csv"), "ingest:incidents:locked"
    with ingest_demo.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": key})
        with IngestJob(ingest_demo, path, source="locked", app="locked-job", batch_size=10) as job:
            try:
                step = job.next_step()
                assert step is not None and step["phase"] == "waiting", job.steps
                assert "source 'locked'" in step["message"] and job.process.poll() is None
            finally:
                holder.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": key})
                holder.commit()
            assert "inserted 30" in job.finish()
    assert [s["phase"] for s in job.steps][:2] == ["waiting", "begun"]
    assert one(ingest_demo, "SELECT count(*) FROM incident WHERE source = 'locked'") == 30
