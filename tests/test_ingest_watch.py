"""`gridgov ingest watch DIR`: the drop folder, run as a user runs it (a process of its own) on a
database of its own holding the small district's boundaries. Each test waits on what the watcher
logs and on the files it moves, never on the clock: `--once` looks once, so "the file grew
between two looks" is two runs with a write between them."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from geo import migrate
from geo.db import make_engine
from ingest.dropfolder import DropFolder
from tests.databases import fresh_database
from tests.ingest_jobs import holding_back_commits, wait_rolled_back
from tests.sql import one
from tests.watch_jobs import Watching, csv_text, incidents, watch_once

N = 40


@pytest.fixture(scope="module")
def district(cluster, small_district, tmp_path_factory):
    with fresh_database(cluster, template=small_district) as engine:  # its boundaries, loaded once
        yield engine


def loaded(engine, source):
    return one(engine, "SELECT count(*) FROM incident WHERE source = :s", s=source)


def named(found, event):
    return [e for e in found if e["event"] == event]


def test_a_complete_file_is_loaded_at_the_second_look_and_moved_with_its_run_id(district, tmp_path):
    (tmp_path / "export.csv").write_text(csv_text(incidents("c", N)), encoding="utf-8")
    status, found, err = watch_once(district, tmp_path, "watch-complete")
    assert status == 0, err
    assert [e["file"] for e in named(found, "waiting")] == ["export.csv"] and not named(found, "done")
    assert (tmp_path / "export.csv").exists() and loaded(district, "watch-complete") == 0
    status, found, err = watch_once(district, tmp_path, "watch-complete")
    assert status == 0, err
    [done] = named(found, "done")
    run = done["run"]
    assert (done["read"], done["inserted"], done["quarantined"]) == (N, N, 0)
    assert not (tmp_path / "export.csv").exists()
    assert (tmp_path / "done" / f"export.run{run}.csv").read_text(encoding="utf-8") == csv_text(
        incidents("c", N)
    )
    assert loaded(district, "watch-complete") == N
    assert one(district, "SELECT status FROM ingest_run WHERE id = :r", r=run) == "done"
    phases = [e["phase"] for e in named(found, "progress")]
    assert phases[0] == "begun" and phases[-1] == "done"
    # a third look finds nothing to do
    status, found, _ = watch_once(district, tmp_path, "watch-complete")
    assert status == 0 and not named(found, "done") and not named(found, "waiting")
    assert loaded(district, "watch-complete") == N


def test_a_file_still_being_written_waits_until_two_looks_agree(district, tmp_path):
    text = csv_text(incidents("g", N))
    half = text.index("\n", len(text) // 2) + 1
    path = tmp_path / "growing.csv"
    path.write_text(text[:half], encoding="utf-8")
    _, found, _ = watch_once(district, tmp_path, "watch-growing")
    first = named(found, "waiting")[0]["size"]
    with path.open("a", encoding="utf-8") as out:
        out.write(text[half:])
    _, found, _ = watch_once(district, tmp_path, "watch-growing")
    [waiting] = named(found, "waiting")
    assert waiting["size"] > first and not named(found, "done")
    assert loaded(district, "watch-growing") == 0
    _, found, _ = watch_once(district, tmp_path, "watch-growing")
    [done] = named(found, "done")
    assert done["read"] == N and loaded(district, "watch-growing") == N


def test_a_done_marker_makes_a_file_ready_at_the_first_look(district, tmp_path):
    (tmp_path / "marked.csv").write_text(csv_text(incidents("m", N)), encoding="utf-8")
    (tmp_path / "marked.csv.done").write_text("", encoding="utf-8")
    status, found, err = watch_once(district, tmp_path, "watch-marked")
    assert status == 0, err
    [done] = named(found, "done")
    assert done["inserted"] == N and not named(found, "waiting")
    assert not (tmp_path / "marked.csv.done").exists()
    assert (tmp_path / "done" / f"marked.run{done['run']}.csv").exists()


def test_a_bad_file_goes_to_failed_with_its_reason_and_the_rest_are_loaded(district, tmp_path):
    (tmp_path / "a-no-ticket.csv").write_text(
        csv_text(incidents("b", N).drop(columns=["工单编号"])), encoding="utf-8"
    )
    (tmp_path / "b-notes.docx").write_bytes(b"PK\x03\x04 not data")
    (tmp_path / "c-good.csv").write_text(csv_text(incidents("b", N)), encoding="utf-8")
    for name in ("a-no-ticket.csv", "b-notes.docx", "c-good.csv"):
        (tmp_path / f"{name}.done").write_text("", encoding="utf-8")
    status, found, err = watch_once(district, tmp_path, "watch-bad")
    assert status == 0, err
    failed = {e["file"]: e for e in named(found, "failed")}
    assert set(failed) == {"a-no-ticket.csv", "b-notes.docx"}
    for name, needle in (("a-no-ticket.csv", "工单编号"), ("b-notes.docx", "unknown format")):
        run = failed[name]["run"]
        stem, suffix = name.rsplit(".", 1)
        moved = tmp_path / "failed" / f"{stem}.run{run}.{suffix}"
        assert moved.exists(), sorted(p.name for p in (tmp_path / "failed").iterdir())
        reason = moved.with_name(moved.name + ".reason.txt").read_text(encoding="utf-8")
        assert needle in reason and needle in failed[name]["reason"]
        assert one(district, "SELECT status FROM ingest_run WHERE id = :r", r=run) == "failed"
    [done] = named(found, "done")
    assert done["file"] == "c-good.csv" and loaded(district, "watch-bad") == N
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file() and not p.name.startswith(".")) == []


def test_the_same_content_again_is_loaded_as_unchanged(district, tmp_path):
    text = csv_text(incidents("r", N))
    for name in ("first.csv", "again.csv"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        (tmp_path / f"{name}.done").write_text("", encoding="utf-8")
        _, found, err = watch_once(district, tmp_path, "watch-rerun")
        [done] = named(found, "done")
        assert done["file"] == name, err
    assert (done["inserted"], done["updated"], done["unchanged"]) == (0, 0, N)
    assert loaded(district, "watch-rerun") == N
    assert len(list((tmp_path / "done").iterdir())) == 2


def test_sigterm_lets_the_running_job_finish_and_takes_no_other_file(district, tmp_path):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(csv_text(incidents(name[0], N)), encoding="utf-8")
        (tmp_path / f"{name}.done").write_text("", encoding="utf-8")
    with Watching(district, tmp_path, "watch-term", "--interval", "3600") as watcher:
        with holding_back_commits(district):  # the first job waits at the end of its merge
            watcher.until("progress", file="a.csv", phase="merge")
            watcher.terminate()
        watcher.until("done", file="a.csv")
        watcher.until("stopped")
        assert watcher.exit_status() == 0
    assert all(e.get("file") != "b.csv" for e in watcher.events)
    assert (tmp_path / "b.csv").exists() and (tmp_path / "b.csv.done").exists()
    assert loaded(district, "watch-term") == N


def test_a_watcher_killed_mid_file_leaves_nothing_and_the_next_one_loads_the_file(district, tmp_path):
    (tmp_path / "crash.csv").write_text(csv_text(incidents("k", N)), encoding="utf-8")
    (tmp_path / "crash.csv.done").write_text("", encoding="utf-8")
    with (
        Watching(district, tmp_path, "watch-crash", "--interval", "3600") as watcher,
        holding_back_commits(district),
    ):
        watcher.until("progress", file="crash.csv", phase="merge")
        watcher.kill()
    wait_rolled_back(district, source="watch-crash")
    assert loaded(district, "watch-crash") == 0
    assert (tmp_path / "processing" / "crash.csv").exists()
    status, found, err = watch_once(district, tmp_path, "watch-crash")
    assert status == 0, err
    assert [e["file"] for e in named(found, "resumed")] == ["crash.csv"]
    [done] = named(found, "done")
    assert done["inserted"] == N and loaded(district, "watch-crash") == N
    assert not list((tmp_path / "processing").iterdir())


def test_a_missing_folder_is_a_one_line_error(district, tmp_path):
    status, _, err = watch_once(district, tmp_path / "nowhere", "watch-none")
    assert status == 2 and err.strip().startswith("gridgov: ") and "not a directory" in err
    assert len(err.strip().splitlines()) == 1


def test_names_an_exporter_is_still_writing_are_never_candidates(tmp_path):
    for name in ("a.csv", "b.csv.part", "c.xlsx.tmp", "~$d.xlsx", ".e.csv", "a.csv.done", "f.CRDOWNLOAD"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    folder = DropFolder.open(tmp_path)
    assert [p.name for p in folder.candidates()] == ["a.csv"]
    assert [p.name for p in folder.look().ready] == ["a.csv"]  # its marker
    taken = folder.claim(tmp_path / "a.csv")
    assert taken == tmp_path / "processing" / "a.csv" and not (tmp_path / "a.csv.done").exists()
    assert folder.finish(taken, run_id=None, reason="why").name == "a.norun.csv"
    assert (tmp_path / "failed" / "a.norun.csv.reason.txt").read_text(encoding="utf-8") == "why\n"


def test_any_registered_kind_is_watched_here_a_case_lifecycles_steps(district, tmp_path):
    cases, steps = tmp_path / "cases", tmp_path / "steps"
    cases.mkdir(), steps.mkdir()
    (cases / "cases.csv").write_text(csv_text(incidents("e", 8)), encoding="utf-8")
    (cases / "cases.csv.done").write_text("", encoding="utf-8")
    assert named(watch_once(district, cases, "watch-events")[1], "done")
    rows = [{"工单编号": f"e-{i:04d}", "环节": "签收", "操作时间": "2026-11-29 10:00:00"} for i in range(4)]
    (steps / "steps.csv").write_text(csv_text(pd.DataFrame(rows)), encoding="utf-8")
    (steps / "steps.csv.done").write_text("", encoding="utf-8")
    status, found, err = watch_once(district, steps, "watch-events", "--kind", "incident-events")
    assert status == 0, err
    [done] = named(found, "done")
    assert (done["read"], done["inserted"], done["quarantined"]) == (4, 4, 0), done
    assert (
        one(district, "SELECT count(*) FROM incident WHERE source = 'watch-events' AND signed_at IS NOT NULL")
        == 4
    )


def test_a_database_gone_mid_watch_leaves_the_file_to_retry(cluster, tmp_path):
    """The database disappears under a running watcher: the file it took stays in processing/
    (nothing moved to failed/), the watcher says it will retry, and exits 1 when stopped."""
    name = "watch_gone"
    conninfo = f"host={cluster.socket_dir} port=5432 user=gridgov dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    engine = make_engine(cluster.url.replace("/gridgov?", f"/{name}?"))
    try:
        migrate.upgrade(engine)
        with Watching(engine, tmp_path, "watch-gone", "--interval", "0.1") as watcher:
            watcher.until("watching")
            engine.dispose()
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
            (tmp_path / "late.csv").write_text(csv_text(incidents("l", N)), encoding="utf-8")
            (tmp_path / "late.csv.done").write_text("", encoding="utf-8")
            retry = watcher.until("retry", file="late.csv")
            watcher.terminate()
            assert watcher.exit_status() == 1
    finally:
        engine.dispose()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert name in retry["reason"] or "connection" in retry["reason"], retry
    assert (tmp_path / "processing" / "late.csv").exists()
    assert not list((tmp_path / "failed").iterdir()) and not list((tmp_path / "done").iterdir())
