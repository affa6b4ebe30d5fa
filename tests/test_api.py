"""The batch intake API (``POST /api/v1/incidents``) and the per-source keys behind it: the same
ingest path as a file, each item's outcome, idempotent resends, one source per key, throttling,
audit entries with counts only, and no way in with the pages' session cookie.

Runs on ``ingest_demo`` (a private copy of the demo district), each test with sources of its own.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
import sqlalchemy as sa

from dashboard.api._body import MAX_BYTES, MAX_ITEMS
from dashboard.app import create_app
from dashboard.auth.gate import KEYED_BLUEPRINTS
from geo import api_keys
from tests.api_client import count, items_at, new_key, post_items
from tests.auth import client_for, make_account
from tests.cli import assert_one_line_error, gridgov
from tests.ingest_files import sample_buildings

OPEN = {"open311.services"}  # Open311's list of services needs no key (the spec's clients read it first)


@pytest.fixture(scope="module")
def server(settings, ingest_demo):
    return create_app(settings, ingest_demo, api_engine=ingest_demo).server


@pytest.fixture(scope="module")
def buildings(ingest_demo):
    return sample_buildings(ingest_demo, 12, seed=17)


def _audits(engine, source):
    with engine.connect() as conn:
        return [
            row.detail
            for row in conn.execute(
                sa.text(
                    "SELECT detail FROM audit_log WHERE action = 'api.write' AND username = :u ORDER BY id"
                ),
                {"u": f"api:{source}"},
            )
        ]


def test_a_batch_is_loaded_and_a_repeat_inserts_nothing(server, ingest_demo, buildings):
    key, items = new_key(ingest_demo, "batch-a"), items_at(buildings, prefix="ba")
    client = server.test_client()  # no Origin, no CSRF token, no session: a key is enough
    first = post_items(client, key, items)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["counts"] == {"items": 12, "inserted": 12, "updated": 0, "unchanged": 0, "quarantined": 0}
    assert [i["outcome"] for i in body["items"]] == ["inserted"] * 12
    assert [i["source_id"] for i in body["items"]] == [i["source_id"] for i in items]
    again = post_items(client, key, items).get_json()
    assert again["counts"]["inserted"] == 0 and again["counts"]["unchanged"] == 12
    items[3]["description"] = "改过的描述"
    changed = post_items(client, key, items).get_json()
    assert [i["outcome"] for i in changed["items"]].count("updated") == 1
    assert changed["items"][3]["outcome"] == "updated"
    assert count(ingest_demo, "batch-a") == 12
    audits = _audits(ingest_demo, "batch-a")
    assert [(a["inserted"], a["unchanged"], a["updated"]) for a in audits] == [
        (12, 0, 0),
        (0, 12, 0),
        (0, 11, 1),
    ]
    assert "接口测试" not in json.dumps(audits, ensure_ascii=False)  # counts, never bodies
    with ingest_demo.connect() as conn:
        used = conn.execute(sa.text("SELECT requests, items FROM api_key WHERE source = 'batch-a'")).one()
    assert tuple(used) == (3, 36)


def test_the_same_path_as_file_ingest_deadlines_and_places(server, ingest_demo, buildings):
    key = new_key(ingest_demo, "batch-b")
    post_items(server.test_client(), key, items_at(buildings.head(3), prefix="bb"))
    with ingest_demo.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT grid_id, deadline_at, deadline_rule, category FROM incident WHERE source = 'batch-b' "
                "ORDER BY source_id"
            )
        ).all()
    assert [r.grid_id for r in rows] == [int(g) for g in buildings.head(3).grid_id]
    assert all(r.deadline_at is not None and r.deadline_rule for r in rows)


def test_bad_items_are_quarantined_with_their_reasons(server, ingest_demo, buildings):
    key, items = new_key(ingest_demo, "batch-c"), items_at(buildings.head(5), prefix="bc")
    items[1] |= {"lon": 113.9, "lat": 40.5}  # far outside the district
    items[2]["source_id"] = items[0]["source_id"]  # the same ticket twice
    items[3]["reported_at"] = "昨天"  # not a time
    response = post_items(server.test_client(), key, items)
    assert response.status_code == 200
    body = response.get_json()
    assert [i["outcome"] for i in body["items"]] == [
        "inserted",
        "quarantined",
        "quarantined",
        "quarantined",
        "inserted",
    ]
    reasons = [i.get("reason", "") for i in body["items"]]
    assert "outside" in reasons[1] or "区外" in reasons[1] or "district" in reasons[1], reasons[1]
    assert "same source_id as row 2" in reasons[2]
    assert "昨天" in reasons[3]
    assert body["counts"]["quarantined"] == 3 and count(ingest_demo, "batch-c") == 2
    with ingest_demo.connect() as conn:
        kept = (
            conn.execute(
                sa.text("SELECT row_number FROM quarantine WHERE run_id = :r ORDER BY row_number"),
                {"r": body["run_id"]},
            )
            .scalars()
            .all()
        )
    assert kept == [3, 4, 5]  # rows numbered as a file's: item i is row i + 2


def test_a_key_writes_only_its_own_source(server, ingest_demo, buildings):
    key_a = new_key(ingest_demo, "source-a")
    new_key(ingest_demo, "source-b")
    client, items = server.test_client(), items_at(buildings.head(2), prefix="ab")
    top = post_items(client, key_a, items, source="source-b")
    assert top.status_code == 403 and "only source 'source-a'" in top.get_json()["error"]
    inside = post_items(client, key_a, [items[0] | {"source": "source-b"}, items[1]])
    assert inside.status_code == 403
    assert count(ingest_demo, "source-b") == 0 and count(ingest_demo, "source-a") == 0
    own = post_items(client, key_a, [items[0] | {"source": "source-a"}])
    assert own.status_code == 200 and count(ingest_demo, "source-a") == 1


def test_missing_unknown_and_revoked_keys_are_refused(server, ingest_demo, buildings):
    key, client, items = (
        new_key(ingest_demo, "batch-d"),
        server.test_client(),
        items_at(buildings.head(1), prefix="bd"),
    )
    assert post_items(client, None, items).status_code == 401
    assert post_items(client, key + "x", items).status_code == 403
    with ingest_demo.begin() as conn:
        api_keys.revoke(conn, "batch-d")
    refused = post_items(client, key, items)
    assert refused.status_code == 403 and "revoked" in refused.get_json()["error"]
    other = client.post("/api/v1/incidents", json={"items": items}, headers={"X-API-Key": key})
    assert other.status_code == 403
    assert count(ingest_demo, "batch-d") == 0


def test_the_pages_session_cookie_grants_nothing(server, ingest_demo, buildings):
    account = make_account(ingest_demo, "api_admin", "admin")
    client = client_for(server, account)  # signed in as an admin, our Origin on every request
    assert client.get("/").status_code == 200
    assert post_items(client, None, items_at(buildings.head(1), prefix="se")).status_code == 401
    assert client.get("/open311/v2/requests.json").status_code == 401
    assert client.get("/open311/v2/requests/x.json").status_code == 401
    response = client.post(
        "/open311/v2/requests.json", data={"service_code": "环境卫生", "lat": "1", "long": "1"}
    )
    assert response.status_code == 401 and response.get_json()[0]["code"] == 401
    assert "Set-Cookie" not in response.headers  # the API never touches the session


def _paths(rule: str) -> list[str]:
    """The paths of a route: each choice of an ``any(…)`` part (.json, .xml), any other part
    "incidents"."""
    choice = re.search(r"<any\(([^)]*)\):\w+>", rule)
    if choice is None:
        return [re.sub(r"<[^>]+>", "incidents", rule)]
    options = [o.strip() for o in choice.group(1).split(",")]
    return [p for o in options for p in _paths(rule.replace(choice.group(0), o, 1))]


def test_every_api_route_refuses_a_request_without_a_key(server):
    """As tests/test_auth.py does for the pages: every route of the API, every method, with the
    pages' Origin but no key, is refused (401), but for the open list of services."""
    client, checked = server.test_client(), 0
    for rule in server.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in KEYED_BLUEPRINTS or rule.endpoint in OPEN:
            continue
        for method, path in itertools.product(sorted(rule.methods - {"OPTIONS"}), _paths(rule.rule)):
            response = client.open(path, method=method, json={"items": [{}]})
            assert response.status_code == 401, (path, method, response.status_code)
            checked += 1
    assert checked >= 8


def test_each_key_is_throttled(server, ingest_demo, buildings):
    """Beyond its bucket a key is answered 429 with Retry-After; every refusal is counted on the
    key (``gridgov sources list``) and each run of refusals audited once, as ``api.throttled``."""
    key, client = new_key(ingest_demo, "batch-e", per_minute=1, burst=2), server.test_client()
    items = items_at(buildings.head(1), prefix="be")
    assert [post_items(client, key, items).status_code for _ in range(2)] == [200, 200]
    refused = post_items(client, key, items)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = new_key(ingest_demo, "batch-e2")  # another key is not held back
    assert post_items(client, other, items).status_code == 200
    assert [post_items(client, key, items).status_code for _ in range(2)] == [429, 429]
    assert _refusals(ingest_demo, "batch-e") == (3, 1)
    with ingest_demo.begin() as conn:  # the bucket refilled (as a minute later), then a new run
        conn.execute(
            sa.text(
                "UPDATE api_key SET tokens_at = tokens_at - interval '5 minutes' WHERE source = 'batch-e'"
            )
        )
    assert [post_items(client, key, items).status_code for _ in range(4)] == [200, 200, 429, 429]
    assert _refusals(ingest_demo, "batch-e") == (5, 2)
    assert _refusals(ingest_demo, "batch-e2") == (0, 0)


def _refusals(engine, source):
    """(requests the key refused, ``api.throttled`` entries audited under its name)."""
    with engine.connect() as conn:
        refused = conn.execute(
            sa.text("SELECT refused FROM api_key WHERE source = :s"), {"s": source}
        ).scalar_one()
        audited = conn.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE username = :u AND action = 'api.throttled'"),
            {"u": f"api:{source}"},
        ).scalar_one()
    return refused, audited


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "not valid UTF-8 JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (b'{"rows": []}', 400, 'no "items" list'),
        (b'{"items": []}', 400, "is empty"),
        (b'{"items": [3]}', 400, "item 0 is not a JSON object"),
        (b'{"items": [{"source_id": "x", "colour": "red"}]}', 400, "unknown field(s) 'colour'"),
        (b'{"items": [{"source_id": {"a": 1}}]}', 400, "must be a string, number or null"),
        (json.dumps({"items": [{}] * (MAX_ITEMS + 1)}).encode(), 413, "at most 10,000"),
        (b" " * (MAX_BYTES + 1), 413, "over 32 MiB"),
    ],
)
def test_malformed_or_oversized_bodies_get_clear_refusals(server, ingest_demo, body, status, needle):
    key = new_key(ingest_demo, f"bad-{status}-{len(body)}-{hash(body) % 1000}")
    response = server.test_client().post(
        "/api/v1/incidents",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == status
    assert needle in response.get_json()["error"]


def test_a_batch_without_a_required_column_is_refused_whole(server, ingest_demo, buildings):
    key = new_key(ingest_demo, "batch-f")
    items = [
        {k: v for k, v in i.items() if k != "reported_at"} for i in items_at(buildings.head(2), prefix="bf")
    ]
    response = post_items(server.test_client(), key, items)
    assert response.status_code == 400 and "reported_at" in response.get_json()["error"]
    assert count(ingest_demo, "batch-f") == 0
    assert post_items(server.test_client(), key, items, crs="nonsense").status_code == 400


def test_unknown_batch_kind_is_404(server, ingest_demo):
    key = new_key(ingest_demo, "batch-g")
    response = server.test_client().post(
        "/api/v1/nothing", json={"items": [{}]}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 404


def test_sources_commands(settings, ingest_demo):
    env = {"DATABASE_URL": ingest_demo.url.render_as_string(hide_password=False)}
    added = gridgov("sources", "add", "cli-src", "--per-minute", "30", env=env)
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    with ingest_demo.connect() as conn:
        found = api_keys.lookup(conn, key)
        stored = conn.execute(sa.text("SELECT key_hash FROM api_key WHERE source = 'cli-src'")).scalar_one()
    assert found is not None and found.source == "cli-src" and found.per_minute == 30
    assert key not in stored and stored == api_keys.key_hash(key)  # only the hash is kept
    assert_one_line_error(gridgov("sources", "add", "cli-src", env=env), "already has a key")
    listed = gridgov("sources", "list", env=env)
    assert "cli-src" in listed.stdout and "live" in listed.stdout and key not in listed.stdout
    assert "refused 0" in listed.stdout
    assert gridgov("sources", "revoke", "cli-src", env=env).returncode == 0
    assert "revoked" in gridgov("sources", "list", env=env).stdout
    assert_one_line_error(gridgov("sources", "revoke", "cli-src", env=env), "no live key")


def test_the_pages_role_cannot_read_the_keys(ingest_demo):
    new_key(ingest_demo, "hidden")
    with ingest_demo.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        conn.exec_driver_sql("SET LOCAL ROLE gridgov_web")
        conn.exec_driver_sql("SELECT key_hash FROM api_key")


def test_a_full_batch_of_10000_items_is_one_job(server, ingest_demo):
    key = new_key(ingest_demo, "batch-full")
    items = items_at(sample_buildings(ingest_demo, MAX_ITEMS, seed=5), prefix="full")
    response = post_items(server.test_client(), key, items)
    assert response.status_code == 200
    assert response.get_json()["counts"]["inserted"] == MAX_ITEMS == count(ingest_demo, "batch-full")
