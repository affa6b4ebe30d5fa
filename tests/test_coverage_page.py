"""The coverage page's own logic (issue #20): the unit switch converts the number, a suggestion
(or all of them) is applied as a what-if, suggestions are named by address and community, the
threshold is said in the page's unit; and through the real app (demo database) the Excel export
with its title block, and the apply buttons; the units without a point of their own on the map
and in the HTML export (#18), their names escaped."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
from dataclasses import replace
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from dash.exceptions import PreventUpdate
from openpyxl import load_workbook
from plotly.utils import PlotlyJSONEncoder

from dashboard.app import create_app
from dashboard.callback_request import PATH, callback_body
from dashboard.coverage import layout as L
from dashboard.coverage.callbacks import circle_value, converted, with_sites
from dashboard.coverage.figures import WITHOUT, WITHOUT_COLOUR, coverage_figure
from dashboard.coverage.views import CoverageCache, WhatIf, coverage_view
from geo.service_types import LEVELS
from layers.buildings import building_labels
from layers.coverage import Demand, coverage, life_circle, walk_words
from layers.coverage_export import LEVEL_ZH, MISSING_HEADERS, UNIT_HEADERS, WITHOUT_LOOK, coverage_html
from layers.escaping import html_text
from layers.export_heading import Heading
from layers.hover import esc
from layers.network import Network
from layers.offline_map import VENDOR
from layers.service_points import points_of, units_without, unowned_outlines
from tests.auth import client_for, ensure_account
from tests.callbacks import callback_request, page_values
from tests.databases import fresh_database
from tests.sql import all_rows, one

ON = dt.date(2026, 12, 1)  # the demo's points carry no dates: any day


def test_the_unit_switch_converts_the_number():
    assert converted(1000, unit="min") == 12.5 and converted(15, unit="m") == 1200
    for junk in ((None, "m"), ("1000", "min"), (True, "m"), (1000, "km")):
        with pytest.raises(PreventUpdate):
            converted(junk[0], unit=junk[1])
    assert walk_words(1200, unit="min") == "步行 15 分钟（1,200 米）"
    assert walk_words(1000) == "步行 1,000 米（约 12 分钟）"


def test_the_life_circles_of_gb_50180_are_offered_and_named():
    """GB 50180-2018 表 3.0.4: the 5-, 10- and 15-minute life circles lie within 300 m, 500 m and
    800–1,000 m; a button sets its distance in the page's unit; the summary names the circle a
    threshold is (and none for 1,200 m, the old "15 minutes" at 80 m a minute)."""
    assert [life_circle(m) and life_circle(m).minutes for m in (300, 500, 800, 900, 1000, 1200, 400)] == [5, 10, 15, 15, 15, None, None]  # fmt: skip
    assert circle_value({"type": L.CIRCLE, "m": 500.0}, 1, unit="m") == 500
    assert circle_value({"type": L.CIRCLE, "m": 1000.0}, 2, unit="min") == 12.5
    for trigger, clicks in (({"type": L.CIRCLE, "m": 999}, 1), ({"type": L.CIRCLE, "m": [500]}, 1), ({"type": L.CIRCLE, "m": 500.0}, 0), ("x", 1), (None, None)):  # fmt: skip
        with pytest.raises(PreventUpdate):
            circle_value(trigger, clicks, unit="m")
    villages = pd.DataFrame({"village": [False, True], "residents": [900, 100], "share": [0.5, 0.2]})

    def said(metres):
        shown = L.kpis(0.5, None, villages, along_network=True, metres=metres).to_plotly_json()
        return json.dumps(shown, default=lambda c: c.to_plotly_json(), ensure_ascii=False)

    assert "GB 50180-2018 十五分钟生活圈" in said(1000) and "15-minute life circle" in said(1000)
    assert "五分钟生活圈" in said(300) and "生活圈" not in said(1200)
    buttons = json.dumps(L.circle_buttons().to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False)  # fmt: skip
    assert all(
        t in buttons
        for t in ("五分钟生活圈", "300 m", "十分钟生活圈", "500 m", "十五分钟生活圈", "800–1,000 m")
    )


def test_applied_sites_join_the_what_if_once_and_within_the_limit():
    what_if = WhatIf(((113.3, 40.1),), frozenset({4}))
    out = with_sites(what_if, [(113.3, 40.1), (113.31, 40.11), (113.32, 40.12)], limit=2)
    assert out == {"added": [[113.3, 40.1], [113.31, 40.11]], "removed": [4]}


def test_building_suggestions_are_named_by_address_and_community(demo):
    bid, address, community = all_rows(
        demo, "SELECT b.id, b.address, c.name FROM building b JOIN community c ON c.id = b.community_id ORDER BY b.id LIMIT 1"
    )[0]  # fmt: skip
    with demo.connect() as conn:
        assert building_labels(conn, [bid, -1]) == [f"{address} · {community}", "楼栋 -1"]


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _post(app, client, values, prefix, overrides, *, changed=None):
    key = next(k for k in app.callback_map if k.startswith(prefix))
    response = client.post(
        PATH, json=callback_request(key, app.callback_map[key], values, overrides, changed=changed)
    )
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_json()["response"] if response.status_code == 200 else None


def test_apply_one_suggestion_or_all_and_the_titled_export(app, accounts):
    planner = client_for(app.server, accounts["planner"])
    values = page_values(planner, "/coverage")
    rows = [[113.30, 40.09, "甲 · 东社区", 120.0], [113.31, 40.08, "乙 · 西社区", 80.0]]
    base = {(L.SUGGESTED, "data"): rows, (L.WHATIF, "data"): {"added": [], "removed": []}}
    key = next(k for k in app.callback_map if k.startswith(f"{L.WHATIF}.data@"))
    spec = app.callback_map[key]
    body = callback_request(key, spec, values, base, changed=f"{L.APPLY_ALL}.n_clicks")
    body["inputs"][0] = [
        {"id": {"type": L.APPLY, "n": i}, "property": "n_clicks", "value": 0} for i in range(2)
    ]
    applied = planner.post(PATH, json=body).get_json()["response"][L.WHATIF]["data"]
    assert applied == {"added": [r[:2] for r in rows], "removed": []}
    body["inputs"][0][1]["value"] = 1  # the second row's button
    body["changedPropIds"] = [json.dumps({"n": 1, "type": L.APPLY}, separators=(",", ":")) + ".n_clicks"]
    one = planner.post(PATH, json=body).get_json()["response"][L.WHATIF]["data"]
    assert one == {"added": [rows[1][:2]], "removed": []}
    shown = {
        **base,
        (L.VALUE, "value"): 15,
        (L.UNIT, "value"): "min",
        (L.TYPE, "value"): values[(L.TYPE, "value")],
    }
    download = _post(app, planner, values, L.DOWNLOAD, shown, changed=f"{L.EXPORT_XLSX}.n_clicks")[
        L.DOWNLOAD
    ]["data"]
    assert download["filename"].startswith("服务覆盖-") and download["filename"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    cells = list(book["街道"].values)
    assert (
        "全区" in cells[1][0]
        and accounts["planner"][0] in cells[3][0]
        and "步行 15 分钟（1,200 米）" in cells[4][0]
    )
    assert UNIT_HEADERS in cells and [r[1] for r in book["建议点位"].values][-2:] == [rows[0][2], rows[1][2]]
    assert values[(L.TYPE, "value")] == "employment"  # every unit should have one, and has:
    assert list(book["无本级服务点"].values)[-1] == MISSING_HEADERS  # the headers, no unit under them
    mapped = _post(app, planner, values, L.DOWNLOAD, shown, changed=f"{L.EXPORT_HTML}.n_clicks")[L.DOWNLOAD][
        "data"
    ]
    page = mapped["content"] if not mapped.get("base64") else base64.b64decode(mapped["content"]).decode()
    assert mapped["filename"].endswith(".html") and "服务覆盖 " in page
    # the district's main roads under the map (arterials and streets; lanes and paths left out)
    assert (
        page.index("geo_json_") < page.index("circle_marker_") and "#b8c3d1" in page and "#dde2e8" not in page
    )


def test_the_units_without_a_point_of_their_own_equal_sql(demo):
    """Seed 004's measure per type: each street needs a street-level point inside it, each
    community or village one of its own level inside it; the demo's employment points cover every
    unit, its 新时代文明实践站 only some (SQL written here, as the set difference)."""
    with demo.connect() as conn:
        assert units_without(conn, "employment", levels=LEVELS, on=ON).empty
        missing = units_without(conn, "civilisation", levels=LEVELS, on=ON)
        streets_only = units_without(conn, "civilisation", levels=("street",), on=ON)
        nothing = units_without(conn, "civilisation", levels=(), on=ON)
    expected = set(
        all_rows(
            demo,
            """
        SELECT kind, id FROM community WHERE valid_to IS NULL
        EXCEPT SELECT c.kind, c.id FROM community c JOIN service_point p ON p.community_id = c.id
               AND p.kind = 'civilisation' AND p.level IN ('community', 'village')""",
        )
    )
    assert 0 < len(expected) < 202 and set(zip(missing.level, missing.id, strict=True)) == expected
    assert streets_only.empty and nothing.empty  # the demo has a 文明实践所 in every street
    assert list(missing.columns) == ["level", "id", "name", "street"] and missing.name.notna().all()
    page = json.dumps(L.without_table(missing, levels=LEVELS).to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False)  # fmt: skip
    assert f"没有本级服务点的单位（应每个街道、社区、村一处）：{len(expected)}" in page
    assert L.without_table(missing, levels=()) is None


def test_coverage_of_the_demo_stands_when_every_building_moves_a_millimetre(demo):
    """On the demo's street lattice most buildings are as near to two segments; moving them all
    by a millimetre (each way) changes no building's coverage at 300, 500 or 1,000 m."""
    with demo.connect() as conn:
        network, demand = Network.load(conn), Demand.load(conn)
        points = points_of(conn, "civilisation", on=ON)[["lon", "lat"]].to_numpy(float)
    for metres in (300, 500, 1000):
        base = coverage(network, demand, points, max_walk_m=metres).covered
        assert 0 < base.sum() < len(base)
        for dx, dy in ((0.001, 0), (0, 0.001), (-0.001, -0.001)):
            moved = replace(demand, xy=demand.xy + np.array([dx, dy]))
            assert (coverage(network, moved, points, max_walk_m=metres).covered == base).all(), (
                metres,
                dx,
                dy,
            )


# --- the units without a point of their own on the map and in the HTML export (issue #18) ---

EVIL = '<img src=x onerror=alert(1)>"`${alert(2)}'
LOCAL_HOSTS = ("localhost", "127.0.0.1")
DASHED = f'"dashArray": "{WITHOUT_LOOK["dashArray"]}"'  # the style of each unit's outline in the HTML export
# seed 004's measure, written here: current streets without a street-level point of the kind,
# current communities and villages without one of their level (the demo's points carry no dates)
WITHOUT_SQL = """
SELECT 'street', s.id FROM street s WHERE s.valid_to IS NULL
EXCEPT SELECT 'street', p.street_id FROM service_point p WHERE p.kind = :k AND p.level = 'street'
UNION ALL (
SELECT c.kind, c.id FROM community c WHERE c.valid_to IS NULL
EXCEPT SELECT c.kind, c.id FROM community c JOIN service_point p ON p.community_id = c.id
       AND p.kind = :k AND p.level IN ('community', 'village'))"""
BOXES_SQL = """
SELECT 'street', id, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM street WHERE valid_to IS NULL
UNION ALL
SELECT kind, id, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM community WHERE valid_to IS NULL"""
INSIDE_SQL = """
SELECT count(*) FROM unnest(CAST(:ids AS bigint[]), CAST(:xs AS float8[]), CAST(:ys AS float8[])) AS u(id, x, y)
JOIN community c ON c.id = u.id WHERE ST_Covers(c.geom, ST_SetSRID(ST_MakePoint(u.x, u.y), 4326))"""


def _coverage_map(client, kind):
    """The coverage page's map for ``kind`` at 1,000 m as of ON, as the browser asks for it."""
    inputs = [(L.TYPE, "value", kind), (L.VALUE, "value", 1000), (L.UNIT, "value", "m"),
              (L.WHATIF, "data", {"added": [], "removed": []}), (L.SUGGESTED, "data", None), (L.ON, "date", ON.isoformat())]  # fmt: skip
    outputs = [(L.KPIS, "children"), (L.MAP, "figure"), (L.WORST, "children"), (L.STREETS, "children"), (L.MESSAGE, "children")]  # fmt: skip
    response = client.post(PATH, json=callback_body(outputs, inputs, changed=f"{L.TYPE}.value"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"][L.MAP]["figure"]


def _without(figure):
    """The trace of the units without a point of their own and the map's two layers of them."""
    (trace,) = [t for t in figure["data"] if t["name"] == WITHOUT]
    layers = {layer["name"]: layer for layer in figure["layout"]["map"]["layers"]}
    return trace, layers["units-without-fill"], layers["units-without-outline"]


def _coordinates(geometry):
    """Every (lon, lat) of a GeoJSON Polygon or MultiPolygon."""
    rings = (
        geometry["coordinates"]
        if geometry["type"] == "Polygon"
        else [r for p in geometry["coordinates"] for r in p]
    )
    return [xy for ring in rings for xy in ring]


def _html_page(download):
    data = download[L.DOWNLOAD]["data"]
    return data["content"] if not data.get("base64") else base64.b64decode(data["content"]).decode()


def test_the_map_outlines_the_units_without_a_point_of_their_own(app, accounts, demo):
    """On the demo, 新时代文明实践: the map's trace holds exactly the units SQL finds without a
    point of their own, a dot inside each (hover: name and level), and two layers outline them
    (a tint under the traces, a dashed line over them) where the units are; employment leaves
    none, the layers stay but are hidden and empty. The legend names them in both languages."""
    planner = client_for(app.server, accounts["planner"])
    trace, fill, outline = _without(_coverage_map(planner, "civilisation"))
    expected = {(level, int(i)) for level, i in all_rows(demo, WITHOUT_SQL, k="civilisation")}
    shown = [(level, int(i)) for level, i in trace["customdata"]]
    assert 0 < len(shown) < 202 and len(set(shown)) == len(shown) and set(shown) == expected
    assert all(level != "street" for level, _ in shown)  # the demo has a 文明实践所 in every street
    with demo.connect() as conn:
        listed = units_without(conn, "civilisation", levels=LEVELS, on=ON)
    assert shown == list(zip(listed.level, listed.id.astype(int), strict=True))  # in the table's order
    names = dict(zip(listed.id.astype(int), listed.name, strict=True))
    words = {"community": "社区 community", "village": "村 village"}
    assert trace["hovertext"] == [f"{esc(names[i])}<br>{words[lv]} · 无本级服务点 no point of its own" for lv, i in shown]  # fmt: skip
    ids = [i for _, i in shown]
    assert one(demo, INSIDE_SQL, ids=ids, xs=trace["lon"], ys=trace["lat"]) == len(
        ids
    )  # each dot inside its unit
    assert fill["source"] == outline["source"] and fill["visible"] and outline["visible"]
    assert fill["type"] == "fill" and fill["below"] == "traces" and outline["type"] == "line"
    assert outline["line"]["dash"] and outline["color"] == WITHOUT_COLOUR == fill["color"]
    features = outline["source"]["features"]
    assert [(f["properties"]["level"], f["properties"]["id"]) for f in features] == shown
    boxes = {(level, int(i)): box for level, i, *box in all_rows(demo, BOXES_SQL)}
    slack = 2e-5  # the outline is simplified (its vertices are the unit's) and written to 5 decimals
    for feature in features:
        west, south, east, north = boxes[(feature["properties"]["level"], feature["properties"]["id"])]
        points = np.array(_coordinates(feature["geometry"]))
        assert len(points) >= 4
        assert (points[:, 0] >= west - slack).all() and (points[:, 0] <= east + slack).all()
        assert (points[:, 1] >= south - slack).all() and (points[:, 1] <= north + slack).all()

    trace, fill, outline = _without(_coverage_map(planner, "employment"))  # every unit has its own
    assert trace["customdata"] == [] and trace["lon"] == [] and trace["hovertext"] == []
    assert outline["source"]["features"] == [] and not outline["visible"] and not fill["visible"]

    legend = json.dumps(L.legend().to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    assert "无本级服务点的单位" in legend and "units without a point of their own" in legend
    assert (WITHOUT_COLOUR, "outline") in {(colour, shape) for colour, shape, _ in L.LEGEND}


def test_the_html_export_outlines_the_units_without_a_point_of_their_own(app, accounts, demo):
    """The offline map of 新时代文明实践 outlines each unit without a point of its own (dashed,
    tinted, its name on hover) and its legend says so; employment's outlines none."""
    planner = client_for(app.server, accounts["planner"])
    values = page_values(planner, "/coverage")
    chosen = {(L.TYPE, "value"): "civilisation", (L.ON, "date"): ON.isoformat(), (L.SUGGESTED, "data"): [],
              (L.WHATIF, "data"): {"added": [], "removed": []}}  # fmt: skip
    page = _html_page(_post(app, planner, values, L.DOWNLOAD, chosen, changed=f"{L.EXPORT_HTML}.n_clicks"))
    expected = all_rows(demo, WITHOUT_SQL, k="civilisation")
    assert page.count(DASHED) == len(expected) > 0
    assert "无本级服务点的单位 units without a point of their own" in page
    with demo.connect() as conn:
        listed = units_without(conn, "civilisation", levels=LEVELS, on=ON)
    for name, level in zip(listed.name, listed.level, strict=True):
        assert f"{html_text(name)}<br>{LEVEL_ZH[level]} {level} · 无本级服务点" in page
    chosen[(L.TYPE, "value")] = "employment"
    page = _html_page(_post(app, planner, values, L.DOWNLOAD, chosen, changed=f"{L.EXPORT_HTML}.n_clicks"))
    assert DASHED not in page and "无本级服务点的单位 units without a point of their own" in page


def _evil_names(cluster, small_district):
    """The small district (boundaries only, no service points: every unit lacks its own) with a
    village named by an HTML and JavaScript payload."""
    with fresh_database(cluster, template=small_district) as engine:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE community SET name = :n WHERE name = '东坝村'"), {"n": EVIL})
        yield engine


evil_names = pytest.fixture(scope="module")(_evil_names)
evil_copy = pytest.fixture(_evil_names)  # a test's own, to change


def test_a_types_map_and_tables_are_drawn_once_per_view_and_anew_when_its_points_change(settings, evil_copy):
    """Two planners asking for the same type and threshold get the same map and tables (drawn
    once and kept with the view); a point added for that type shows at the next ask, and a
    suggested site only on the map of the planner who has it."""
    app = create_app(settings, evil_copy)
    first, second = (client_for(app.server, ensure_account(evil_copy, n, "planner")) for n in ("p1", "p2"))

    def ask(client, suggested=None):
        inputs = [(L.TYPE, "value", "civilisation"), (L.VALUE, "value", 1000), (L.UNIT, "value", "m"),
                  (L.WHATIF, "data", {"added": [], "removed": []}), (L.SUGGESTED, "data", suggested),
                  (L.ON, "date", ON.isoformat())]  # fmt: skip
        outputs = [(L.KPIS, "children"), (L.MAP, "figure"), (L.WORST, "children"), (L.STREETS, "children"), (L.MESSAGE, "children")]  # fmt: skip
        response = client.post(PATH, json=callback_body(outputs, inputs, changed=f"{L.TYPE}.value"))
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.get_json()["response"]

    def without(answer):
        return [(level, int(i)) for level, i in _without(answer[L.MAP]["figure"])[0]["customdata"]]

    before = ask(first)
    assert ask(second) == before and len(without(before)) == 6
    with evil_copy.connect() as conn:
        view = coverage_view(conn, CoverageCache(), kind="civilisation", metres=1000, what_if=WhatIf(), on=ON)
    drawn: list[str] = []
    assert [view.drawing("map", lambda: drawn.append("map") or len(drawn)) for _ in range(3)] == [1, 1, 1]
    with evil_copy.begin() as conn:
        village = conn.execute(sa.text("SELECT id FROM community WHERE name = :n"), {"n": EVIL}).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO service_point (source, source_id, kind, name, level, street_id, community_id, geom) "
                "SELECT 'test', 'new', 'civilisation', '新站', 'village', street_id, id, ST_PointOnSurface(geom) "
                "FROM community WHERE id = :v"
            ),
            {"v": village},
        )
    after = ask(second)
    assert without(after) == [u for u in without(before) if u != ("village", village)]
    (points,) = [t for t in after[L.MAP]["figure"]["data"] if t["name"] == "points"]
    assert points["hovertext"] == ["新站"] and "新站" not in json.dumps(before, ensure_ascii=False)
    assert json.dumps(after[L.WORST], ensure_ascii=False) != json.dumps(before[L.WORST], ensure_ascii=False)
    site = [[116.45, 39.91, "甲 · 东坝", 10.0]]
    marked = ask(first, suggested=site)
    (suggested,) = [t for t in marked[L.MAP]["figure"]["data"] if t["name"] == "suggested"]
    assert suggested["lon"] == [116.45] and ask(second)[L.MAP] == after[L.MAP]


def test_a_points_and_a_streets_quotes_read_as_quotes_and_their_markup_as_text(evil_copy):
    """Plotly shows ``&quot;`` literally: a name's quotes stay quotes, its ``<`` ``>`` ``&`` are
    escaped, on the point's hover and the street's label."""
    with evil_copy.begin() as conn:
        conn.execute(
            sa.text("UPDATE street SET name = :n WHERE id = (SELECT min(id) FROM street)"), {"n": EVIL}
        )
        conn.execute(
            sa.text(
                "INSERT INTO service_point (source, source_id, kind, name, level, geom) "
                "SELECT 'test', 'evil', 'civilisation', :n, 'village', ST_PointOnSurface(geom) "
                "FROM community WHERE name = :n"
            ),
            {"n": EVIL},
        )
    with evil_copy.connect() as conn:
        view = coverage_view(conn, CoverageCache(), kind="civilisation", metres=500, what_if=WhatIf(), on=ON)
    figure = coverage_figure(view, revision="civilisation")
    (points,) = [t for t in figure["data"] if t["name"] == "points"]
    (labels,) = [t for t in figure["data"] if t["name"] == "street names"]
    shown = '&lt;img src=x onerror=alert(1)&gt;"`${alert(2)}'
    assert points["hovertext"] == [shown] and shown in labels["text"]
    assert not any("&quot;" in t for t in [*points["hovertext"], *labels["text"]])


def test_the_html_export_of_a_district_without_buildings_is_framed_by_its_streets(evil_names):
    """No buildings loaded yet: the offline map fits the streets' outlines (not a fixed place)."""
    with evil_names.connect() as conn:
        view = coverage_view(conn, CoverageCache(), kind="civilisation", metres=500, what_if=WhatIf(), on=ON)
        west, south, east, north = conn.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM street) s"
            )
        ).one()
    assert len(view.result.demand.ids) == 0 and view.boundaries is not None
    heading = Heading("测试区", "全区", f"截至 {ON}", "王五", dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    page = coverage_html(view.result, view.points, view.added, heading=heading, subject="新时代文明实践",
                         summary="步行 500 米", boundaries=view.boundaries)  # fmt: skip
    *_, bounds = re.findall(r"fitBounds\(\s*(\[\[.*?\]\])", page, flags=re.S)  # Leaflet's own come first
    (s, w), (n, e) = json.loads(bounds)
    # the outlines drawn are simplified: their extent is the table's within a few metres
    assert (s, w, n, e) == pytest.approx((south, west, north, east), abs=1e-4)


def test_a_units_name_is_escaped_on_the_map_and_in_the_offline_html(evil_names):
    with evil_names.connect() as conn:
        missing = units_without(conn, "civilisation", levels=LEVELS, on=ON)
        without = unowned_outlines(conn, missing)
        view = coverage_view(conn, CoverageCache(), kind="civilisation", metres=500, what_if=WhatIf(), on=ON)
    assert len(without) == len(missing) == 6 and EVIL in {u.outline.name for u in without}
    assert [(u.level, u.outline.unit_id) for u in without] == list(
        zip(missing.level, missing.id, strict=True)
    )
    figure = coverage_figure(view, revision="civilisation", without=without)
    trace, _, outline = _without(figure)
    text = json.dumps(figure, cls=PlotlyJSONEncoder, ensure_ascii=False)
    assert EVIL not in text and "<img" not in text and "onerror=alert(1)&gt;" in text
    assert f"{esc(EVIL)}<br>村 village · 无本级服务点 no point of its own" in trace["hovertext"]
    assert all(set(f["properties"]) == {"level", "id"} for f in outline["source"]["features"])  # no names
    heading = Heading("测试区", "全区", f"截至 {ON}", "王五", dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    page = coverage_html(view.result, view.points, view.added, heading=heading, subject="新时代文明实践",
                         summary="步行 500 米", boundaries=view.boundaries, without=without)  # fmt: skip
    assert EVIL not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;\\`\\${alert(2)}<br>村 village" in page
    assert page.count(DASHED) == 6 and "无本级服务点的单位 units without a point of their own" in page
    for vendored in ("leaflet.js", "leaflet.css"):  # inlined Leaflet names its site and the SVG namespace
        page = page.replace((VENDOR / vendored).read_text(encoding="utf-8"), "")
    urls = re.findall(r"https?://[^\s\"'<>)\\]+", page)
    assert all(urlparse(u).hostname in LOCAL_HOSTS for u in urls), urls
