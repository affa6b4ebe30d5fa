"""Ingest under faults: kill -9 at random points, and two jobs on the same file at once.

Runs on a private copy of the demo database, so the trials neither see nor leave anyone else's
rows. A kill lands between the moment the job holds its source's advisory lock (its transaction
has begun) and the moment a clean run of the same file finished: the only window in which a
kill could leave something behind.
"""

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import demo_copy
from tests.ingest_files import many_incidents, sample_buildings, write
from tests.sql import all_rows, one

ROWS = 50_000  # a job of about 1.5 s on the test machine
TRIALS = 20
SPARE = 6  # extra attempts for jobs that finish before their kill (a busy machine is not steady)
REFERENCE, SOURCE = "faults-clean", "faults"
_COLUMNS = """
SELECT string_agg(format('t.%I', column_name), ', ' ORDER BY ordinal_position)
FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'incident'
  AND column_name NOT IN ('id', 'source', 'duplicate_of')
"""


@pytest.fixture(scope="module")
def copy(cluster, demo_archive):
    with demo_copy(cluster, demo_archive) as engine:
        yield engine


@pytest.fixture(scope="module")
def big_file(copy, tmp_path_factory) -> Path:
    rows = many_incidents(sample_buildings(copy, 3000, seed=21), ROWS, prefix="fault", seed=21)
    return write(rows, tmp_path_factory.mktemp("faults") / "big.csv")


def start_job(engine, path: Path, *, source: str, app: str) -> subprocess.Popen:
    """`gridgov ingest incidents` in a process of its own, named ``app`` on the server."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"DATABASE_URL": engine.url.render_as_string(hide_password=False), "PGAPPNAME": app}
    cmd = [sys.executable, "-m", "gridgov", "ingest", "incidents", str(path), "--source", source]
    return subprocess.Popen(
        [*cmd, "--crs", "wgs84", "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(check, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.005)
    return False


def holds_lock(engine, app: str) -> bool:
    """The job's transaction has begun: its connection holds the source's advisory lock."""
    sql = (
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = :app"
    )
    return one(engine, sql, app=app) > 0


def gone(engine, app: str) -> bool:
    """The server has noticed the dead client and rolled its transaction back."""
    return one(engine, "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app", app=app) == 0


def state(engine) -> dict[str, object]:
    """What a job could change: the relations, every table's row count, and the ledger's,
    quarantine's and incident keys' contents."""
    tables = [
        r[0]
        for r in all_rows(engine, "SELECT format('%I', tablename) FROM pg_tables WHERE schemaname = 'public'")
    ]
    out: dict[str, object] = {
        "relations": sorted(
            r[0]
            for r in all_rows(
                engine,
                "SELECT relname FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE nspname = 'public'",
            )
        ),
    }
    for table in tables:
        out[table] = one(engine, f"SELECT count(*) FROM {table}")
    for table, key in (("ingest_run", "id"), ("quarantine", "id"), ("incident", "source, source_id")):
        out[f"{table} md5"] = one(
            engine, f"SELECT md5(string_agg(t::text, ',' ORDER BY {key})) FROM {table} t"
        )
    return out


def loaded(engine, source: str) -> tuple[int, str]:
    """Rows of ``source``, and a checksum of them without what differs between runs: ids, the
    source's name, and links to other sources' rows (ids too)."""
    columns = one(engine, _COLUMNS)
    sql = f"SELECT count(*), md5(string_agg(row({columns})::text, ',' ORDER BY t.source_id)) FROM incident t WHERE source = :s"
    with engine.connect() as conn:
        count, digest = conn.execute(sa.text(sql), {"s": source}).one()
    return int(count), str(digest)


def run_clean(engine, path: Path, *, source: str, app: str) -> float:
    """One uninterrupted job; the seconds from holding its lock to its end."""
    job = start_job(engine, path, source=source, app=app)
    assert wait_until(lambda: holds_lock(engine, app) or job.poll() is not None, timeout=60)
    started = time.monotonic()
    out, err = job.communicate(timeout=300)
    assert job.returncode == 0, err
    assert f"inserted {ROWS}" in out
    return time.monotonic() - started


def kill_trial(engine, path: Path, *, app: str, delay: float) -> None:
    """Start a job and kill -9 it ``delay`` s into its transaction (or after, if it was quick)."""
    job = start_job(engine, path, source=SOURCE, app=app)
    assert wait_until(lambda: holds_lock(engine, app), timeout=60), job.communicate()[1]
    time.sleep(delay)
    job.kill()
    job.communicate(timeout=30)
    assert wait_until(lambda: gone(engine, app), timeout=30), "the server kept the dead job's session"


def committed(engine) -> int:
    return one(engine, "SELECT count(*) FROM ingest_run WHERE source = :s AND status = 'done'", s=SOURCE)


@pytest.fixture(scope="module")
def clean(copy, big_file) -> tuple[float, tuple[int, str]]:
    """One clean run of the file (under another source name): its length, and what it loaded."""
    window = run_clean(copy, big_file, source=REFERENCE, app="fault-clean")
    reference = loaded(copy, REFERENCE)
    assert reference[0] == ROWS
    return window, reference


def test_kill_9_at_random_points_leaves_the_database_as_it_was(copy, big_file, clean):
    window, reference = clean
    rng = random.Random(8)  # seeded: a failing trial can be replayed
    before, kills, delays, completed = state(copy), 0, [], 0
    for trial in range(TRIALS + SPARE):
        delay = rng.uniform(0.0, window)
        kill_trial(copy, big_file, app=f"fault-{trial}", delay=delay)
        if committed(copy) > completed:  # the kill came after its commit: a complete run
            completed, before = completed + 1, state(copy)
            continue
        kills, delays = kills + 1, [*delays, delay]
        assert state(copy) == before, f"trial {trial}: killed {delay:.3f} s in, the database changed"
        assert one(copy, "SELECT count(*) FROM ingest_run WHERE status = 'running'") == 0
        assert completed or loaded(copy, SOURCE)[0] == 0
        if kills == TRIALS:
            break
    print(
        f"\nkill -9 trials: {kills} killed mid-job, {completed} after their commit; "
        f"kills {min(delays):.2f}-{max(delays):.2f} s into a {window:.2f} s job"
    )
    assert kills == TRIALS
    rerun = start_job(copy, big_file, source=SOURCE, app="fault-rerun")
    assert rerun.communicate(timeout=300)[0] and rerun.returncode == 0
    assert loaded(copy, SOURCE) == reference
    done = all_rows(
        copy,
        "SELECT n_read, n_inserted, n_quarantined FROM ingest_run WHERE source = :s "
        "AND status = 'done' ORDER BY id",
        s=SOURCE,
    )
    assert done[0] == (ROWS, ROWS, 0)


def test_two_jobs_on_the_same_file_at_once(copy, big_file, clean):
    jobs = [start_job(copy, big_file, source="twice", app=f"twice-{i}") for i in range(2)]
    for job in jobs:
        _out, err = job.communicate(timeout=300)
        assert job.returncode == 0, err
    runs = all_rows(
        copy,
        "SELECT n_read, n_inserted, n_updated, n_unchanged, n_quarantined FROM ingest_run "
        "WHERE source = 'twice' ORDER BY id",
    )
    for read, *outcomes in runs:
        assert read == sum(outcomes) == ROWS
    assert [r[1:4] for r in runs] == [(ROWS, 0, 0), (0, 0, ROWS)]  # the second waited, then found it all
    keys = all_rows(copy, "SELECT count(*), count(DISTINCT source_id) FROM incident WHERE source = 'twice'")
    assert keys[0] == (ROWS, ROWS)
    assert loaded(copy, "twice") == clean[1]
