"""``POST /api/v1/incident-events``: a case's steps through the API, the same ``incident-events``
job as a file — each step's outcome, resent steps unchanged, a changed step updated, an unknown
ticket quarantined with its reason, the incident's lifecycle derived, and a key that may send
steps only for its own source's incidents. Runs on ``ingest_demo`` with sources of its own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.app import create_app
from tests.api_client import items_at, new_key, post_items
from tests.ingest_files import sample_buildings


@pytest.fixture(scope="module")
def server(settings, ingest_demo):
    return create_app(settings, ingest_demo, api_engine=ingest_demo).server


def _post_steps(client, key, steps, **body):
    return client.post(
        "/api/v1/incident-events", json={"items": steps, **body}, headers={"Authorization": f"Bearer {key}"}
    )


def _lifecycle(engine, source, ticket):
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT signed_at IS NOT NULL AS signed, department, satisfaction, resolved FROM incident "
                "WHERE source = :s AND source_id = :t"
            ),
            {"s": source, "t": ticket},
        ).one()


def test_steps_through_the_api(server, ingest_demo):
    key, client = new_key(ingest_demo, "ev-a"), server.test_client()
    cases = items_at(sample_buildings(ingest_demo, 2, seed=41), prefix="ev")  # reported 2026-11-01 / -02
    assert post_items(client, key, cases).status_code == 200
    steps = [
        {"ticket": "ev-0000", "step": "签收", "at": "2026-11-01 10:00:00"},
        {"ticket": "ev-0000", "step": "派遣", "at": "2026-11-01 10:30:00", "department": "市政公用局"},
        {
            "ticket": "ev-0000",
            "step": "回访",
            "at": "2026-11-03 10:00:00",
            "satisfaction": "满意",
            "resolved": "是",
        },
        {"ticket": "no-such", "step": "签收", "at": "2026-11-01 10:00:00"},
        {"ticket": "ev-0001", "step": "派遣", "at": "2026-11-02 11:00:00"},  # no 承办单位
    ]
    first = _post_steps(client, key, steps)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert [i["outcome"] for i in body["items"]] == ["inserted"] * 3 + ["quarantined"] * 2
    assert [i["ticket"] for i in body["items"]] == [s["ticket"] for s in steps]
    assert "no incident with 工单编号「no-such」" in body["items"][3]["reason"]
    assert "without department" in body["items"][4]["reason"]
    assert tuple(_lifecycle(ingest_demo, "ev-a", "ev-0000")) == (True, "市政公用局", "satisfied", True)
    again = _post_steps(client, key, steps[:3]).get_json()
    assert [i["outcome"] for i in again["items"]] == ["unchanged"] * 3  # resent: nothing new
    steps[1]["department"] = "住建局"
    changed = _post_steps(client, key, steps[:3]).get_json()
    assert [i["outcome"] for i in changed["items"]] == ["unchanged", "updated", "unchanged"]
    assert _lifecycle(ingest_demo, "ev-a", "ev-0000").department == "住建局"
    with ingest_demo.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT count(*) FROM incident_event WHERE incident_source = 'ev-a'")
        ).scalar_one()
    assert stored == 3


def test_a_key_sends_steps_only_for_its_own_incidents(server, ingest_demo):
    key_a, key_b, client = new_key(ingest_demo, "ev-b"), new_key(ingest_demo, "ev-c"), server.test_client()
    assert (
        post_items(
            client, key_b, items_at(sample_buildings(ingest_demo, 1, seed=43), prefix="evc")
        ).status_code
        == 200
    )
    step = {"ticket": "evc-0000", "step": "签收", "at": "2026-11-01 10:00:00"}
    refused = _post_steps(client, key_a, [step | {"incident_source": "ev-c"}])
    assert refused.status_code == 403 and "only source 'ev-b'" in refused.get_json()["error"]
    own = _post_steps(client, key_a, [step]).get_json()  # its own source has no such ticket
    assert own["items"][0]["outcome"] == "quarantined"
    assert _lifecycle(ingest_demo, "ev-c", "evc-0000").signed is False
    located = _post_steps(client, key_a, [step | {"lon": 113.3}])
    assert located.status_code == 400 and "unknown field(s) 'lon'" in located.get_json()["error"]


def test_open311_shows_the_department_a_step_dispatched_to(server, ingest_demo):
    key, client = new_key(ingest_demo, "ev-d"), server.test_client()
    assert (
        post_items(client, key, items_at(sample_buildings(ingest_demo, 1, seed=47), prefix="evd")).status_code
        == 200
    )
    step = {"ticket": "evd-0000", "step": "派遣", "at": "2026-11-01 10:00:00", "department": "城管局"}
    assert _post_steps(client, key, [step]).get_json()["items"][0]["outcome"] == "inserted"
    shown = client.get("/open311/v2/requests/evd-0000.json", query_string={"api_key": key}).get_json()
    assert shown[0]["agency_responsible"] == "城管局"
