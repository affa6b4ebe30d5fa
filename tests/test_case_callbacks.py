"""Finding one case through the pages' real callbacks (Flask's test client, signed in through
the login form): the server answers in the account's row scope and the page's role check,
whatever the browser sends. A leader of street A searching for, or opening by a forged key, a
case of street B gets nothing of it; an admin gets it."""

from __future__ import annotations

import json
import re

import pytest

from dashboard.app import create_app
from dashboard.callback_request import PATH
from dashboard.figure import tile_layers
from dashboard.monitor import layout as L
from tests.auth import client_for, make_account
from tests.callbacks import callback_request, monitor_update, page_values
from tests.test_case_search import SOURCE, cases  # noqa: F401  (the module's cases, loaded once)

B_ADDRESS = "乙街测试路50%号甲"
PAGES = {"monitor": ("/monitor", "m-case"), "map": ("/map", "case")}


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _key(app, output):
    """The callback whose outputs hold ``output`` (component id and property)."""
    return next(k for k in app.callback_map if re.search(rf"(^|\.){re.escape(output)}(\.|@|$)", k))


def _post(app, client, page, output, overrides):
    path, prefix = PAGES[page]
    key = _key(app, f"{prefix}-{output}")
    values = page_values(client, path)
    keyed = {(f"{prefix}-{ident}", prop): value for (ident, prop), value in overrides.items()}
    return client.post(PATH, json=callback_request(key, app.callback_map[key], values, keyed))


def _text(response):
    assert response.status_code == 200, response.text
    return json.dumps(response.json, ensure_ascii=False)


def _streets(demo):
    with demo.connect() as conn:
        return (
            conn.exec_driver_sql("SELECT code FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 2")
            .scalars()
            .all()
        )


@pytest.mark.parametrize("page", PAGES)
def test_a_street_leader_gets_nothing_of_another_streets_case(app, demo, cases, page):  # noqa: F811
    a_code, _ = _streets(demo)
    leader = client_for(
        app.server, make_account(demo, f"leader_find_{page}", "street_leader", streets=[a_code])
    )
    admin = client_for(app.server, make_account(demo, f"admin_find_{page}", "admin"))
    b_key = {"source": SOURCE, "id": cases["keys"]["FIND-B001"].incident_id}
    for client, sees in ((admin, True), (leader, False)):
        found = _text(_post(app, client, page, "hits.children", {("query", "value"): "测试路50%号"}))
        shown = _text(_post(app, client, page, "body.children", {("selected", "data"): b_key}))
        assert (B_ADDRESS in found) == sees and (B_ADDRESS in shown) == sees
        assert "FIND-0001" in found  # street A's case: both find it
        assert ("该事件不存在或无权查看" in shown) == (not sees)


def test_an_exact_ticket_opens_at_once_and_the_phone_is_masked(app, demo, cases):  # noqa: F811
    admin = client_for(app.server, make_account(demo, "admin_find_exact", "admin"))
    found = _post(app, admin, "monitor", "hits.children", {("query", "value"): "FIND-0001"}).json["response"]
    key = cases["keys"]["FIND-0001"]
    assert found["m-case-selected"]["data"] == {"source": key.source, "id": key.incident_id}
    shown = _post(
        app, admin, "monitor", "body.children", {("selected", "data"): found["m-case-selected"]["data"]}
    )
    assert "138****5678" in _text(shown) and "13812345678" not in shown.text


def _marker(figure):
    """The points the figure's case-marker layers draw (visible ones only)."""
    layers = figure["layout"]["map"].get("layers", [])
    return [
        f["geometry"]["coordinates"]
        for layer in layers
        if layer.get("name", "").startswith("case-") and layer.get("visible")
        for f in layer["source"]["features"]
    ]


def test_a_new_map_keeps_the_open_cases_marker(app, demo, cases, settings):  # noqa: F811
    """Opening a case stores its place; a page that then replaces its whole map (another view on
    the wall screen, another street on the layer map) draws the marker again, over the map's own
    layers, and draws none when no case is open or the stored place is not a pair of numbers."""
    admin = client_for(app.server, make_account(demo, "admin_find_marker", "admin"))
    key = cases["keys"]["FIND-0001"]
    opened = _post(app, admin, "monitor", "body.children", {("selected", "data"): {"source": key.source, "id": key.incident_id}})  # fmt: skip
    point = opened.json["response"]["m-case-point"]["data"]
    with demo.connect() as conn:
        place = conn.exec_driver_sql("SELECT ST_X(geom), ST_Y(geom) FROM incident WHERE id = %s", (key.incident_id,)).one()  # fmt: skip
    assert point == pytest.approx(list(place))
    for stored, drawn in ((point, [point, point]), (None, []), (["1", 2], []), ([float("nan"), 1.0], [])):
        response = monitor_update(admin, drill={"level": "district", "id": None}, window=7, case_point=stored)
        assert response.status_code == 200, response.text
        assert _marker(response.json["response"][L.MAP]["figure"]) == drawn
    a_code, _ = _streets(demo)
    key = _key(app, "present.data")
    values = page_values(admin, "/map")
    request = callback_request(key, app.callback_map[key], values, {("case-point", "data"): point, ("street", "value"): a_code})  # fmt: skip
    answer = admin.post(PATH, json={**request, "changedPropIds": ["street.value"]})  # a street picked
    assert answer.status_code == 200, answer.text
    figure = answer.json["response"]["map"]["figure"]
    assert _marker(figure) == [point, point]
    assert figure["layout"]["map"]["layers"][:-2] == tile_layers(settings.tile_url)
