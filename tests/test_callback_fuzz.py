"""Malformed callback input is a client error, never a server error (issue #16, finding 8).

Hypothesis posts generated JSON (``true`` where an id or a number belongs, nested lists and
objects, NUL characters, huge numbers) as the value of every input and state of every
registered callback, signed in as an admin (who may use every page), and also mangles the
request's envelope (ids, properties, lists). Every answer must be below 500.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.app import create_app
from dashboard.callback_request import PATH
from tests.auth import client_for

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["\x00", "1\x00", "140213\x00", "2026-01-01\x00", "", "all", "-1"])
)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip
FUZZ = settings(
    max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)


@pytest.fixture(scope="module")
def client(settings, demo, accounts):
    app = create_app(settings, demo)
    return app, client_for(app.server, accounts["admin"])


def _outputs(key):
    parts = [
        dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in key.strip(".").split("...")
    ]
    return parts if key.startswith("..") else parts[0]


def _item(spec, value):
    if spec["id"].startswith("{"):  # a pattern-matching group: a list of its members
        return [{"id": {"type": "x", "index": 1}, "property": spec["property"], "value": value}]
    return {"id": spec["id"], "property": spec["property"], "value": value}


def _body(key, spec, values):
    specs = [*spec["inputs"], *spec.get("state", [])]
    items = [_item(s, v) for s, v in zip(specs, values, strict=False)]
    first = spec["inputs"][0]
    return {
        "output": key,
        "outputs": _outputs(key),
        "inputs": items[: len(spec["inputs"])],
        "state": items[len(spec["inputs"]) :],
        "changedPropIds": [f"{first['id']}.{first['property']}"],
    }


def _fuzz_one(signed_in, key, spec, failures):
    width = len(spec["inputs"]) + len(spec.get("state", []))

    @FUZZ
    @given(values=st.lists(JSON, min_size=width, max_size=width))
    def post(values):
        response = signed_in.post(PATH, json=_body(key, spec, values))
        if response.status_code >= 500:
            failures.append((key, values, response.status_code))

    post()


def test_generated_input_values_never_give_a_server_error(client):
    app, signed_in = client
    failures: list[tuple[str, list[object], int]] = []
    for key, spec in app.callback_map.items():
        _fuzz_one(signed_in, key, spec, failures)
    assert not failures, "\n".join(f"{k}: {v!r} → {c}" for k, v, c in failures[:20])


ENVELOPE = st.fixed_dictionaries(
    {},
    optional={
        "output": JSON | st.just("page.children"),
        "outputs": JSON,
        "inputs": JSON | st.lists(st.fixed_dictionaries({"id": JSON, "property": JSON, "value": JSON})),
        "state": JSON,
        "changedPropIds": JSON,
    },
)


@settings(FUZZ, max_examples=60)
@given(body=ENVELOPE | JSON)
def test_a_mangled_request_never_gives_a_server_error(client, body):
    _app, signed_in = client
    response = signed_in.post(PATH, json=body)
    assert response.status_code < 500, (body, response.get_data(as_text=True)[:300])
