"""The planning page's own logic (issue #20): the choice (pin, drop, clear; a recheck due in the
period asks before it is dropped), a stop opened from the list or the map, why team-days went
unused, the register's recheck flag, the map under the routes; and through the real app (Flask
test client, the demo database) the register on page load, the pin-then-drop sequence and a
visit refused without an inspector."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from dashboard.app import create_app
from dashboard.callback_request import PATH
from dashboard.inspections import layout as L
from dashboard.inspections.choice import CLEAR, DROP, PIN, Choice, rechecks, selected_ids
from dashboard.inspections.figures import FOCUS, plan_figure
from dashboard.inspections.focus import Focus, focus_of
from geo.inspection_kinds import INSPECTION_KINDS
from layers.drill import Outline
from layers.plan import Plan, PlanRequest, Stop, TeamDay
from tests.auth import client_for
from tests.callbacks import callback_request, page_values
from tests.sql import all_rows

START = dt.date(2026, 12, 7)


def test_pin_then_drop_keeps_the_pinned_target_and_clear_empties():
    choice = Choice.parse({"pinned": [1, "2", True, 2.5], "dropped": "junk"})
    assert choice == Choice(frozenset({1}))
    choice = choice.apply(PIN, frozenset({7})).apply(DROP, frozenset({8}))
    assert choice.to_store() == {"pinned": [1, 7], "dropped": [8]}
    assert choice.apply(PIN, frozenset({8})).to_store() == {"pinned": [1, 7, 8], "dropped": []}
    assert choice.apply(CLEAR, frozenset({1})) == Choice()


def test_selected_rows_as_the_browser_sends_them():
    rows = [
        {"id": 3, "name": "甲", "recheck": True},
        {"id": "4"},
        "x",
        {"id": 5, "name": "乙", "recheck": "yes"},
    ]
    assert selected_ids(rows) == {3, 5} and selected_ids(None) == frozenset()
    assert rechecks(rows) == ["甲"] and rechecks({"a": 1}) == []


def _stop(target, lon=113.3, lat=40.1, why="risk"):
    return Stop(target, f"对象{target}", "scrap", "某路1号", why, 50.0, lon, lat, 100.0)


def _plan(routes, *, days=2, teams=2, candidates=2, left_out=()):
    request = PlanRequest(street=1, start=START, days=days, teams=teams, visits_per_day=3)
    return Plan(request, ("街道办", 113.3, 40.1), tuple(routes), True, candidates, left_out=left_out)


def _route(*stops, team=1):
    return TeamDay(START, team, stops, 1000.0, 60.0, ((113.3, 40.1), (113.31, 40.11)))


def test_a_stop_opened_from_the_list_or_the_map():
    stored = json.loads(json.dumps({"routes": [{"stops": [{"target": 9, "lon": 113.31, "lat": 40.12}]}]}))
    clicked = [{"prop_id": '{"target":9,"type":"ins-stop"}.n_clicks', "value": 1}]
    assert focus_of({"type": L.STOP, "target": 9}, clicked, click=None, plan=stored) == Focus(
        9, 113.31, 40.12
    )
    drawn = [{"prop_id": "x", "value": 0}]  # a list item just drawn, not clicked
    assert focus_of({"type": L.STOP, "target": 9}, drawn, click=None, plan=stored) is None
    assert focus_of({"type": L.STOP, "target": 8}, clicked, click=None, plan=stored) is None
    point = {"points": [{"customdata": 4, "lon": 113.2, "lat": 40.0}]}
    assert focus_of(L.MAP, [], click=point, plan=None) == Focus(4, 113.2, 40.0)
    for junk in ({"points": [{"customdata": "4", "lon": 1, "lat": 1}]}, {"points": [{"customdata": 4, "lon": float("nan"), "lat": 1}]},
                 {"points": []}, "x", {"points": [{"customdata": True, "lon": 1, "lat": 1}]}):  # fmt: skip
        assert focus_of(L.MAP, [], click=junk, plan=None) is None


def test_unused_team_days_are_explained():
    assert L.unused_team_days(_plan([_route(_stop(1)), _route(_stop(2), team=2)], days=1, teams=2)) is None
    fitted = L.unused_team_days(_plan([_route(_stop(1), _stop(2))], days=5, teams=3))
    assert "全部 2 个候选对象已安排" in fitted[0] and "1/15" in fitted[0] and "All 2 candidates" in fitted[1]
    nothing = L.unused_team_days(_plan([], candidates=0))
    assert "无需检查" in nothing[0] and "Nothing is due" in nothing[1]
    left = L.unused_team_days(_plan([_route(_stop(1))], candidates=3, left_out=(2, 3)))
    assert "2 个可选对象" in left[0] and "固定" in left[0] and "pin one" in left[1]


def test_the_summary_lists_each_team_days_stops_in_order():
    plan = _plan([_route(_stop(1), _stop(2, why="rectification")), _route(_stop(3), team=2)], days=1)
    shown = json.dumps(
        L.summary(plan).to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False
    )
    assert shown.index("对象1") < shown.index("对象2") < shown.index("对象3")
    assert '"target": 2' in shown and "整改复查" in shown


def test_the_register_flags_rechecks_due_in_the_period():
    register = pd.DataFrame({
        "id": [1, 2, 3], "name": ["a", "b", "c"], "kind": ["scrap"] * 3, "score": [1.0, 2.0, 3.0], "why": [""] * 3,
        "last_visit": [None] * 3, "last_passed": [None] * 3, "due_in": [None, 3, 40], "rectifications_open": [1, 1, 0],
        "first_deadline": [START + dt.timedelta(days=1), START + dt.timedelta(days=9), None],
    })  # fmt: skip
    request = PlanRequest(street=1, start=START, days=3, teams=1, visits_per_day=3, pinned=frozenset({3}))
    rows = L.register_rows(register, None, INSPECTION_KINDS, request=request)
    assert [(r["id"], r["recheck"], r["choice"]) for r in rows] == [
        (1, True, ""),
        (2, False, ""),
        (3, False, "指定 pinned"),
    ]
    assert L.COLUMNS[0]["field"] == "choice"


def test_the_map_draws_communities_targets_and_a_labelled_office_under_the_routes():
    plan = _plan([_route(_stop(1))])
    outline = {
        "type": "Polygon",
        "coordinates": [[[113.2, 40.0], [113.4, 40.0], [113.4, 40.2], [113.2, 40.0]]],
    }
    named = Outline(1, "c1", "<b>东街社区</b>", outline, 113.3, 40.1)
    register = pd.DataFrame({"id": [1, 2], "name": ["x", "<i>y</i>"], "score": [5.0, 6.0], "lon": [113.3, 113.31], "lat": [40.1, 40.11]})  # fmt: skip
    figure = plan_figure(plan, outline, communities=[named], register=register)
    names = [t["name"] for t in figure["data"]]
    assert names[FOCUS] == "focus" and figure["data"][FOCUS]["lon"] == []
    assert names.index("communities") < names.index("targets 对象") < names.index("office")
    texts = json.dumps(figure, ensure_ascii=False)
    assert "&lt;b&gt;东街社区" in texts and "&lt;i&gt;y" in texts and "<b>" not in texts
    office = figure["data"][names.index("office")]
    assert office["mode"] == "markers+text" and office["text"] == ["出发点 街道办"]


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _post(app, client, values, prefix, overrides=None, *, changed=None):
    key = next(k for k in app.callback_map if k.startswith(prefix))
    body = callback_request(key, app.callback_map[key], values, overrides or {}, changed=changed)
    response = client.post(PATH, json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_json()["response"] if response.status_code == 200 else None


def test_the_register_loads_with_the_page_without_a_plan(app, demo, accounts):
    leader = client_for(app.server, accounts["street_leader"])
    values = page_values(leader, "/inspections")
    street = values[(L.STREET, "value")]
    shown = _post(app, leader, values, "..ins-grid.rowData", changed=f"{L.STREET}.value")
    expected = all_rows(demo, "SELECT count(*) FROM inspection_target WHERE street_id = :s", s=street)[0][0]
    assert expected > 0 and len(shown[L.GRID]["rowData"]) == expected
    assert shown[L.PLAN]["data"] is None and "选择街道并点击" in json.dumps(
        shown[L.SUMMARY], ensure_ascii=False
    )
    traces = [t["name"] for t in shown[L.MAP]["figure"]["data"]]
    assert "targets 对象" in traces and "office" not in traces


def test_pin_then_drop_through_the_page_and_a_recheck_asks_first(app, accounts):
    leader = client_for(app.server, accounts["street_leader"])
    values = page_values(leader, "/inspections")
    pick = {(L.GRID, "selectedRows"): [{"id": 11, "name": "甲"}]}
    pinned = _post(app, leader, values, "..ins-choice.data", pick, changed=f"{L.PIN}.n_clicks")
    assert (
        pinned[L.CHOICE]["data"] == {"pinned": [11], "dropped": []} and pinned[L.GRID]["selectedRows"] == []
    )
    values[(L.CHOICE, "data")] = pinned[L.CHOICE]["data"]
    other = {(L.GRID, "selectedRows"): [{"id": 12, "name": "乙"}]}
    dropped = _post(app, leader, values, "..ins-choice.data", other, changed=f"{L.DROP}.n_clicks")
    assert dropped[L.CHOICE]["data"] == {"pinned": [11], "dropped": [12]}
    recheck = {(L.GRID, "selectedRows"): [{"id": 13, "name": "丙", "recheck": True}]}
    asked = _post(app, leader, values, "..ins-choice.data", recheck, changed=f"{L.DROP}.n_clicks")
    assert (
        L.CHOICE not in asked
        and asked[L.CONFIRM]["displayed"] is True
        and "丙" in asked[L.CONFIRM]["message"]
    )
    yes = _post(app, leader, values, "..ins-choice.data", recheck, changed=f"{L.CONFIRM}.submit_n_clicks")
    assert yes[L.CHOICE]["data"] == {"pinned": [11], "dropped": [13]}


def test_a_visit_without_an_inspector_is_refused_and_a_saved_one_says_so(app, demo, accounts):
    leader = client_for(app.server, accounts["street_leader"])
    values = page_values(leader, "/inspections")
    street = values[(L.STREET, "value")]
    target = all_rows(demo, "SELECT min(id) FROM inspection_target WHERE street_id = :s", s=street)[0][0]
    form = {(L.R_TARGET, "value"): target, (L.R_OUTCOME, "value"): "passed", (L.R_DATE, "date"): START.isoformat(),
            (L.R_TARGET, "options"): [{"label": "<b>某站</b>", "value": target}]}  # fmt: skip
    before = all_rows(demo, "SELECT count(*) FROM inspection WHERE target_id = :t", t=target)[0][0]
    refused = _post(app, leader, values, "..ins-r-message.children", {**form, (L.R_INSPECTOR, "value"): "  "})
    assert "检查人" in json.dumps(refused, ensure_ascii=False) and L.SAVED not in refused
    assert all_rows(demo, "SELECT count(*) FROM inspection WHERE target_id = :t", t=target)[0][0] == before
    saved = _post(app, leader, values, "..ins-r-message.children", {**form, (L.R_INSPECTOR, "value"): "王五"})
    message = saved[L.R_MESSAGE]["children"]
    shown = json.dumps(message["props"]["children"], ensure_ascii=False)
    assert message["props"]["className"] == "ins-ok" and "已保存" in shown and "Saved" in shown
    assert (
        message["props"]["children"][-1] == ": <b>某站</b> · " + START.isoformat()
    )  # a string: React shows it as text
    assert (
        all_rows(demo, "SELECT count(*) FROM inspection WHERE target_id = :t", t=target)[0][0] == before + 1
    )
