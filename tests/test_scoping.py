"""A street leader sees only their own streets, however the requests are made (issue #7).

Street B gets rows with a marker text nobody else has: incidents (newest, so they lead the
wall screen's feed) and an inspection target. Every data callback a street leader of street A
may use is then called with street B's identifiers put in wherever the page takes one; no
response may carry a marker. The same sweep as an admin must show them (else the test proves
nothing).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from dashboard.app import create_app
from dashboard.auth.access import may_use
from dashboard.callback_request import PATH, route_body
from dashboard.monitor import layout as L
from dashboard.monitor.i18n import short_name
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from layers.feeds import mask_phone
from tests.auth import client_for, make_account
from tests.callbacks import callback_request as _body  # others import _body, _page_values from here
from tests.callbacks import monitor_update
from tests.callbacks import page_values as _page_values
from tests.sql import remove_marked

MARK = "MARKER-B-7f3a"
PAGES = {"map": "/map", "monitor": "/monitor", "inspections": "/inspections", "coverage": "/coverage"}


@pytest.fixture(scope="module")
def streets(demo, tmp_path_factory):
    """(A's code, B's code, B's current id, B's marked target id), after adding B's marked rows."""
    with demo.begin() as conn:
        (a_code, _), (b_code, b_id) = conn.execute(
            sa.text("SELECT code, id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 2")
        ).all()
        lon, lat = conn.execute(
            sa.text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) p FROM grid g "
                    "JOIN community c ON c.id = g.community_id WHERE c.street_id = :b LIMIT 1) s"),
            {"b": b_id},
        ).one()  # fmt: skip
        target = conn.execute(
            sa.text("INSERT INTO inspection_target (source, source_id, kind, name, address, risk_level, "
                    "interval_days, attributes, street_id, community_id, grid_id, geom) "
                    "SELECT 'scoping', 'T1', kind, :name, :name, 3, 1, attributes, street_id, community_id, "
                    "grid_id, geom FROM inspection_target WHERE street_id = :b LIMIT 1 RETURNING id"),
            {"name": f"{MARK} 独居老人", "b": b_id},
        ).scalar_one()  # fmt: skip
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    rows = "".join(
        f"S{i},{MARK} 楼道堆物,{(now - dt.timedelta(minutes=i)):%Y-%m-%d %H:%M:%S},{lon},{lat}\n"
        for i in range(3)
    )
    path = tmp_path_factory.mktemp("scoping") / "b.csv"
    path.write_text("工单编号,诉求内容,受理时间,经度,纬度\n" + rows, encoding="utf-8")
    result = run_file(
        demo, kind=get_kind("incidents"), path=path, options=JobOptions(source="scoping", crs="wgs84")
    )
    assert result.inserted == 3
    yield a_code, b_code, b_id, target
    remove_marked(demo, source="scoping", target=target)


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _overrides(streets):
    _, b_code, b_id, target = streets
    return {
        ("street", "value"): b_code,
        ("ins-street", "value"): b_id,
        ("m-drill", "data"): {"level": "street", "id": b_id},
        ("ins-r-target", "value"): target,
        ("ins-grid", "selectedRows"): [{"id": target}],
        ("ins-choice", "data"): {"pin": [target], "drop": []},
        ("ins-r-notes", "value"): "checked",
    }


def _sweep(app, client, role, streets):
    """Every callback of every page ``role`` may use, with street B's identifiers: their texts."""
    texts = []
    for page, path in PAGES.items():
        if not may_use(role, page):
            continue
        values = _page_values(client, path)
        texts.append(json.dumps(list(values.values()), ensure_ascii=False, default=str))
        for key, spec in app.callback_map.items():
            response = client.post(PATH, json=_body(key, spec, values, _overrides(streets)))
            assert response.status_code in (200, 204, 403), (key, response.status_code)
            texts.append(response.get_data(as_text=True))
    return "\n".join(texts)


def test_a_street_leader_gets_no_row_of_another_street_from_any_callback(app, demo, streets):
    a_code = streets[0]
    leader = client_for(app.server, make_account(demo, "leader_scoping", "street_leader", streets=[a_code]))
    admin = client_for(app.server, make_account(demo, "admin_scoping", "admin"))
    assert MARK in _sweep(app, admin, "admin", streets)  # the markers are there to be found
    assert MARK not in _sweep(app, leader, "street_leader", streets)


def test_a_street_leaders_pickers_list_only_their_streets(app, demo, streets):
    a_code, b_code, b_id, _ = streets
    leader = client_for(app.server, make_account(demo, "leader_pickers", "street_leader", streets=[a_code]))
    map_streets = [o["value"] for o in _page_values(leader, "/map")[("street", "options")] if o["value"]]
    planning = [o["value"] for o in _page_values(leader, "/inspections")[("ins-street", "options")]]
    assert b_code not in map_streets and a_code in map_streets
    assert b_id not in planning and len(planning) >= 1


def test_with_the_python_checks_switched_off_the_database_still_hides_another_street(
    app, demo, streets, monkeypatch
):
    """The second wall alone: the pages' street checks let everything through, row-level
    security in PostgreSQL must still keep street B's rows from a leader of street A."""
    monkeypatch.setattr("dashboard.callbacks.may_see_street", lambda code: True)
    monkeypatch.setattr("dashboard.app.may_see_street", lambda code: True)
    monkeypatch.setattr("geo.row_scope.RowScope.allows", lambda self, street_id: True)
    leader = client_for(
        app.server, make_account(demo, "leader_rls_only", "street_leader", streets=[streets[0]])
    )
    planning = [o["value"] for o in _page_values(leader, "/inspections")[("ins-street", "options")]]
    assert streets[2] in planning  # the first wall is really off
    assert MARK not in _sweep(app, leader, "street_leader", streets)


INJECTIONS = (
    "x' OR '1'='1",
    "1; DROP TABLE incident; --",
    "') OR 1=1 --",
    "%' UNION SELECT password_hash FROM app_user --",
)


def _hostile(values, payload):
    """Every text or list-of-text input replaced by ``payload``: the filters of every page."""
    out = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = payload
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out[key] = [payload]
    return out


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_injection_in_every_filter_is_harmless(app, demo, payload):
    admin = client_for(app.server, make_account(demo, f"admin_sqli_{INJECTIONS.index(payload)}", "admin"))
    with demo.connect() as conn:
        before = conn.execute(
            sa.text("SELECT (SELECT count(*) FROM incident), (SELECT count(*) FROM app_user)")
        ).one()
    texts = []
    for path in PAGES.values():
        values = _page_values(admin, path)
        for key, spec in app.callback_map.items():
            response = admin.post(PATH, json=_body(key, spec, values, _hostile(values, payload)))
            assert response.status_code in (200, 204), (key, response.status_code)
            texts.append(response.get_data(as_text=True))
    with demo.connect() as conn:
        after = conn.execute(
            sa.text("SELECT (SELECT count(*) FROM incident), (SELECT count(*) FROM app_user)")
        ).one()
    assert after == before and "$argon2" not in "".join(texts)


def _worker_phones(demo, street_code):
    sql = ("SELECT g.worker_phone FROM grid g JOIN community c ON c.id = g.community_id JOIN street s "
           "ON s.id = c.street_id WHERE s.code = :c AND g.valid_to IS NULL AND g.worker_phone IS NOT NULL")  # fmt: skip
    with demo.connect() as conn:
        return set(conn.execute(sa.text(sql), {"c": street_code}).scalars())


def test_grid_workers_numbers_are_masked_for_whoever_does_not_manage_them(app, demo, accounts, streets):
    """The map's grid layer: full numbers for admins, and for a street leader in their own
    street; masked (138****1234) for planners and for a leader's view of other streets. The
    admin asks first, so a map shared from a cache would show here too."""
    a_code, b_code, _, _ = streets
    a_phones, b_phones = _worker_phones(demo, a_code), _worker_phones(demo, b_code)
    assert a_phones and b_phones
    maps = {}
    for role in ("admin", "planner", "street_leader"):
        response = client_for(app.server, accounts[role]).post(PATH, json=route_body("/map"))
        assert response.status_code == 200
        maps[role] = response.get_data(as_text=True)

    def shown(role, phones):
        return {p for p in phones if f'"{p}"' in maps[role]}

    masked_b = {mask_phone(p) for p in b_phones}
    assert shown("admin", a_phones) == a_phones and shown("admin", b_phones) == b_phones
    assert shown("street_leader", a_phones) == a_phones and not shown("street_leader", b_phones)
    assert shown("street_leader", masked_b) == masked_b
    assert not shown("planner", a_phones | b_phones) and shown("planner", masked_b) == masked_b


def _first_table(node):
    """The first ranking table in a layout's JSON (the places', before any departments')."""
    if isinstance(node, list):
        return next((t for t in map(_first_table, node) if t is not None), None)
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("className") == "ranking":
            return node
        return _first_table(props.get("children"))
    return None


def _ranking_rows(response) -> list[tuple[str, list[str]]]:
    """(class, cell texts) of each row of the places' ranking the update answered."""
    table = _first_table(response.get_json()["response"][L.RANKING]["children"])
    rows = []
    for tr in table["props"]["children"][1]["props"]["children"]:
        cells = [td["props"]["children"] for td in tr["props"]["children"]]
        rows.append((tr["props"].get("className") or "", cells))
    return rows


def test_a_street_leader_starts_at_their_street_and_sees_the_others_marked_not_theirs(app, demo, streets):
    """Not 17 streets of zeros that read "no problems": the wall screen opens on the leader's
    street, the district's ranking marks the others 无权限 (last), and opening one is refused."""
    a_code, _, b_id, _ = streets
    leader = client_for(app.server, make_account(demo, "leader_home", "street_leader", streets=[a_code]))
    with demo.connect() as conn:
        a_id, a_name = conn.execute(
            sa.text("SELECT id, name FROM street WHERE code = :c AND valid_to IS NULL"), {"c": a_code}
        ).one()
        others = conn.execute(sa.text("SELECT count(*) - 1 FROM street WHERE valid_to IS NULL")).scalar_one()
    assert _page_values(leader, "/monitor")[(L.DRILL, "data")] == {"level": "street", "id": a_id}
    district = monitor_update(leader, drill={"level": "district", "id": None})
    assert district.status_code == 200
    rows = _ranking_rows(district)
    assert [cells[0] for cls, cells in rows if cls != "not-yours"] == [short_name(a_name)]
    assert rows[0][1][0] == short_name(a_name) and len(rows) == others + 1
    assert all(cells[1:] == ["无权限"] for cls, cells in rows[1:])
    assert monitor_update(leader, drill={"level": "street", "id": b_id}).status_code == 204
    assert monitor_update(leader, drill={"level": "street", "id": a_id}).status_code == 200
    # in kiosk mode the tour is theirs too: their street, the district, their street again
    assert [_tour(leader, i)[0] for i in (-1, 0)] == [
        {"level": "street", "id": a_id},
        {"level": "district", "id": None},
    ]


def _tour(client, i: int) -> tuple[dict, str]:
    """Where kiosk mode's next tick takes the screen from stop ``i``, and what its bar then says."""
    from tests.test_monitor import DRILL_OUTPUTS, _call_with_crumbs

    inputs = [(L.MAP, "clickData", None), (L.KIOSK_TICK, "n_intervals", 1)]
    state = [(L.DRILL, "data", None), (L.KIOSK, "data", {"on": True, "i": i}), (L.LANG, "data", "zh")]
    answer = _call_with_crumbs(client, DRILL_OUTPUTS, inputs, state, f"{L.KIOSK_TICK}.n_intervals").get_json()
    return answer["response"][L.DRILL]["data"], answer["response"][L.KIOSK_STATUS]["children"]
