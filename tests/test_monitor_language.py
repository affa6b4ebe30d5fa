"""The wall screen's language switch (issue #20): the page is built again in the other language
in place (no reload), at the same drill-down with the same window, filters and map mode; a
place the account may not open, or junk from the browser, opens its home instead. A wall screen
opened by a link with the same query lands in the same place (the query is the page's state)."""

from __future__ import annotations

import json

import pytest

from dashboard.app import create_app
from dashboard.callback_request import PATH
from dashboard.monitor import layout as L
from tests.auth import client_for, make_account
from tests.callbacks import callback_request, components, page_values, route
from tests.sql import all_rows


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _switch(app, client, values, overrides):
    key = next(k for k in app.callback_map if k.startswith("page.children@"))
    body = callback_request(key, app.callback_map[key], values, overrides)
    response = client.post(PATH, json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return (
        components(response.get_json()["response"]["page"]["children"], {})
        if response.status_code == 200
        else None
    )


def _streets(demo):
    return [r[0] for r in all_rows(demo, "SELECT id FROM street WHERE valid_to IS NULL ORDER BY code")]


def test_switching_keeps_the_place_window_filters_and_mode(app, demo, accounts):
    admin = client_for(app.server, accounts["admin"])
    values = page_values(admin, "/monitor")
    street = _streets(demo)[3]
    chosen = {(L.DRILL, "data"): {"level": "street", "id": street}, (L.WINDOW, "value"): 90, (L.MODE, "value"): "rate",
              (L.STATUS, "value"): ["overdue"], (L.LANG, "data"): "zh"}  # fmt: skip
    shown = _switch(app, admin, values, chosen)
    assert shown[(L.LANG, "data")] == "en" and shown[(L.DRILL, "data")] == {"level": "street", "id": street}
    assert shown[(L.WINDOW, "value")] == 90 and shown[(L.MODE, "value")] == "rate"
    assert shown[(L.STATUS, "value")] == ["overdue"]
    back = _switch(app, admin, values, {**chosen, (L.LANG, "data"): "en"})
    assert back[(L.LANG, "data")] == "zh" and back[(L.DRILL, "data")] == {"level": "street", "id": street}


def test_a_leader_switching_with_another_street_lands_at_home(app, demo):
    code = all_rows(demo, "SELECT code FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")[0][0]
    leader = client_for(app.server, make_account(demo, "lang_leader", "street_leader", streets=[code]))
    values = page_values(leader, "/monitor")
    home, other = values[(L.DRILL, "data")], _streets(demo)[5]
    assert home["level"] == "street" and home["id"] != other
    shown = _switch(app, leader, values, {(L.DRILL, "data"): {"level": "street", "id": other}})
    assert shown[(L.DRILL, "data")] == home


@pytest.mark.parametrize(
    "junk",
    [{(L.DRILL, "data"): "x"}, {(L.DRILL, "data"): {"level": "grid", "id": 10**9}}, {(L.WINDOW, "value"): "'; drop"},
     {(L.MODE, "value"): ["heat"]}, {(L.LANG, "data"): None}, {(L.CATEGORY, "value"): [{"a": 1}]}],
)  # fmt: skip
def test_junk_state_opens_a_sane_screen(app, accounts, junk):
    admin = client_for(app.server, accounts["admin"])
    values = page_values(admin, "/monitor")
    shown = _switch(app, admin, values, junk)
    assert shown[(L.DRILL, "data")] == {"level": "district", "id": None} and shown[(L.WINDOW, "value")] in (
        30,
        90,
        365,
    )


def test_a_link_with_the_query_opens_that_view(app, demo, accounts):
    admin = client_for(app.server, accounts["admin"])
    street = _streets(demo)[2]
    page, _ = route(admin, "/monitor", f"?lang=en&window=365&mode=hotspot&drill=street:{street}")
    shown = components(page, {})
    assert (
        shown[(L.DRILL, "data")] == {"level": "street", "id": street}
        and shown[(L.MODE, "value")] == "hotspot"
    )
    assert shown[(L.WINDOW, "value")] == 365 and "Governance Centre" in json.dumps(page)


def test_a_new_button_alone_switches_nothing(app, accounts):
    """Dash calls the switch when a page brings its button (n_clicks 0): nothing changes."""
    admin = client_for(app.server, accounts["admin"])
    values = page_values(admin, "/monitor")
    key = next(k for k in app.callback_map if k.startswith("page.children@"))
    body = callback_request(key, app.callback_map[key], values, {})
    body["inputs"][0]["value"] = 0
    assert admin.post(PATH, json=body).status_code == 204
