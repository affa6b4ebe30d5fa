"""Open311 GeoReport v2 under ``/open311/v2/``: every endpoint, its filters and paging, resent
POSTs that change nothing, no phone numbers on the way out, and each error in Open311's format
with its HTTP status. Runs on ``ingest_demo`` with sources of its own."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from dashboard.app import create_app
from geo.vocabulary import Vocabulary
from tests.api_client import count, new_key
from tests.ingest_files import sample_buildings

BASE = "/open311/v2"


@pytest.fixture(scope="module")
def server(settings, ingest_demo):
    return create_app(settings, ingest_demo, api_engine=ingest_demo).server


@pytest.fixture(scope="module")
def spots(ingest_demo):
    return sample_buildings(ingest_demo, 6, seed=23)


@pytest.fixture(scope="module")
def loaded(server, ingest_demo, spots):
    """Source o311 with four requests: two environment (one closed), one property, one by address."""
    key = new_key(ingest_demo, "o311")
    client = server.test_client()
    forms = [
        _form(key, spots, 0, ticket="T-1", code="environment", when="2026-11-20T09:00:00+08:00"),
        _form(key, spots, 1, ticket="T-2", code="environment", when="2026-11-21T09:00:00+08:00"),
        _form(key, spots, 2, ticket="T-3", code="property", when="2026-11-22T09:00:00+08:00"),
    ]
    for form in forms:
        assert client.post(f"{BASE}/requests.json", data=form).status_code == 201
    by_address = {"api_key": key, "service_code": "property", "address_string": spots.address[3],
                  "attribute[ticket]": "T-4", "requested_datetime": "2026-11-23T09:00:00+08:00"}  # fmt: skip
    assert client.post(f"{BASE}/requests.json", data=by_address).status_code == 201
    with ingest_demo.begin() as conn:  # T-2 closed, as the source's status feed would say
        conn.exec_driver_sql(
            "UPDATE incident SET closed_at = reported_at + interval '1 day' WHERE source_id = 'T-2'"
        )
    return key


def _form(key, spots, i, *, ticket=None, code="environment", when=None, phone="13912345678"):
    form = {"api_key": key, "service_code": code, "lat": str(spots.lat[i]), "long": str(spots.lon[i]),
            "description": f"开放接口 {i}", "phone": phone}  # fmt: skip
    if ticket:
        form["attribute[ticket]"] = ticket
    if when:
        form["requested_datetime"] = when
    return form


def _get(client, path, key, **args):
    return client.get(f"{BASE}/{path}", query_string={"api_key": key, **args})


def _error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def test_services_are_the_districts_categories(server, settings):
    response = server.test_client().get(f"{BASE}/services.json")  # open: no key, no session
    assert response.status_code == 200
    vocabulary = Vocabulary.from_file(settings.district_file)
    got = {s["service_code"]: s for s in response.get_json()}
    assert set(got) == set(vocabulary.categories)
    some = next(iter(vocabulary.categories.values()))
    assert got[some.key]["service_name"] == some.zh and got[some.key]["metadata"] is False


def test_post_with_a_ticket_and_resent(server, ingest_demo, spots):
    key, client = new_key(ingest_demo, "o311-post"), server.test_client()
    form = _form(key, spots, 0, ticket="工单-001", when="2026-11-25T10:30:00+08:00")
    first = client.post(f"{BASE}/requests.json", data=form)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json() == [
        {"service_request_id": "工单-001", "service_notice": None, "account_id": None}
    ]
    assert client.post(f"{BASE}/requests.json", data=form).status_code == 200  # resent: nothing new
    assert count(ingest_demo, "o311-post") == 1


def test_post_without_a_ticket_is_idempotent_too(server, ingest_demo, spots):
    key, client = new_key(ingest_demo, "o311-noticket"), server.test_client()
    form = _form(key, spots, 1)  # no ticket, no requested_datetime
    first = client.post(f"{BASE}/requests.json", data=form)
    assert first.status_code == 201, first.get_data(as_text=True)
    request_id = first.get_json()[0]["service_request_id"]
    again = client.post(f"{BASE}/requests.json", data=form)
    assert again.status_code == 200 and again.get_json()[0]["service_request_id"] == request_id
    assert count(ingest_demo, "o311-noticket") == 1
    shown = _get(client, f"requests/{request_id}.json", key).get_json()[0]
    other = client.post(f"{BASE}/requests.json", data={**form, "description": "另一件事"})
    assert other.status_code == 201 and other.get_json()[0]["service_request_id"] != request_id
    assert _get(client, f"requests/{request_id}.json", key).get_json()[0] == shown  # time kept


def test_get_requests_filters_and_pages(server, loaded):
    client = server.test_client()
    every = _get(client, "requests.json", loaded, start_date="2026-11-01T00:00:00+08:00")
    assert every.status_code == 200
    assert [r["service_request_id"] for r in every.get_json()] == ["T-4", "T-3", "T-2", "T-1"]
    ids = {
        "service_code": ("property", ["T-4", "T-3"]),
        "status": ("closed", ["T-2"]),
        "service_request_id": ("T-1,T-3", ["T-3", "T-1"]),
        "end_date": ("2026-11-21T12:00:00+08:00", ["T-2", "T-1"]),
    }
    for name, (value, want) in ids.items():
        args = (
            {name: value}
            if name in ("service_request_id", "end_date")
            else {name: value, "start_date": "2026-11-01"}
        )
        got = _get(client, "requests.json", loaded, **args).get_json()
        assert [r["service_request_id"] for r in got] == want, name
    opened = _get(client, "requests.json", loaded, status="open", start_date="2026-11-01").get_json()
    assert {r["status"] for r in opened} == {"open"} and len(opened) == 3
    pages = [
        [
            r["service_request_id"]
            for r in _get(
                client, "requests.json", loaded, start_date="2026-11-01", page_size="3", page=str(p)
            ).get_json()
        ]
        for p in (1, 2)
    ]
    assert pages == [["T-4", "T-3", "T-2"], ["T-1"]]


def test_one_request_and_no_phone_numbers(server, loaded, spots):
    client = server.test_client()
    response = _get(client, "requests/T-1.json", loaded)
    assert response.status_code == 200
    (request,) = response.get_json()
    assert request["service_request_id"] == "T-1" and request["service_code"] == "environment"
    assert request["status"] == "open" and request["description"] == "开放接口 0"
    assert request["requested_datetime"].startswith("2026-11-20T")
    assert abs(request["lat"] - spots.lat[0]) < 1e-6 and abs(request["long"] - spots.lon[0]) < 1e-6
    assert request["expected_datetime"]  # the deadline the district's rules set
    listed = _get(client, "requests.json", loaded, start_date="2026-11-01").get_data(as_text=True)
    for text in (listed, response.get_data(as_text=True)):
        assert "13912345678" not in text and "phone" not in text


def test_another_sources_requests_are_not_found(server, ingest_demo, loaded):
    other = new_key(ingest_demo, "o311-other")
    client = server.test_client()
    assert "no service request" in _error(_get(client, "requests/T-1.json", other), 404)
    assert _get(client, "requests.json", other, start_date="2026-11-01").get_json() == []


def test_errors_in_open311_format(server, ingest_demo, loaded, spots):
    client = server.test_client()
    post = f"{BASE}/requests.json"
    assert "api key is required" in _error(client.post(post, data=_form("", spots, 0)), 401).lower()
    assert "not valid" in _error(client.post(post, data=_form(loaded + "x", spots, 0)), 403)
    assert "service_code is required" in _error(client.post(post, data={"api_key": loaded}), 400)
    assert "services.json" in _error(client.post(post, data=_form(loaded, spots, 0, code="no-such")), 400)
    no_place = {"api_key": loaded, "service_code": "property", "description": "x"}
    assert "lat and long" in _error(client.post(post, data=no_place), 400)
    outside = {**_form(loaded, spots, 0, ticket="far"), "lat": "40.5", "long": "113.9"}
    assert "not accepted" in _error(client.post(post, data=outside), 400)
    assert "status=" in _error(_get(client, "requests.json", loaded, status="pending"), 400)
    assert "start_date=" in _error(_get(client, "requests.json", loaded, start_date="yesterday"), 400)
    assert "page_size=" in _error(_get(client, "requests.json", loaded, page_size="5000"), 400)
    assert _error(client.get(f"{BASE}/requests.json"), 401)


def test_open311_is_throttled_per_key(server, ingest_demo):
    key, client = new_key(ingest_demo, "o311-slow", per_minute=1, burst=1), server.test_client()
    assert _get(client, "requests.json", key).status_code == 200
    refused = _get(client, "requests.json", key)
    assert "too many requests" in _error(refused, 429) and int(refused.headers["Retry-After"]) >= 1


def _xml(response, status, *, root):
    """The records of an Open311 XML answer (each a dict of its elements' text)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    top = ElementTree.fromstring(response.get_data())
    assert top.tag == root
    return [{child.tag: child.text or "" for child in item} for item in top]


def test_every_endpoint_in_xml(server, ingest_demo, loaded, spots, settings):
    client = server.test_client()
    services = _xml(client.get(f"{BASE}/services.xml"), 200, root="services")
    assert {s["service_code"] for s in services} == set(
        Vocabulary.from_file(settings.district_file).categories
    )
    assert {s["metadata"] for s in services} == {"false"} and all(s["service_name"] for s in services)
    listed = _xml(_get(client, "requests.xml", loaded, start_date="2026-11-01"), 200, root="service_requests")
    as_json = _get(client, "requests.json", loaded, start_date="2026-11-01").get_json()
    assert [r["service_request_id"] for r in listed] == [r["service_request_id"] for r in as_json]
    for xml, json in zip(listed, as_json, strict=True):
        assert xml == {k: "" if v is None else str(v) for k, v in json.items()}
    (one,) = _xml(_get(client, "requests/T-3.xml", loaded), 200, root="service_requests")
    assert one["service_code"] == "property" and "phone" not in one
    form = _form(loaded, spots, 4, ticket="X-1", when="2026-11-26T10:00:00+08:00")
    posted = _xml(client.post(f"{BASE}/requests.xml", data=form), 201, root="service_requests")
    assert posted == [{"service_request_id": "X-1", "service_notice": "", "account_id": ""}]
    assert _xml(client.post(f"{BASE}/requests.xml", data=form), 200, root="service_requests") == posted


def test_errors_in_xml(server, ingest_demo, loaded, spots):
    client = server.test_client()
    cases = [
        (client.post(f"{BASE}/requests.xml", data=_form("", spots, 0)), 401),
        (client.post(f"{BASE}/requests.xml", data={"api_key": loaded}), 400),
        (_get(client, "requests.xml", loaded, status="pending"), 400),
        (_get(client, "requests/no-such.xml", loaded), 404),
    ]
    for response, status in cases:
        (error,) = _xml(response, status, root="errors")
        assert error["code"] == str(status) and error["description"]
    other = client.get(f"{BASE}/services.csv")  # only .json and .xml: any other path is the pages'
    assert other.status_code == 401 and b"service_code" not in other.get_data()  # (sign in first)


def test_xml_holds_any_text_as_text(server, ingest_demo, spots):
    """Markup and quotes come back as the same text; control characters XML cannot hold at all
    are left out, so the document still parses; an id with markup in an error likewise."""
    key, client = new_key(ingest_demo, "o311-xml"), server.test_client()
    text = '</description><x a="1">&amp; ]]> \' \u0007\u001b 楼道'
    form = {**_form(key, spots, 5, ticket="<t>&'\""), "description": text}
    assert client.post(f"{BASE}/requests.json", data=form).status_code == 201
    (got,) = _xml(
        _get(client, "requests.xml", key, service_request_id="<t>&'\""), 200, root="service_requests"
    )
    assert got["service_request_id"] == "<t>&'\"" and got["description"] == text.replace("\u0007\u001b", "")
    (error,) = _xml(_get(client, "requests/<b>&.xml", key), 404, root="errors")
    assert "<b>&" in error["description"]
