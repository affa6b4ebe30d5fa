"""The intake API on the real server (`gridgov serve`, gunicorn): the README's curl examples run
as written, and `kill -9` of the whole server while a feeder posts batches loses nothing the
server acknowledged, while the feeder's retries double nothing.

The server runs on ``ingest_demo`` (a private copy of the demo district): ``DATABASE_URL`` is the
owner (the API's writes), ``GRIDGOV_WEB_DATABASE_URL`` the pages' own login role.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import sqlalchemy as sa

from geo.db import WEB_LOGIN
from tests.api_client import count, items_at, new_key
from tests.browser import ROOT, START_LIMIT, _free_port, started_server
from tests.ingest_files import sample_buildings

BATCHES, PER_BATCH, KILL_AFTER = 24, 25, 4


@contextlib.contextmanager
def _serve(settings, engine, log, *, port):
    """`python -m gridgov serve` in a process group of its own (so kill -9 reaches its workers)."""
    owner = engine.url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "GRIDGOV_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": owner,
        "GRIDGOV_WEB_DATABASE_URL": engine.url.set(username=WEB_LOGIN).render_as_string(hide_password=False),
        "GRIDGOV_WORKERS": "1",
        "GRIDGOV_THREADS": "4",
        "GRIDGOV_ADMIN_PASSWORD": "api-server-test-password",
    }
    with started_server(env, port=port, log=log, new_session=True) as proc:
        yield proc, f"http://127.0.0.1:{port}"


def _readme_examples() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Live intake", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [b for b in blocks if "$GRIDGOV_KEY" in b]


def test_the_readmes_curl_examples_run(settings, ingest_demo, tmp_path):
    examples = _readme_examples()
    assert len(examples) == 2  # the batch and the Open311 example
    key = new_key(ingest_demo, "readme")
    with _serve(settings, ingest_demo, tmp_path / "serve.log", port=_free_port()) as (_proc, url):
        env = {**os.environ, "GRIDGOV_URL": url, "GRIDGOV_KEY": key}
        runs = [[subprocess.run(["bash", "-c", ex], env=env, capture_output=True, text=True, timeout=120)
                 for ex in examples] for _ in range(2)]  # fmt: skip
    for run in runs:
        assert [r.returncode for r in run] == [0, 0], [r.stdout + r.stderr for r in run]
    batch_first, batch_again = (json.loads(run[0].stdout) for run in runs)
    assert batch_first["items"][0]["outcome"] == "inserted"
    assert batch_again["items"][0]["outcome"] == "unchanged"  # the same request again: nothing new
    open311 = [json.loads(run[1].stdout)[0]["service_request_id"] for run in runs]
    assert open311 == ["MP-20261201-0007"] * 2
    assert count(ingest_demo, "readme") == 2


@dataclass
class _Feeder:
    """Posts ``batches`` in order, each until it is acknowledged (2xx); after a failure it waits
    for the server to be up again (``up``) and sends the same batch again."""

    url: str
    key: str
    batches: list[list[dict]]
    up: threading.Event
    acked: list[dict] = field(default_factory=list)  # the answer to each batch
    failures: int = 0
    halfway: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        for i, batch in enumerate(self.batches):
            self.acked.append(self._until_acknowledged(batch))
            if i + 1 == KILL_AFTER:
                self.halfway.set()

    def _until_acknowledged(self, batch: list[dict]) -> dict:
        body = json.dumps({"crs": "wgs84", "items": batch}).encode()
        for _attempt in range(6):
            request = urllib.request.Request(
                f"{self.url}/api/v1/incidents",
                data=body,
                headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=START_LIMIT) as response:
                    return json.loads(response.read())
            except (OSError, urllib.error.HTTPError):  # reset, refused, 5xx: not acknowledged
                self.failures += 1
                self.up.wait(timeout=START_LIMIT * 2)
        raise AssertionError("a batch was never acknowledged")


def test_kill_9_loses_nothing_acknowledged_and_retries_double_nothing(settings, ingest_demo, tmp_path):
    buildings = sample_buildings(ingest_demo, BATCHES * PER_BATCH, seed=31)
    items = items_at(buildings, prefix="k9")
    batches = [items[i : i + PER_BATCH] for i in range(0, len(items), PER_BATCH)]
    up, port = threading.Event(), _free_port()
    with _serve(settings, ingest_demo, tmp_path / "first.log", port=port) as (first, url):
        feeder = _Feeder(url, new_key(ingest_demo, "feeder", burst=1000), batches, up)
        up.set()
        thread = threading.Thread(target=feeder.run, daemon=True)
        thread.start()
        assert feeder.halfway.wait(timeout=START_LIMIT * 2), (tmp_path / "first.log").read_text()
        up.clear()
        os.killpg(first.pid, signal.SIGKILL)  # master and workers at once, mid-feed
        first.wait()
    with _serve(settings, ingest_demo, tmp_path / "second.log", port=port):
        up.set()
        thread.join(timeout=START_LIMIT * 4)
        assert not thread.is_alive(), f"the feeder did not finish: {len(feeder.acked)} batches acknowledged"
    assert feeder.failures >= 1 and len(feeder.acked) == BATCHES
    with ingest_demo.connect() as conn:
        stored = dict(
            conn.execute(
                sa.text("SELECT source_id, count(*) FROM incident WHERE source = 'feeder' GROUP BY source_id")
            ).all()
        )
    sent = [item["source_id"] for item in items]
    assert set(stored) == set(sent) and set(stored.values()) == {1}  # every acknowledged item, once
    outcomes = [i["outcome"] for answer in feeder.acked for i in answer["items"]]
    assert len(outcomes) == len(sent) and set(outcomes) <= {"inserted", "unchanged"}
    # across every committed job each item was inserted once: a retried batch whose first attempt
    # had committed (its answer lost in the kill) answered "unchanged"
    with ingest_demo.connect() as conn:
        inserted = conn.execute(
            sa.text("SELECT sum(n_inserted) FROM ingest_run WHERE source = 'feeder' AND kind = 'incidents'")
        ).scalar_one()
    assert inserted == len(sent) == count(ingest_demo, "feeder")
    assert outcomes.count("inserted") <= len(sent)
