"""Ingest under faults: kill -9 at every distinct point of a job, and two jobs on the same file
at once.

Runs on a private copy of the demo database, so the trials neither see nor leave anyone else's
rows. Kills are driven by the job's own progress, not by the clock: each trial kills the job
when it reports a step before its commit — its transaction has begun, the first, a middle or
the last batch is copied, the merge has begun — or when it is found waiting at the end of its
merge. Every one of these points is tried once on a source's first load (copied into a fresh
partition, attached by the merge) and once on a reload (copied into a staging table, upserted
by the merge), in a seeded random order. Meanwhile the test holds back every commit to
``incident`` (see tests/ingest_jobs.py), so however slow or fast the machine, no kill comes
after the commit.
"""

import random

import pytest
import sqlalchemy as sa

from tests.databases import demo_copy
from tests.ingest_files import many_incidents, sample_buildings, write
from tests.ingest_jobs import IngestJob, holding_back_commits, wait_rolled_back, wait_until, waiting_for
from tests.sql import all_rows, one

ROWS, BATCH = 6_000, 600  # ten batches
REFERENCE, SOURCE = "faults-clean", "faults"
_COLUMNS = """
SELECT string_agg(format('t.%I', column_name), ', ' ORDER BY ordinal_position)
FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'incident'
  AND column_name NOT IN ('id', 'source', 'duplicate_of')
"""
# where a trial kills its job: on a reported step (phase, batches), or ("waiting", 0) when the
# job waits for the held-back commit at the end of its merge. Between two batches a job runs the
# same code whichever batch it is at; the first (the target just made, its first rows copied),
# one in the middle (a batch parsed while the one before is copied) and the last (nothing left
# to read, the merge next) are the distinct places among them.
LAST = ROWS // BATCH
KILL_POINTS = [
    ("begun", 0),
    ("batch", 1),
    ("batch", LAST // 2),
    ("batch", LAST),
    ("merge", 0),
    ("waiting", 0),
]


@pytest.fixture(scope="module")
def copy(cluster, demo_template):
    with demo_copy(cluster, demo_template) as engine:
        yield engine


@pytest.fixture(scope="module")
def rows(copy):
    return many_incidents(sample_buildings(copy, 3000, seed=21), ROWS, prefix="fault", seed=21)


@pytest.fixture(scope="module")
def big_file(rows, tmp_path_factory):
    return write(rows, tmp_path_factory.mktemp("faults") / "big.csv")


@pytest.fixture(scope="module")
def changed_file(rows, tmp_path_factory):
    """The same tickets, every other one with a new description: a reload updates them."""
    changed = rows.copy()
    changed.loc[::2, "description"] = changed.loc[::2, "description"] + " 已更新"
    return write(changed, tmp_path_factory.mktemp("faults") / "changed.csv")


def job(engine, path, *, source: str, app: str) -> IngestJob:
    return IngestJob(engine, path, source=source, app=app, batch_size=BATCH)


def kill_trial(engine, path, *, app: str, point: tuple[str, int]) -> dict:
    """Start a job, kill -9 it at ``point``, and wait until the server has rolled it back; the
    last step the job reported."""
    phase, batches = point
    with holding_back_commits(engine), job(engine, path, source=SOURCE, app=app) as running:
        if phase == "waiting":
            running.reach("merge")
            wait_until(lambda: waiting_for(engine, app, relation="incident_change"), what="the merge's end")
        else:
            running.reach(phase, batches=batches)
        running.kill()
    wait_rolled_back(engine, source=SOURCE)
    return running.steps[-1]


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


def committed(engine) -> int:
    return one(engine, "SELECT count(*) FROM ingest_run WHERE source = :s AND status = 'done'", s=SOURCE)


@pytest.fixture(scope="module")
def clean(copy, big_file) -> tuple[int, str]:
    """What one clean run of the file loads (under another source name)."""
    assert f"inserted {ROWS}" in job(copy, big_file, source=REFERENCE, app="fault-clean").finish()
    reference = loaded(copy, REFERENCE)
    assert reference[0] == ROWS
    return reference


def kill_points(rng: random.Random) -> list[tuple[str, int]]:
    """Every kill point once, in a seeded random order."""
    points = list(KILL_POINTS)
    rng.shuffle(points)
    return points


def kill_trials(engine, path, *, points: list[tuple[str, int]], name: str) -> list[str]:
    """A kill at each of ``points``; after each, the database is as it was. The last step each
    job reported before its kill."""
    before, runs = state(engine), committed(engine)
    reached = []
    for trial, point in enumerate(points):
        last = kill_trial(engine, path, app=f"{name}-{trial}", point=point)
        reached.append(f"{last['phase']} {last.get('batches', 0)}")
        assert state(engine) == before, f"{name} {trial}: killed at {point}, the database changed"
        assert committed(engine) == runs
        assert one(engine, "SELECT count(*) FROM ingest_run WHERE status = 'running'") == 0
    return reached


def test_kill_9_at_every_point_leaves_the_database_as_it_was(copy, big_file, changed_file, clean):
    rng = random.Random(8)  # seeded: a failing trial can be replayed
    first = kill_trials(copy, big_file, points=kill_points(rng), name="first")
    assert loaded(copy, SOURCE)[0] == 0
    assert f"inserted {ROWS}" in job(copy, big_file, source=SOURCE, app="fault-rerun").finish()
    assert loaded(copy, SOURCE) == clean
    reloads = kill_trials(copy, changed_file, points=kill_points(rng), name="reload")
    assert loaded(copy, SOURCE) == clean
    print(f"\nkill -9 trials: first loads killed after {first}; reloads after {reloads}")
    # every step, each once ("waiting" is found after "merge", the last step it reported)
    steps = ["begun 0", "batch 1", f"batch {LAST // 2}", f"batch {LAST}", f"merge {LAST}", f"merge {LAST}"]
    assert sorted(first) == sorted(reloads) == sorted(steps)
    done = all_rows(
        copy,
        "SELECT n_read, n_inserted, n_quarantined FROM ingest_run WHERE source = :s "
        "AND status = 'done' ORDER BY id",
        s=SOURCE,
    )
    assert done == [(ROWS, ROWS, 0)]


def test_two_jobs_on_the_same_file_at_once(copy, big_file, clean):
    jobs = [job(copy, big_file, source="twice", app=f"twice-{i}") for i in range(2)]
    for running in jobs:
        running.finish()
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
    assert loaded(copy, "twice") == clean
