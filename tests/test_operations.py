"""Health endpoints, request ids and JSON log lines, through Flask's test client on the demo
database (the outage itself is in test_db_faults.py, against a cluster of its own)."""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.request
from collections.abc import Iterator

import pytest

from dashboard.app import create_app
from dashboard.callback_request import PATH, route_body
from dashboard.ops.db_down import MESSAGE
from dashboard.ops.health import BEHIND, UNREACHABLE, readiness
from dashboard.ops.logs import JsonFormatter
from dashboard.ops.request_log import HEADER, request_id_from
from geo import migrate
from geo.db import make_engine
from tests.auth import COOKIE, client_for, csrf_token, session_cookie
from tests.browser import serving
from tests.callbacks import route


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every record from the app's loggers, as the server writes them (JSON lines)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = logging.getLogger("gridgov").level
    logging.getLogger("gridgov").setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    logging.getLogger("gridgov").setLevel(level)


def _records(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_health_endpoints_are_open_and_say_nothing_more(app):
    client = client_for(app.server)  # no session
    health, ready = client.get("/healthz"), client.get("/readyz")
    assert (health.status_code, health.get_json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.get_json()) == (200, {"status": "ready"})
    assert ready.headers["Cache-Control"] == "no-store"


def test_readiness_names_an_old_schema_and_an_unreachable_server(scratch_engine, tmp_path):
    head = migrate.head()
    assert readiness(scratch_engine, head=head) == BEHIND  # an empty database: no migrations
    gone = make_engine(f"postgresql+psycopg://gridgov@/gridgov?host={tmp_path}&port=5432")
    try:
        assert readiness(gone, head=head) == UNREACHABLE
    finally:
        gone.dispose()


def test_request_ids_are_kept_when_sane_and_made_otherwise(app):
    client = client_for(app.server)
    made = client.get("/healthz").headers[HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz", headers={HEADER: "lb-7f3a:42"}).headers[HEADER] == "lb-7f3a:42"
    for bad in ("x" * 65, "a b", "<script>", "id\u200b"):
        assert request_id_from(bad) != bad
    refused = client.get("/monitor", headers={"Accept": "application/json", HEADER: "refused-1"})
    assert refused.status_code == 401 and refused.headers[HEADER] == "refused-1"


def test_each_request_is_one_json_line_with_its_id_and_no_query_string(app, log_lines):
    client = client_for(app.server)
    client.get("/kiosk?token=very-secret-token", headers={HEADER: "kiosk-req-1"})
    text = log_lines.getvalue()
    assert "very-secret-token" not in text
    access = [r for r in _records(log_lines) if r["logger"] == "gridgov.access"]
    assert access[-1] | {"time": None} == access[-1] | {
        "time": None, "level": "INFO", "message": "request", "request_id": "kiosk-req-1",
        "method": "GET", "path": "/kiosk", "status": 200, "callback": None,
    }  # fmt: skip
    assert isinstance(access[-1]["ms"], float) and 0 <= access[-1]["cpu_ms"] <= access[-1]["ms"] + 0.5


def test_a_callbacks_log_line_names_its_outputs_and_the_time_it_computed(app, accounts, log_lines):
    client = client_for(app.server, accounts["admin"])
    route(client, "/monitor")
    logged = [r for r in _records(log_lines) if r["logger"] == "gridgov.access"][-1]
    assert (logged["path"], logged["callback"], logged["status"]) == (
        "/_dash-update-component",
        "page.children",
        200,
    )
    assert 0 < logged["cpu_ms"] <= logged["ms"] + 0.5  # building the wall screen's layout computes


def test_an_exception_is_logged_with_its_id_and_never_shown(settings, demo, accounts, log_lines):
    app = create_app(settings, demo)

    def broken():  # a bug (malformed callback input is the client's error: 400, tests/test_callback_fuzz.py)
        raise RuntimeError("a bug")

    app.server.add_url_rule("/broken", "broken", broken, methods=["POST"])
    client = client_for(app.server, accounts["admin"])
    response = client.post("/broken", json={}, headers={HEADER: "broken-cb-1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and response.get_json() == {
        "error": "internal error", "request_id": "broken-cb-1"
    }  # fmt: skip
    assert "Traceback" not in body
    errors = [r for r in _records(log_lines) if r["level"] == "ERROR"]
    assert errors and errors[-1]["request_id"] == "broken-cb-1" and "Traceback" in errors[-1]["exception"]


def test_an_unreachable_database_answers_503_and_keeps_the_session(settings, app, accounts, tmp_path):
    """The same app on an engine whose server is gone, with a session cookie signed in on the live
    one: pages, the login form and callbacks say "unavailable, retrying"; nobody is logged out."""
    gone = make_engine(f"postgresql+psycopg://gridgov@/gridgov?host={tmp_path}&port=5432")
    down = client_for(create_app(settings, gone).server)
    down.set_cookie(COOKIE, session_cookie(client_for(app.server, accounts["admin"])))
    page = down.get("/monitor", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    form = down.post(
        "/login",
        data={"csrf": csrf_token(down), "username": "a", "password": "b"},
        headers={"Accept": "text/html"},
    )
    callback = down.post(PATH, json=route_body("/monitor"), headers={"Accept": "*/*"})
    for response in (page, form):
        assert response.status_code == 503 and response.mimetype == "text/html"
        assert MESSAGE in response.get_data(as_text=True) and 'http-equiv="refresh"' in response.get_data(
            as_text=True
        )
    assert (callback.status_code, callback.get_json()) == (
        503,
        {"error": "database_unavailable", "message": MESSAGE},
    )
    for response in (page, form, callback):
        assert response.headers["Retry-After"] == "5" and "Set-Cookie" not in response.headers
        assert "Traceback" not in response.get_data(as_text=True)
    gone.dispose()


def test_every_line_the_real_server_writes_is_json(settings, demo, tmp_path):
    """gunicorn's own lines (starting, booting workers, the stop signal) included; no access
    line of gunicorn's, which would carry the query string (a kiosk token can be in it)."""
    with serving(settings, tmp_path) as (url, log):
        assert urllib.request.urlopen(url + "healthz?token=kiosk-secret-1", timeout=10).status == 200
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    # the one line meant for the operator's eyes, on stdout: the first admin's password
    lines = [line for line in lines if not line.startswith("created the admin account")]
    records = [json.loads(line) for line in lines]  # raises on any line that is not JSON
    loggers = {r["logger"] for r in records}
    messages = " ".join(r["message"] for r in records)
    assert "gunicorn.error" in loggers and "Booting worker" in messages and "Handling signal" in messages
    assert "gunicorn.access" not in loggers and "kiosk-secret-1" not in log.read_text(encoding="utf-8")
