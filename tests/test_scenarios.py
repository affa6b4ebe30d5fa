"""Saved coverage scenarios (方案, #18) on a district the demo never saw (测试区, its buildings and
service points but no roads): a planner saves the page's what-if under a name, sees it listed,
loads it back, saves another, compares the two side by side and exports the comparison; a name
saved again replaces it; saves and deletes are audited. Driven through the real app's callbacks."""

from __future__ import annotations

import base64
import io

import pytest
from openpyxl import load_workbook

from dashboard.app import create_app
from dashboard.callback_request import PATH
from dashboard.coverage import layout as L
from geo.errors import InputError
from layers import scenarios
from tests.auth import client_for, make_account
from tests.callbacks import callback_request, page_values
from tests.small_district import EAST, SOUTH, WEST
from tests.sql import one

KIND = "elder_care"  # two points in the small district: 东坝助老站 (S1) and 金盏助老站 (S2)


@pytest.fixture(scope="module")
def page(settings, no_roads):
    app = create_app(settings, no_roads)
    client = client_for(app.server, make_account(no_roads, "scenario_planner", "planner"))
    return app, client, page_values(client, "/coverage"), no_roads


def _call(app, client, values, output: str, overrides, *, changed: str):
    key = next(
        k
        for k in app.callback_map
        if output in k and changed.split(".")[0] in str(app.callback_map[k]["inputs"])
    )
    response = client.post(
        PATH, json=callback_request(key, app.callback_map[key], values, overrides, changed=changed)
    )
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_json()["response"] if response.status_code == 200 else None


def _save(page, name, what_if, metres=800):
    app, client, values, _ = page
    shown = {(L.SC_NAME, "value"): name, (L.TYPE, "value"): KIND, (L.VALUE, "value"): metres, (L.UNIT, "value"): "m",
             (L.WHATIF, "data"): what_if, (L.SC_VERSION, "data"): 0}  # fmt: skip
    return _call(app, client, values, L.SC_MESSAGE, shown, changed=f"{L.SC_SAVE}.n_clicks")


def _ids(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {s.name: s.id for s in scenarios.scenarios(conn, KIND)}


def test_save_list_load_compare_and_export_two_scenarios(page):
    app, client, values, engine = page
    s1 = one(engine, "SELECT id FROM service_point WHERE source_id = 'S1'")
    added = [[WEST + 0.03, SOUTH + 0.02]]
    saved = _save(page, "撤东坝站", {"added": [], "removed": [s1]})
    assert saved[L.SC_VERSION]["data"] == 1 and "已保存方案「撤东坝站」" in str(
        saved[L.SC_MESSAGE]["children"]
    )
    _save(page, "新增一站 <b>", {"added": added, "removed": []}, metres=1000)
    ids = _ids(engine)
    assert set(ids) == {"撤东坝站", "新增一站 <b>"}
    listed = _call(app, client, values, L.SC_LIST, {(L.TYPE, "value"): KIND}, changed=f"{L.TYPE}.value")
    labels = [o["label"] for o in listed[L.SC_LIST]["options"]]
    assert labels == ["撤东坝站 · 800 m · +0 −1", "新增一站 <b> · 1,000 m · +1 −0"]  # text: React escapes it
    loaded = _call(app, client, values, L.WHATIF, {(L.SC_LIST, "value"): ids["新增一站 <b>"], (L.UNIT, "value"): "min"},
                   changed=f"{L.SC_LOAD}.n_clicks")  # fmt: skip
    assert loaded[L.WHATIF]["data"] == {"added": added, "removed": []} and loaded[L.VALUE]["value"] == 12.5
    pair = {(L.SC_A, "value"): ids["撤东坝站"], (L.SC_B, "value"): ids["新增一站 <b>"], (L.ON, "date"): None}
    shown = _call(app, client, values, L.SC_RESULT, pair, changed=f"{L.SC_COMPARE}.n_clicks")
    text = str(shown[L.SC_RESULT]["children"])
    assert "800 m" in text and "1,000 m" in text and "+0 / −1" in text and "+1 / −0" in text
    out = _call(app, client, values, L.SC_MESSAGE, pair, changed=f"{L.SC_EXPORT}.n_clicks")
    book = load_workbook(io.BytesIO(base64.b64decode(out[L.DOWNLOAD]["data"]["content"])))
    assert book.sheetnames == ["方案对比", "各街道"]
    rows = {r[0]: r[1:] for r in book["方案对比"].iter_rows(values_only=True) if r and r[0]}
    assert rows["阈值（米）"] == (800, 1000) and rows["移除服务点"] == (1, 0) and rows["新增服务点"] == (0, 1)
    # leaving a point out loses people, adding one gains them, against the real points at each threshold
    change = rows["较现有服务点（百分点）"]
    assert change[0] <= 0 <= change[1]
    assert one(engine, "SELECT count(*) FROM audit_log WHERE action = 'scenario.save'") == 2


def test_a_name_saved_again_replaces_it_and_delete_is_audited(page):
    app, client, values, engine = page
    _save(page, "临时方案", {"added": [], "removed": []})
    _save(page, "临时方案", {"added": [[EAST - 0.01, SOUTH + 0.01]], "removed": []}, metres=500)
    with engine.connect() as conn:
        (again,) = [s for s in scenarios.scenarios(conn, KIND) if s.name == "临时方案"]
    assert again.threshold_m == 500 and len(again.added) == 1
    out = _call(app, client, values, L.SC_MESSAGE, {(L.SC_LIST, "value"): again.id, (L.SC_VERSION, "data"): 3},
                changed=f"{L.SC_DELETE}.n_clicks")  # fmt: skip
    assert out[L.SC_VERSION]["data"] == 4 and "临时方案" not in _ids(engine)
    assert one(engine, "SELECT count(*) FROM audit_log WHERE action = 'scenario.delete'") == 1


def test_what_the_browser_sends_is_checked(page):
    app, client, values, engine = page
    for bad in ("", " ", "x" * 61, "a\nb", None, 5):
        assert "⚠" in str(_save(page, bad, {"added": [], "removed": []})[L.SC_MESSAGE]["children"])
    with engine.connect() as conn:
        assert scenarios.scenario(conn, "1") is None and scenarios.scenario(conn, True) is None
        with pytest.raises(InputError, match="at most 50"):
            scenarios.save(conn, name="x", kind=KIND, threshold_m=500, added=((113.0, 40.0),) * 51, removed=frozenset(), by=None)  # fmt: skip
    one_only = {(L.SC_A, "value"): 10**6, (L.SC_B, "value"): None, (L.ON, "date"): None}
    out = _call(app, client, values, L.SC_RESULT, one_only, changed=f"{L.SC_COMPARE}.n_clicks")
    assert "choose two saved scenarios" in str(out[L.SC_MESSAGE]["children"])
