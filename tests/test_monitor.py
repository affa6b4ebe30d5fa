"""The wall screen's callbacks through Dash's own HTTP interface (Flask test client)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from dash import html as dhtml
from dash._utils import to_json

from dashboard.app import create_app
from dashboard.callback_request import PATH, callback_body
from dashboard.monitor import layout as L
from dashboard.monitor.callbacks import _PANELS as PANELS
from dashboard.monitor.callbacks import (
    View,
    changed_outputs,
    digests_of,
    flash_new_items,
    map_patch,
    mark_new,
    stored_marks,
)
from dashboard.monitor.figures import GRID, HEAT, NEW, grid_trace
from dashboard.monitor.views import WINDOWS, Controls, MonitorCache, monitor_data, unit_labels
from geo import sessions
from geo.vocabulary import Vocabulary
from layers import feeds
from layers.changes import change_token
from layers.drill import Drill, Outline
from layers.incident_filter import IncidentFilter
from layers.kpis import BEIJING
from tests.auth import client_for, kiosk_login
from tests.callbacks import call as _call
from tests.callbacks import monitor_update as update  # others import it from here too
from tests.callbacks import route
from tests.sql import all_rows, one


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


@pytest.fixture(scope="module")
def client(app, accounts):
    return client_for(app.server, accounts["admin"])


def _call_with_crumbs(client, outputs, inputs, state, changed):
    """The drill callback also listens to every breadcrumb button (a pattern-matching input)."""
    no_crumb_clicked: list = []
    return _call(client, outputs, [inputs[0], no_crumb_clicked, inputs[1]], state, changed)


def test_the_monitor_is_the_landing_page_in_chinese_or_english(client):
    page, size = route(client, "/")
    text = json.dumps(page, ensure_ascii=False)
    assert "网格治理态势" in text and "在办事件" in text and "超期预警" in text
    english, _ = route(client, "/monitor", "?lang=en")
    assert "Live Grid Monitor" in json.dumps(english) and "Open incidents" in json.dumps(english)
    assert size < 1_500_000
    kiosk, _ = route(client, "/monitor", "?kiosk=1")
    assert '"monitor kiosk"' in json.dumps(kiosk)
    missing, _ = route(client, "/nowhere")
    assert "404" in json.dumps(missing)


def test_drilling_to_a_street_filters_every_panel(client, demo):
    sid = one(demo, "SELECT id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")
    name = one(demo, "SELECT name FROM street WHERE id = :i", i=sid)
    response = update(client, drill={"level": "street", "id": sid}, view="district:None:heat:zh")
    assert response.status_code == 200, response.text
    out = response.get_json()["response"]
    assert name in json.dumps(out[L.CRUMBS]["children"], ensure_ascii=False)
    assert out[L.RANK_TITLE]["children"] == "社区/村排名"
    places, heading, departments = out[L.RANKING]["children"]["props"]["children"]  # the demo names 承办单位
    rows = places["props"]["children"]["props"]["children"][1]["props"]["children"]
    assert len(rows) == one(
        demo, "SELECT count(*) FROM community WHERE street_id = :i AND valid_to IS NULL", i=sid
    )
    assert heading["props"]["children"] == "承办单位排名"
    shown = departments["props"]["children"]["props"]["children"][1]["props"]["children"]
    assert len(shown) == one(
        demo,
        "SELECT count(DISTINCT department) FROM incident WHERE street_id = :i AND duplicate_of IS NULL "
        "AND department IS NOT NULL AND (closed_at IS NULL OR reported_at >= "
        "(date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') - interval '29 days') AT TIME ZONE 'Asia/Shanghai')",
        i=sid,
    )
    figure = out[L.MAP]["figure"]
    assert [t["name"] for t in figure["data"]] == ["grids", "heat", "units", "overdue", "new", "names"]
    names = figure["data"][-1]
    communities = all_rows(
        demo, "SELECT name FROM community WHERE street_id = :i AND valid_to IS NULL", i=sid
    )
    assert sorted(names["text"]) == sorted(html.escape(n) for (n,) in communities)
    inside = [  # each name at a point inside its own community
        one(demo, "SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) FROM community "
            "WHERE street_id = :i AND valid_to IS NULL AND name = :n", i=sid, x=x, y=y, n=html.unescape(t))
        for x, y, t in zip(names["lon"], names["lat"], names["text"], strict=True)
    ]  # fmt: skip
    assert all(inside) and names["mode"] == "text"
    assert out[L.VIEW]["data"] == f"street:{sid}:heat:zh"


def test_a_refresh_sends_only_what_changed_and_patches_the_map(client, demo):
    first = update(client, drill={"level": "district", "id": None}, view="x").get_json()["response"]
    hashes, view = first[L.HASHES]["data"], first[L.VIEW]["data"]
    again = update(client, drill={"level": "district", "id": None}, view=view, hashes=hashes)
    out = again.get_json()["response"]
    assert L.KPIS not in out and L.RANKING not in out and L.MAP not in out  # nothing changed: no_update
    assert len(again.data) < 5_000
    other = update(
        client, drill={"level": "district", "id": None}, view=view, hashes=hashes, cats=["property"]
    )
    patch = other.get_json()["response"][L.MAP]["figure"]
    assert patch["__dash_patch_update"] == "__dash_patch_update"  # same view: the map is patched
    assert len(other.data) < 300_000


def _traces(*, heat_z=(3, 1), heat_lon=(113.30, 113.31), grid_z=(5, 0), grids=("7", "8"), names=("七", "八")):  # fmt: skip
    shapes = {"type": "FeatureCollection", "features": [{"id": g} for g in grids]}
    traces = [
        {
            "z": list(grid_z),
            "customdata": [[0], [1]],
            "zmax": 5,
            "locations": list(grids),
            "text": list(names),
        },
        {"lon": list(heat_lon), "lat": [40.1, 40.11], "z": list(heat_z), "zmax": max(heat_z)},
        {"customdata": [1, 2]},
        {"lon": [], "lat": [], "customdata": []},
        {"lon": [], "lat": [], "customdata": []},
    ]
    traces[GRID]["geojson"] = shapes
    return traces


def _assigned(patch) -> set[tuple[int, str]]:
    return {(op["location"][1], op["location"][2]) for op in patch.to_plotly_json()["operations"]}


def test_a_map_patch_sends_where_cells_and_grids_are_only_when_they_moved():
    """Under a feed the heat's counts change at every refresh and its cells hardly ever: their
    places (most of a patch's bytes) go only when they moved, as the grids' shapes and names do."""
    held = digests_of({"map": _traces()})

    def patch(**changed):
        return _assigned(
            map_patch(_traces(**changed), digests=digests_of({"map": _traces(**changed)}), hashes=held)
        )

    assert patch() == set()
    assert patch(heat_z=(4, 1)) == {(HEAT, "z"), (HEAT, "zmax")}
    assert patch(heat_lon=(113.30, 113.32)) == {(HEAT, k) for k in ("z", "zmax", "lon", "lat")}
    assert patch(grid_z=(6, 0)) == {(GRID, k) for k in ("z", "customdata", "zmax")}
    moved = {(GRID, k) for k in ("z", "customdata", "zmax", "locations", "text", "geojson")}
    assert patch(grids=("7", "9")) == moved
    assert patch(names=("七", "九")) == moved  # a grid renamed (boundaries reloaded): its name goes


def test_a_views_outputs_are_converted_once_for_every_screen_shown_it(demo, settings):
    """Every screen shown a view is handed the same converted panels (what Dash sends for them,
    made once), the same map patch when it showed the same figures before, and the same panel
    with the same items flashing; a screen's own new-incident markers leave the shared patch
    as it was."""
    vocabulary = Vocabulary.from_file(settings.district_file)
    controls = Controls.parse(window=30, categories=[], sources=[], statuses=[], mode="rate", lang="zh", known_categories=vocabulary.categories)  # fmt: skip
    with demo.connect() as conn:
        data = monitor_data(conn, drill=Drill(), controls=controls, now=dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC), cache=MonitorCache(), vocabulary=vocabulary)  # fmt: skip
    view = View.of(data)
    first, second = (changed_outputs(view, hashes={}, same_view=True) for _ in range(2))
    panels = [k for k in PANELS if k != "map"]
    for key in panels:
        at = PANELS.index(key)
        assert first[at] is second[at] and to_json(first[at]) == to_json(view.content[key])
    older = {**view.digests, "map": "older", f"map{GRID}": "older"}
    patches = [changed_outputs(view, hashes=older, same_view=True)[PANELS.index("map")] for _ in range(2)]
    assert patches[0] is patches[1] and [op["location"] for op in patches[0]["operations"]] == [["data", GRID, k] for k in ("z", "customdata", "zmax")]  # fmt: skip
    forged = {**older, f"map{GRID}": "something else"}  # a screen's store is the browser's: no new entry
    assert changed_outputs(view, hashes=forged, same_view=True)[PANELS.index("map")] is patches[0]
    marked = mark_new(patches[0], [(113.3, 40.1, 1, 7)], marked_before=0)
    assert len(marked["operations"]) == 6 and len(patches[0]["operations"]) == 3
    shown = L.seen(data)
    assert shown["latest"], "the demo's view lists its latest incidents"
    before = {**shown, "latest": shown["latest"][1:]}  # the newest one not shown yet
    flashed = []
    for _ in range(2):
        outputs = changed_outputs(view, hashes=view.digests, same_view=True)
        assert flash_new_items(view, outputs, before)[1] == 1
        flashed.append(outputs[PANELS.index("latest")])
    assert flashed[0] is flashed[1] and to_json(flashed[0]) == to_json(L.latest_list(data, fresh={"latest": {shown["latest"][0]}, "alerts": set(), "due_soon": set()}))  # fmt: skip


def test_a_panels_digest_follows_its_content_not_its_objects():
    """Equal panels digest the same however their objects are shared (the feed items are kept
    and reused between lists); a changed text, class or number digests otherwise."""
    word = "环境卫生"

    def panel(cat, cls="feed", count=3):
        return [dhtml.Ul([dhtml.Li([dhtml.Span(cat), dhtml.Span(cat)]) for _ in range(count)], className=cls)]

    def content(**kw):
        trace = {"lon": np.array([113.3, 113.31]), "lat": [40.1, 40.09], "z": [1, 2], "locations": [7]}
        return {"latest": panel(**kw), "map": [trace]}

    shared = digests_of(content(cat=word))
    apart = digests_of(content(cat="".join(["环境", "卫生"])))  # an equal string, another object
    item = dhtml.Li([dhtml.Span(word), dhtml.Span(word)])
    reused = digests_of({**content(cat=word), "latest": [dhtml.Ul([item, item, item], className="feed")]})
    assert shared == apart == reused
    for other in (content(cat="市容"), content(cat=word, cls="feed x"), content(cat=word, count=2)):
        assert digests_of(other)["latest"] != shared["latest"]
    moved = content(cat=word)
    moved["map"][0]["lon"] = np.array([113.3, 113.32])
    assert digests_of(moved)["map0"] != shared["map0"] and digests_of(moved)["latest"] == shared["latest"]


def test_the_hotspot_layer_draws_only_significant_grids(client, demo):
    out = update(client, drill={"level": "district", "id": None}, mode="hotspot", view="").get_json()[
        "response"
    ]
    grids = out[L.MAP]["figure"]["data"][0]
    total = one(demo, "SELECT count(*) FROM grid WHERE valid_to IS NULL")
    assert grids["visible"] is True and 0 < len(grids["locations"]) < total / 5
    assert 3 not in _numbers(grids["z"])  # class 3 is "not significant"
    assert "99%" in json.dumps(out[L.LEGEND]["children"])


def _numbers(value):
    """A Plotly array, plain or base64-encoded."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def test_bad_input_changes_nothing(client):
    for drill in ({"level": "street", "id": "1; DROP TABLE incident"}, {"level": "planet", "id": 1}):
        assert update(client, drill=drill).status_code == 204
    assert (
        update(client, drill={"level": "district", "id": None}, window="'; --", cats=["<script>"]).status_code
        == 200
    )


DRILL_OUTPUTS = [(L.DRILL, "data"), (L.KIOSK, "data"), (L.KIOSK_STATUS, "children")]


def test_clicking_a_street_on_the_map_drills_down(client, demo):
    sid = one(demo, "SELECT id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")
    click = {"points": [{"curveNumber": 2, "location": str(sid)}]}
    outputs = DRILL_OUTPUTS
    inputs = [(L.MAP, "clickData", click), (L.KIOSK_TICK, "n_intervals", None)]
    state = [
        (L.DRILL, "data", {"level": "district", "id": None}),
        (L.KIOSK, "data", {"on": False}),
        (L.LANG, "data", "zh"),
    ]
    response = _call_with_crumbs(client, outputs, inputs, state, f"{L.MAP}.clickData")
    assert response.status_code == 200, response.text
    assert response.get_json()["response"][L.DRILL]["data"] == {"level": "street", "id": sid}


def test_clicking_an_overdue_incident_drills_towards_its_grid(client, demo):
    grid, street = all_rows(
        demo,
        "SELECT g.id, c.street_id FROM grid g JOIN community c ON c.id = g.community_id ORDER BY g.id LIMIT 1",
    )[0]
    click = {"points": [{"curveNumber": 3, "customdata": grid, "lon": 113.3, "lat": 40.1}]}
    inputs = [(L.MAP, "clickData", click), (L.KIOSK_TICK, "n_intervals", None)]
    state = [
        (L.DRILL, "data", {"level": "district", "id": None}),
        (L.KIOSK, "data", {"on": False}),
        (L.LANG, "data", "zh"),
    ]
    response = _call_with_crumbs(client, DRILL_OUTPUTS, inputs, state, f"{L.MAP}.clickData")
    assert response.status_code == 200, response.text
    assert response.get_json()["response"][L.DRILL]["data"] == {"level": "street", "id": street}


def test_map_traces_keep_clickable_data_as_plain_lists(client):
    """Dash leaves typed arrays out of clickData: what a click needs must stay a plain list."""
    out = update(client, drill={"level": "district", "id": None}, view="").get_json()["response"]
    overdue = out[L.MAP]["figure"]["data"][3]
    assert isinstance(overdue["customdata"], list) and overdue["customdata"]


def test_one_view_serves_every_screen_for_a_few_seconds_and_each_row_scope_its_own():
    cache, made = MonitorCache(), []

    def make():
        made.append(1)
        return len(made)

    assert [cache.shared(("all", "district"), make) for _ in range(3)] == [1, 1, 1]
    assert cache.shared(("streets:3", "district"), make) == 2  # a leader's scope never gets the district's
    cache.VIEW_SECONDS = 0.0  # once the view is older than that, it is made again
    assert cache.shared(("all", "district"), make) == 3


def test_after_a_change_a_wall_screen_gets_a_new_view_and_a_desk_the_held_one_a_little_longer():
    cache, made = MonitorCache(), []
    cache.SETTLE_SECONDS, cache.DESK_SETTLE_SECONDS = 0.0, 3600.0  # no clock in the test: 0 or never

    def make():
        made.append(1)
        return len(made)

    assert cache.shared("view", make, version="a") == 1
    assert cache.shared("view", make, version="b", wall=False) == 1  # a desk: the held view
    assert cache.shared("view", make, version="b") == 2  # a wall screen: made of the new counter
    assert cache.shared("view", make, version="c", wall=False) == 2
    cache.DESK_SETTLE_SECONDS = 0.0
    assert cache.shared("view", make, version="c", wall=False) == 3


def test_a_redraw_on_a_change_sends_nothing_while_the_view_is_the_one_the_screen_shows(client):
    """The poll asks for a redraw whenever the counter is not the one the screen's figures were
    made at; a desk's view follows it only every few seconds, and until then the redraw answers
    204 (nothing to send) instead of the same panels."""
    district = {"level": "district", "id": None}
    first = update(client, drill=district, view="").get_json()["response"]
    key, hashes, version = first[L.VIEW]["data"], first[L.HASHES]["data"], first[L.SHOWN]["data"]
    assert version
    same = update(client, drill=district, view=key, hashes=hashes, shown=version, changes=True)
    assert same.status_code == 204
    behind = update(client, drill=district, view=key, hashes=hashes, shown="an older counter", changes=True)
    assert behind.status_code == 200 and behind.get_json()["response"][L.SHOWN]["data"] == version
    refreshed = update(client, drill=district, view=key, hashes=hashes, shown=version)  # the slow refresh
    assert refreshed.status_code == 200


def test_views_for_other_windows_and_map_modes_share_the_parts_that_do_not_depend_on_them(demo, settings):
    """The tiles and alerts are the same for every window and map mode, the ranking, trend, departments
    and heat cells for every map mode: made once, and what they are made of equals a view made alone."""
    vocabulary = Vocabulary.from_file(settings.district_file)
    cache, made = MonitorCache(), Counter()

    def share(key, step, *, followed=False):
        def counted(previous):
            made[key[0]] += 1
            return step(previous)

        return cache.follow(key, counted, followed=followed)

    clock = dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)
    with demo.connect() as conn:
        for window, mode in itertools.product(WINDOWS, ("heat", "rate", "hotspot")):
            controls = Controls.parse(
                window=window, categories=[], sources=[], statuses=[], mode=mode, lang="zh",
                known_categories=vocabulary.categories,
            )  # fmt: skip
            args = dict(drill=Drill(), controls=controls, now=clock, cache=cache, vocabulary=vocabulary)
            shared, alone = monitor_data(conn, **args, share=share), monitor_data(conn, **args)
            assert (shared.tiles, shared.ranking, shared.daily.equals(alone.daily), shared.departments) == (
                alone.tiles,
                alone.ranking,
                True,
                alone.departments,
            )
            assert np.array_equal(shared.map.density.count, alone.map.density.count)
    assert made == {
        "tiles": 1,
        "alerts": 1,
        "ranking": 3,
        "daily": 3,
        "departments": 3,
        "heat": 3,
        "latest": 3,
    }


def test_feed_items_new_to_a_screen_flash_and_a_first_refresh_flashes_none(client):
    district = {"level": "district", "id": None}
    first = update(client, drill=district, view="district:None:heat:zh").get_json()["response"]
    seen = first[L.SEEN]["data"]
    assert seen["latest"] and L.FLASH not in first  # nothing recorded before: nothing is new
    assert "flash" not in json.dumps(first.get(L.LATEST, ""))
    older = {**seen, "latest": seen["latest"][1:]}  # as if the newest incident arrived since
    again = update(client, drill=district, view="district:None:heat:zh", seen=older).get_json()["response"]
    items = again[L.LATEST]["children"]["props"]["children"]
    assert [i["props"].get("className") for i in items][:2] == ["flash", None]
    assert again[L.FLASH]["data"]["n"] == 1
    assert "kpi-overdue flash" not in json.dumps(again.get(L.KPIS, ""))
    fewer = {
        **seen,
        "tiles": {**seen["tiles"], "overdue": seen["tiles"]["overdue"] - 1},
    }  # one more overdue now
    rose = update(client, drill=district, view="district:None:heat:zh", seen=fewer).get_json()["response"]
    classes = [t["props"]["className"] for t in rose[L.KPIS]["children"]]
    assert (
        "kpi kpi-overdue flash" in classes and "kpi kpi-open" in classes and rose[L.FLASH]["data"]["n"] == 1
    )
    other = {**older, "key": "another view"}  # other controls since: their items are not news
    third = update(client, drill=district, view="district:None:heat:zh", seen=other).get_json()["response"]
    assert L.FLASH not in third and "flash" not in json.dumps(third.get(L.LATEST, ""))


def _poll(client, shown, n=1, *, made=None):
    """The screen's poll: ``shown`` the change counter its figures were made at, ``made`` when
    (the screen's clock store; None: not yet)."""
    body = callback_body(
        [(L.CHANGES, "data")], [(L.POLL, "n_intervals", n)], [(L.SHOWN, "data", shown), (L.NOW, "data", made)],
        changed=f"{L.POLL}.n_intervals", single=True,
    )  # fmt: skip
    return client.post(PATH, json=body)


def test_the_change_counter_answers_only_when_the_screen_shows_another(client, demo):
    moved = _poll(client, "")
    assert moved.status_code == 200, moved.text
    answer = moved.get_json()["response"][L.CHANGES]["data"]
    with demo.connect() as conn:
        assert answer["token"] == change_token(conn)  # the admin sees the whole district
    assert _poll(client, answer["token"]).status_code == 204  # shown: no refresh follows
    again = _poll(client, "an older counter", n=2).get_json()["response"][L.CHANGES]["data"]
    assert again != answer and again["token"] == answer["token"]  # each poll behind triggers a refresh


def test_a_desk_made_figures_stand_until_they_settle_a_wall_screen_follows_at_once(
    app, client, demo, accounts
):
    """Behind the change counter, a desk (any account but a wall screen) whose figures were made
    less than DESK_SETTLE_SECONDS ago is not told to refresh (it would be handed the same held
    view: MonitorCache.shared); older figures are. A wall screen is told at once."""
    settle = dt.timedelta(seconds=MonitorCache.DESK_SETTLE_SECONDS)
    fresh, old = (dt.datetime.now(dt.UTC) - age for age in (settle / 5, settle * 2))
    assert _poll(client, "an older counter", made=fresh.isoformat()).status_code == 204
    assert _poll(client, "an older counter", made=old.isoformat()).status_code == 200
    assert _poll(client, "an older counter", made="not a time").status_code == 200
    wall = client_for(app.server)
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
    assert kiosk_login(wall, token).status_code == 303
    assert _poll(wall, "an older counter", made=fresh.isoformat()).status_code == 200


def test_unit_names_are_shortened_without_doubling_a_suffix(demo):
    """Committees' full names become what people say; a village whose name ends in 村 keeps one
    (the demo's division codes hold 47 such)."""
    from dashboard.monitor.i18n import short_name

    assert short_name("永安里社区居民委员会") == "永安里社区"
    assert short_name("东王庄村民委员会") == "东王庄村"
    assert short_name("李家村村民委员会") == "李家村"
    assert short_name("城关镇") == "城关镇"
    with demo.connect() as conn:
        names = conn.exec_driver_sql("SELECT name FROM community WHERE valid_to IS NULL").scalars().all()
    assert names and not [n for n in map(short_name, names) if n.endswith("村村")]


def test_under_a_status_filter_the_rates_are_withheld_not_shown_as_zero(demo):
    """超期 alone: every case open and late, so the on-time closure rate would read 0.0 %; the
    tiles withhold the rates and the handling time and still count (open = overdue here)."""
    from layers import kpis

    now = dt.datetime.now(dt.UTC)
    with demo.connect() as conn:
        facts = MonitorCache().facts(conn)
    every = {t.key: t for t in kpis.tiles(facts, Controls().incident_filter(Drill(), now), now=now)}
    late = Controls(statuses=("overdue",)).incident_filter(Drill(), now)
    tiles = {t.key: t for t in kpis.tiles(facts, late, now=now)}
    assert list(tiles) == list(every)
    assert every["on_time_closure"].value is not None and not every["on_time_closure"].withheld
    rates = [k for k in tiles if k not in ("open", "new_today", "overdue")]
    assert rates and all(tiles[k].withheld and tiles[k].value is None for k in rates)
    assert tiles["open"].value == tiles["overdue"].value == every["overdue"].value > 0
    shown = L.kpi_tiles(list(tiles.values()), "zh")
    assert [d.title for d in shown if d.title] == ["按状态筛选时不计算比率和时长"] * len(rates)


def test_the_kiosk_tours_every_street_then_the_district_and_names_the_next_stop(client, demo):
    from dashboard.monitor.i18n import short_name

    district = one(demo, "SELECT name FROM district WHERE valid_to IS NULL")
    streets = all_rows(demo, "SELECT id, name FROM street WHERE valid_to IS NULL ORDER BY code")

    def tick(i: int) -> dict:
        inputs = [(L.MAP, "clickData", None), (L.KIOSK_TICK, "n_intervals", 1)]
        state = [(L.DRILL, "data", None), (L.KIOSK, "data", {"on": True, "i": i}), (L.LANG, "data", "zh")]
        response = _call_with_crumbs(client, DRILL_OUTPUTS, inputs, state, f"{L.KIOSK_TICK}.n_intervals")
        assert response.status_code == 200, response.text
        return response.get_json()["response"]

    first = tick(-1)
    assert first[L.DRILL]["data"] == {"level": "street", "id": streets[0][0]}
    names = (short_name(streets[0][1]), short_name(streets[1][1]))
    assert first[L.KIOSK_STATUS]["children"] == "轮播 · 当前 {} · 下一个 {}".format(*names)
    last = tick(len(streets) - 2)
    assert last[L.DRILL]["data"] == {"level": "street", "id": streets[-1][0]}
    assert last[L.KIOSK_STATUS]["children"].endswith(f"下一个 {short_name(district)}")
    back = tick(len(streets) - 1)
    assert back[L.DRILL]["data"] == {"level": "district", "id": None} and back[L.KIOSK]["data"]["i"] == -1
    assert back[L.KIOSK_STATUS]["children"].endswith(f"下一个 {short_name(streets[0][1])}")


def test_overdue_points_from_the_held_incidents_are_the_querys(demo):
    """The map's overdue markers come from the facts the server holds: the same incidents in the
    same order (longest overdue first, ties by id) as the query, coordinates to about a metre."""
    cache = MonitorCache()
    with demo.connect() as conn:
        facts = cache.facts(conn)
        clock = conn.execute(  # half the open incidents with a deadline are past it
            sa.text(
                "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY deadline_at) FROM incident WHERE closed_at IS NULL"
            )
        ).scalar_one()
        street = conn.execute(sa.text("SELECT min(street_id) FROM incident")).scalar_one()
        for f, limit in [
            (IncidentFilter(now=clock), 800),
            (IncidentFilter(now=clock, drill=Drill("street", street)), 15),
            (IncidentFilter(now=clock, categories=tuple(facts.categories[:2])), 3),
        ]:
            queried = feeds.overdue_points(conn, f, limit=limit)
            held = feeds.held_overdue_points(facts, f, limit=limit)
            assert len(held) == len(queried) > 0
            assert [(c, g) for _, _, c, g in held] == [(c, g) for _, _, c, g in queried]
            assert np.allclose([p[:2] for p in held], [p[:2] for p in queried], atol=1e-5)


def test_alert_and_latest_lists_from_the_held_incidents_are_the_querys(demo):
    """The 超期, 临期 and latest lists pick their incidents from the held facts and read those rows
    by id: the same rows in the same order as the queries, ties at the cut included (made here:
    six newest reports at one instant, the six longest overdue due at one instant), for several
    filters."""
    with demo.connect() as conn, conn.begin() as tx:
        newest = conn.execute(sa.text("SELECT max(reported_at) FROM incident")).scalar_one()
        conn.execute(
            sa.text("UPDATE incident SET reported_at = :t WHERE id IN (SELECT id FROM incident ORDER BY id DESC LIMIT 6)"),
            {"t": newest},
        )  # fmt: skip
        clock = conn.execute(
            sa.text("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY deadline_at) FROM incident WHERE closed_at IS NULL")
        ).scalar_one()  # fmt: skip
        conn.execute(
            sa.text(
                "UPDATE incident SET deadline_at = :t WHERE id IN (SELECT id FROM incident WHERE closed_at IS NULL "
                "AND suspended_at IS NULL AND duplicate_of IS NULL AND deadline_at < :t ORDER BY deadline_at LIMIT 6)"
            ),
            {"t": clock - dt.timedelta(days=3650)},  # the longest overdue, all at once
        )
        facts = MonitorCache().facts(conn)
        street = conn.execute(sa.text("SELECT min(street_id) FROM incident")).scalar_one()
        until = clock + dt.timedelta(days=2)
        for f, limit in [
            (IncidentFilter(now=clock, since=clock - dt.timedelta(days=3650)), 3),
            (IncidentFilter(now=clock, since=clock - dt.timedelta(days=30), until=clock), 12),
            (IncidentFilter(now=clock, drill=Drill("street", street)), 15),
            (IncidentFilter(now=clock, categories=tuple(facts.categories[:2]), statuses=("open",)), 4),
        ]:
            for queried, at in [
                (feeds.latest(conn, f, limit=limit), feeds.held_latest(facts, f, limit=limit)),
                (feeds.overdue(conn, f, limit=limit), feeds.held_overdue(facts, f, limit=limit)),
                (feeds.due_soon(conn, f, until=until, limit=limit), feeds.held_due_soon(facts, f, until=until, limit=limit)),
            ]:  # fmt: skip
                assert feeds.rows_of(conn, facts.ids[at].tolist()) == queried and queried
        tx.rollback()


def _patched(answer, index):
    """The values a Dash patch of the map figure assigns to trace ``index``'s properties."""
    ops = answer[L.MAP]["figure"]["operations"]
    return {op["location"][2]: op["params"]["value"] for op in ops if op["location"][:2] == ["data", index]}


def test_incidents_new_to_a_screen_are_marked_on_its_map_for_a_while(client, demo):
    """A screen records the newest incident id it was shown; at its next refresh the incidents
    above it that the view counts (SQL written here) are marked on its map, and stay marked at
    later refreshes until their time runs out (then the marks are taken away). A first refresh
    marks nothing; a mark the browser's store holds in a wrong shape is ignored."""
    district, view = {"level": "district", "id": None}, "district:None:heat:zh"
    first = update(client, drill=district, view=view).get_json()["response"]
    seen = first[L.SEEN]["data"]
    assert seen["marks"] == [] and seen["last_id"] == one(demo, "SELECT max(id) FROM incident WHERE duplicate_of IS NULL")  # fmt: skip
    clock = dt.datetime.fromisoformat(first[L.NOW]["data"])
    since = (clock.astimezone(BEIJING) - dt.timedelta(days=29)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    counted = "duplicate_of IS NULL AND reported_at >= :since AND reported_at < :now"
    cut = one(demo, f"SELECT id FROM incident WHERE {counted} ORDER BY id DESC OFFSET 5 LIMIT 1", since=since, now=clock)  # fmt: skip
    expected = all_rows(demo, f"SELECT id, ST_X(geom), ST_Y(geom) FROM incident WHERE {counted} AND id > :cut ORDER BY id", since=since, now=clock, cut=cut)  # fmt: skip
    junk = [["x", 1], [1], [2, float("inf")]]
    again = update(client, drill=district, view=view, seen={**seen, "last_id": cut, "marks": junk}).get_json()["response"]  # fmt: skip
    marks, points = again[L.SEEN]["data"]["marks"], _patched(again, NEW)
    assert len(expected) == 5 and [m[0] for m in marks] == [r[0] for r in expected]
    assert np.allclose(
        list(zip(points["lon"], points["lat"], strict=True)), [r[1:] for r in expected], atol=1e-5
    )
    held = update(client, drill=district, view=view, seen=again[L.SEEN]["data"]).get_json()["response"]
    assert held[L.SEEN]["data"]["marks"] == marks and _patched(held, NEW)["lon"] == points["lon"]
    ran_out = {**again[L.SEEN]["data"], "marks": [[i, 0.0] for i, _ in marks]}
    later = update(client, drill=district, view=view, seen=ran_out).get_json()["response"]
    assert (
        _patched(later, NEW) == {"lon": [], "lat": [], "customdata": []}
        and later[L.SEEN]["data"]["marks"] == []
    )


def test_a_screens_stored_marks_keep_only_pairs_of_numbers():
    """What the browser's store holds is read as ``[id, until]`` pairs of finite numbers under
    2**53; booleans, text, other shapes, infinities and numbers beyond 2**53 are left out, and
    the good pairs beside them kept, in order."""
    good = [[1, 2.5], [10, 20]]
    junk = [[True, 3.0], ["4", 5.0], [6], [7, 8, 9], [2**60, 1.0], [2**2000, 1.0], [3, float("inf")],
            [float("nan"), 1.0], {"a": 1}, None, "x", [[1], 2], [1.5, None]]  # fmt: skip
    assert stored_marks({"marks": [junk[0], good[0], *junk[1:], good[1]]}) == [[1, 2.5], [10, 20.0]]
    assert stored_marks({"marks": junk}) == [] and stored_marks({"marks": "x"}) == []
    assert (
        stored_marks({}) == [] and stored_marks(None) == [] and stored_marks({"marks": [[2**2000, 1]]}) == []
    )
    assert stored_marks({"marks": [[3.9, 7]]}) == [[3, 7.0]]  # an id as the store holds it, whole


def test_the_newest_incidents_a_view_counts_are_found_from_the_end(demo):
    """``held_recent`` looks for a view's newest incidents in growing stretches from the end of
    the held arrays: the same ids (and places) as SQL's newest, for filters that find them at
    once and for one so narrow that it must look through nearly everything."""
    cache = MonitorCache()
    with demo.connect() as conn:
        facts = cache.facts(conn)
        clock = conn.execute(sa.text("SELECT max(reported_at) FROM incident")).scalar_one()
        rare = conn.execute(sa.text("SELECT category FROM incident WHERE duplicate_of IS NULL GROUP BY 1 ORDER BY count(*), 1 LIMIT 1")).scalar_one()  # fmt: skip
        street = conn.execute(sa.text("SELECT min(street_id) FROM incident")).scalar_one()
    for f, where in [
        (IncidentFilter(now=clock), ""),
        (IncidentFilter(now=clock, drill=Drill("street", street)), f"AND street_id = {street}"),
        (IncidentFilter(now=clock, categories=(rare,)), f"AND category = '{rare}'"),
    ]:
        recent = feeds.held_recent(facts, f, limit=7)
        rows = all_rows(demo, f"SELECT id, ST_X(geom), ST_Y(geom) FROM (SELECT * FROM incident WHERE duplicate_of IS NULL {where} ORDER BY id DESC LIMIT 7) s ORDER BY id")  # fmt: skip
        assert recent.ids.tolist() == [r[0] for r in rows] and recent.newest == int(facts.ids[-1])
        assert np.allclose([p[:2] for p in recent.points], [r[1:] for r in rows], atol=1e-5)
        assert recent.where([rows[-1][0], -5]) == recent.points[-1:]


@pytest.mark.parametrize("mode", ["heat", "rate"])
def test_each_map_mode_explains_its_colours_from_few_to_many(client, mode):
    """The legend shows the mode's colour ramp from few to many (with the pulsing markers'
    meaning, the overdue dot in the map's colour: red over the heat layer, white over grids);
    in rate mode the grids run from pale (few) to dark red (many) — plotly.js's own
    "YlOrRd" runs the other way — under a titled colour bar."""
    out = update(client, drill={"level": "district", "id": None}, mode=mode, view="").get_json()["response"]
    legend = json.dumps(out[L.LEGEND]["children"], ensure_ascii=False)
    assert (
        "ramp-bar" in legend and "少" in legend and "多" in legend and "新事件" in legend and "超期" in legend
    )
    overdue = out[L.MAP]["figure"]["data"][3]["marker"]["color"]
    assert f"background: {overdue}" in legend.replace('"background": "', "background: ")  # the same dot
    assert (overdue == "#ff3b3b") == (mode == "heat")  # over grid colours not a hotspot class's red
    if mode == "rate":
        grids = out[L.MAP]["figure"]["data"][0]
        scale = grids["colorscale"]
        assert scale[0] == [0.0, "rgb(255,255,204)"] and scale[-1] == [1.0, "rgb(128,0,38)"]
        assert grids["colorbar"]["title"]["text"] == "每千人"


def test_grids_are_named_by_number_and_worker_and_hover_text_is_escaped(client, demo):
    """At a community, the ranking names each grid by its number in the community (the last 3
    digits of a 15-digit code) and its worker, as SQL written here says; a code of another
    scheme is shown whole. Hover text from the data is escaped (Plotly reads a few tags in it)."""
    community, = one(demo, "SELECT community_id FROM grid WHERE valid_to IS NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),  # fmt: skip
    out = update(client, drill={"level": "community", "id": community}, view="").get_json()["response"]
    shown = json.dumps(out[L.RANKING]["children"], ensure_ascii=False)
    for code, worker in all_rows(demo, "SELECT code, worker_name FROM grid WHERE valid_to IS NULL AND community_id = :c", c=community):  # fmt: skip
        assert len(code) == 15 and (f"{code[-3:]} · {worker}" if worker else code[-3:]) in shown
    outline = Outline(7, "G-7", "<b>7</b> · 李<i>", {"type": "Point", "coordinates": [0, 0]})
    assert unit_labels([outline], {7: 3}) == ["&lt;b&gt;7&lt;/b&gt; · 李&lt;i&gt; · 3"]
    grids = grid_trace([outline], pd.DataFrame({"n": [3], "rate": [1.5], "cluster": [""]}, index=[7]), mode="rate", lang="zh")  # fmt: skip
    assert grids["text"] == ["&lt;b&gt;7&lt;/b&gt; · 李&lt;i&gt;"] and grids["customdata"] == [[3, 1.5]]


def test_the_hotspot_legend_says_so_when_no_grid_is_significant(client, demo):
    """In hotspot mode a view whose grids are none significant says so in its legend (a blank
    map is not "no problem found" by accident), and a view with significant grids does not."""
    said = set()
    for sid in [
        None,
        *[r[0] for r in all_rows(demo, "SELECT id FROM street WHERE valid_to IS NULL ORDER BY code")],
    ]:
        drill = {"level": "district", "id": None} if sid is None else {"level": "street", "id": sid}
        out = update(client, drill=drill, mode="hotspot", view="").get_json()["response"]
        drawn = len(out[L.MAP]["figure"]["data"][0]["locations"])
        noted = "无显著热点或冷点" in json.dumps(out[L.LEGEND]["children"], ensure_ascii=False)
        assert noted == (drawn == 0), (sid, drawn)
        said.add(noted)
    assert said == {True, False}  # the demo has both kinds of view
