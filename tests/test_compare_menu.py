"""The 对比 menus of the wall screen and the map (dashboard/compare_menu.py): any days against
as many days just before (环比) and the same days a year earlier (同比), for the place shown and
each unit below it, made on the server for the account asking. Numbers against SQL written
here; the map's picked days become its window."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dashboard import layout as P
from dashboard.app import create_app
from dashboard.callback_request import PATH, callback_body
from dashboard.compare_menu import CompareIds
from dashboard.monitor import layout as M
from dashboard.views import key_range, range_key, window_from
from geo import sessions
from layers.report_period import BEIJING, ReportPeriod
from tests.auth import client_for, kiosk_login
from tests.sql import all_rows, one

DISTRICT = {"level": "district", "id": None}
_COUNT = "SELECT count(*) FROM incident WHERE duplicate_of IS NULL AND reported_at >= :a AND reported_at < :b"
_PER_STREET = (
    "SELECT s.name, count(i.id) FROM street s LEFT JOIN incident i ON i.street_id = s.id AND i.duplicate_of IS NULL "
    "AND i.reported_at >= :a AND i.reported_at < :b WHERE s.valid_to IS NULL GROUP BY s.name"
)


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _days() -> ReportPeriod:
    """Twenty days ending ten days ago: the demo's incidents run up to today."""
    today = dt.datetime.now(BEIJING).date()
    return ReportPeriod(today - dt.timedelta(days=29), today - dt.timedelta(days=10))


def _wall(client, *, dates=(None, None), drill=DISTRICT, window=30, is_open=True, lang="zh"):
    ids = M.COMPARE
    inputs = [(ids.summary, "n_clicks", 1 if is_open else 2), (M.WINDOW, "value", window), (ids.dates, "start_date", dates[0]),
              (ids.dates, "end_date", dates[1]), (M.DRILL, "data", drill), (M.CATEGORY, "value", []),
              (M.SOURCE, "value", [])]  # fmt: skip
    body = callback_body([(ids.body, "children")], inputs, [(M.LANG, "data", lang)], changed=f"{ids.summary}.n_clicks", single=True)  # fmt: skip
    return client.post(PATH, json=body)


def _text(node) -> str:
    """What a cell reads, in the language shown (a work page's cells hold both: the Chinese)."""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list):
        return "".join(_text(n) for n in node)
    props = node["props"]
    if "zh" in str(props.get("className", "")).split():
        return _text(props.get("children", ""))
    if "tr" in str(props.get("className", "")).split():
        return _text(props["children"][0])
    return _text(props.get("children", ""))


def _tables(response) -> list[dict[str, list[str]]]:
    """Each table of the answer: its first column → the other cells (the header row under its
    first cell)."""
    assert response.status_code == 200, response.text[:300]
    shown = response.get_json()["response"]
    (children,) = [v["children"] for v in shown.values()]
    out = []
    for node in children:
        if node["type"] != "Table":
            continue
        head, body = node["props"]["children"]
        rows = [head["props"]["children"], *body["props"]["children"]]
        cells = [[_text(c["props"]["children"]) for c in r["props"]["children"]] for r in rows]
        out.append({r[0]: r[1:] for r in cells})
    return out


def test_the_wall_screens_comparison_of_picked_days_equals_sql(app, demo, accounts):
    days = _days()
    before, year = days.previous(), days.last_year()
    client = client_for(app.server, accounts["admin"])
    kpis, streets = _tables(_wall(client, dates=(days.start.isoformat(), f"{days.end}T00:00:00")))
    assert kpis["指标"] == ["本期", "上期", "环比", "去年同期", "同比"]
    now, then, last = (one(demo, _COUNT, a=p.since, b=p.until) for p in (days, before, year))
    assert kpis["受理量"][:2] == [f"{now:,}", f"{then:,}"] and kpis["受理量"][3] == f"{last:,}"
    assert kpis["受理量"][2] == f"{(now - then) / then:+.1%}" and now and then
    assert streets["街道"][:3] == ["受理量", "环比", "同比"]
    per = [dict(all_rows(demo, _PER_STREET, a=p.since, b=p.until)) for p in (days, before)]
    assert {name: cells[0] for name, cells in streets.items() if name != "街道"} == {n: f"{c:,}" for n, c in per[0].items()}  # fmt: skip
    for name, cells in streets.items():
        if name != "街道" and per[1][name]:
            assert cells[1] == f"{(per[0][name] - per[1][name]) / per[1][name]:+.1%}", name
    assert list(streets)[1:] == sorted(per[0], key=lambda n: (-per[0][n], n))  # the most reported first
    english, _ = _tables(_wall(client, dates=(days.start.isoformat(), days.end.isoformat()), lang="en"))
    assert english["Measure"][:2] == ["This period", "Previous"] and english["Reported"][0] == f"{now:,}"


def test_without_days_the_wall_screen_compares_its_window(app, demo, accounts):
    client = client_for(app.server, accounts["admin"])
    today = dt.datetime.now(BEIJING).date()
    window = ReportPeriod(today - dt.timedelta(days=89), today)
    kpis, _ = _tables(_wall(client, window=90))
    assert kpis["受理量"][0] == f"{one(demo, _COUNT, a=window.since, b=window.until):,}"


def test_a_leader_compares_their_own_street_only(app, demo, accounts):
    client = client_for(app.server, accounts["street_leader"])
    mine, other = all_rows(demo, "SELECT id, name FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 2")
    days = _days()
    _kpis, streets = _tables(_wall(client, dates=(days.start.isoformat(), days.end.isoformat())))
    assert list(streets)[1:] == [mine[1]]  # the district's other streets: not theirs to compare
    street = {"level": "street", "id": mine[0]}
    _kpis, communities = _tables(
        _wall(client, dates=(days.start.isoformat(), days.end.isoformat()), drill=street)
    )
    assert communities["社区"][0] == "受理量" and len(communities) > 2
    assert _wall(client, drill={"level": "street", "id": other[0]}).status_code == 204


def test_no_comparison_for_a_wall_screen_a_closed_menu_or_made_up_days(app, demo, accounts):
    wall = client_for(app.server)
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
    assert kiosk_login(wall, token).status_code == 303
    assert _wall(wall).status_code == 204
    admin = client_for(app.server, accounts["admin"])
    assert _wall(admin, is_open=False).status_code == 204
    today = dt.datetime.now(BEIJING).date()
    for dates in [("2026-11-20", "2026-11-01"), (today.isoformat(), (today + dt.timedelta(days=1)).isoformat()),
                  ("2019-01-01", today.isoformat())]:  # fmt: skip
        assert _wall(admin, dates=dates).status_code == 204, dates
    assert _wall(admin, dates=("<script>", "2026-11-01")).status_code == 200  # not dates: the window


def _map_compare(client, window, street="district"):
    ids: CompareIds = P.COMPARE
    inputs = [(ids.summary, "n_clicks", 1), (P.WINDOW, "value", window), (P.STREET, "value", street)]
    body = callback_body([(ids.body, "children")], inputs, [(ids.menu, "id", ids.menu)], changed=f"{ids.summary}.n_clicks", single=True)  # fmt: skip
    return client.post(PATH, json=body)


def _one_window(client, window, start, end, changed):
    outputs = [(P.WINDOW, "value"), (P.COMPARE.dates, "start_date"), (P.COMPARE.dates, "end_date")]
    inputs = [
        (P.WINDOW, "value", window),
        (P.COMPARE.dates, "start_date", start),
        (P.COMPARE.dates, "end_date", end),
    ]
    return client.post(PATH, json=callback_body(outputs, inputs, changed=changed))


def test_days_picked_on_the_map_become_its_window_and_its_comparison(app, demo, accounts):
    days = _days()
    client = client_for(app.server, accounts["admin"])
    picked = _one_window(
        client, "30", days.start.isoformat(), days.end.isoformat(), f"{P.COMPARE.dates}.end_date"
    )
    key = range_key(days.start, days.end)
    assert picked.get_json()["response"][P.WINDOW]["value"] == key  # no preset shown as chosen
    preset = _one_window(client, "7", days.start.isoformat(), days.end.isoformat(), f"{P.WINDOW}.value")
    assert preset.get_json()["response"][P.COMPARE.dates] == {"start_date": None, "end_date": None}
    assert _one_window(client, "30", days.start.isoformat(), None, f"{P.COMPARE.dates}.start_date").status_code == 204  # fmt: skip
    assert key_range(key) == days and key_range("2026-11-30/2026-11-01") is None and key_range("30") is None
    assert (
        key_range("9999-12-31/9999-12-31") is None and key_range("0001-01-01/0001-01-02") is None
    )  # no 同比 / 环比
    assert key_range("2020-01-01/2026-11-30") is None  # longer than MAX_DAYS
    with demo.connect() as conn:
        window, _ = window_from(conn, key)
    assert (window.since, window.until) == (days.since, days.until)  # Beijing midnights, the last day whole
    kpis, streets = _tables(_map_compare(client, key))
    assert kpis["受理量"][0] == f"{one(demo, _COUNT, a=days.since, b=days.until):,}" and "街道" in streets
    code = one(demo, "SELECT code FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")
    kpis, communities = _tables(_map_compare(client, key, street=code))
    sql = _COUNT + " AND street_id = (SELECT id FROM street WHERE code = :c AND valid_to IS NULL)"
    assert (
        kpis["受理量"][0] == f"{one(demo, sql, a=days.since, b=days.until, c=code):,}"
        and "社区" in communities
    )
    leader = client_for(app.server, accounts["street_leader"])
    other = all_rows(demo, "SELECT code FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 2")[1][0]
    assert _map_compare(leader, key, street=other).status_code == 204
    latest = (
        one(demo, "SELECT max(reported_at) FROM incident WHERE duplicate_of IS NULL")
        .astimezone(BEIJING)
        .date()
    )
    (preset,) = [v["children"] for v in _map_compare(client, "7").get_json()["response"].values()]
    assert f"本期 {latest - dt.timedelta(days=6)} 至 {latest}" in str(
        preset
    )  # the map's 近7天: to the newest incident
    (said,) = [v["children"] for v in _map_compare(client, "all").get_json()["response"].values()]
    assert "选择起止日期" in str(said)  # 全部: nothing to compare with until days are picked


def test_a_reports_narrowed_load_counts_what_the_full_load_counts(demo):
    """A report loads only the incidents that can count in its periods (layers/facts.load
    ``counting_in``): every measure of the district and every street, in the period, 环比 and
    同比, equals the same from every incident."""
    from layers import facts as facts_module
    from layers.compare import compare
    from layers.incident_filter import IncidentFilter
    from layers.report_period import last_month

    today = dt.datetime.now(BEIJING).date()
    with demo.connect() as conn:
        everything = facts_module.load(conn)
        for period in (last_month(today), _days()):
            windows = [(p.since, p.until) for p in (period, period.previous(), period.last_year())]
            narrowed = facts_module.load(conn, counting_in=windows)
            assert len(narrowed.ids) < len(everything.ids), period
            full, part = (compare(conn, f, period, f=IncidentFilter()) for f in (everything, narrowed))
            assert _numbers(part) == _numbers(full) and full.kpis[0].value, period


def _numbers(c) -> list:
    """Every number of a comparison, floats rounded (sums of hours in another order may differ
    in their last bits)."""
    rows = [(r.value, r.previous, r.last_year) for r in c.kpis]
    rows += [(u.name, *(dataclasses.astuple(i) for i in (u.now, u.previous, u.last_year))) for u in c.units]
    return [_rounded(r) for r in rows]


def _rounded(v):
    if isinstance(v, float):
        return round(v, 6)
    return tuple(map(_rounded, v)) if isinstance(v, tuple) else v
