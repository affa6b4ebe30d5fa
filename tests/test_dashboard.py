"""The dashboard app through Flask's test client: page, layout, callbacks, figure and patches."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import plotly.graph_objects as go
import pytest
from dash import Patch

from dashboard.app import create_app
from dashboard.figure import OFFLINE_STYLE, map_figure, view_for
from dashboard.patching import parse_present, patch_layers
from dashboard.server import wsgi_app
from geo.settings import Settings
from layers.extent import Extent
from tests.auth import COOKIE, client_for, session_cookie
from tests.callbacks import route  # others import it from here too

GUCHENG = "140213051000"
TITLE = "平城区网格治理"  # the demo district's name, from its boundary
DEMO_NOTE = "平城区及所辖18个街道、155个社区、47个村的代码和名称，以及区界，均为真实数据"
MAPBOX_TYPES = {"scattermapbox", "densitymapbox", "choroplethmapbox"}


@pytest.fixture(scope="module")
def client(settings, demo, accounts):
    return client_for(create_app(settings, demo).server, accounts["admin"])


def _figure(layout_json):
    """The map figure inside the Dash layout JSON."""
    text = json.dumps(layout_json)
    start = text.index('"figure": ') + len('"figure": ')
    figure, _ = json.JSONDecoder().raw_decode(text[start:])
    return figure


def _post(client, *, layers, street, window, present, changed):
    outputs = (("map", "figure"), ("present", "data"), ("as-of", "children"))
    inputs = (("layers", layers), ("street", street), ("window", window))
    body = {
        "output": "..map.figure...present.data...as-of.children..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": i, "property": "value", "value": v} for i, v in inputs],
        "changedPropIds": [changed],
        "state": [
            {"id": "present", "property": "data", "value": present},
            {"id": "case-point", "property": "data", "value": None},
        ],
    }
    return client.post("/_dash-update-component", json=body)


def _callback(client, *, layers, street="district", window="30", present, changed):
    response = _post(client, layers=layers, street=street, window=window, present=present, changed=changed)
    assert response.status_code == 200, response.text
    return response.get_json()["response"], len(response.data)


def test_the_page_is_local_chinese_and_small(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<title>{TITLE}</title>" in html and 'lang="zh-CN"' in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert len(response.data) < 110_000  # the map comes with the layout, not twice


def test_the_layout_shows_the_district_map_and_says_what_is_synthetic(client):
    layout, size = route(client, "/map")
    text = json.dumps(layout, ensure_ascii=False)
    assert TITLE in text and DEMO_NOTE in text
    figure = _figure(layout)
    types = {trace["type"] for trace in figure["data"]}
    assert types == {"scattermap", "densitymap"} and not types & MAPBOX_TYPES
    streets = [t for t in figure["data"] if t["name"] == "街道" and "text" in t.get("mode", "")]
    assert len(streets) == 1 and len(streets[0]["text"]) == 18
    assert figure["layout"]["map"]["style"]["layers"][0]["type"] == "background"
    assert "glyphs" not in figure["layout"]["map"]["style"]  # no public glyph server
    assert "mapbox" not in figure["layout"] and "layers" not in figure["layout"]["map"]
    assert 113.2 < figure["layout"]["map"]["center"]["lon"] < 113.4
    assert size < 2_000_000


def test_toggling_a_layer_patches_only_that_layer(client):
    present = [["density", 1], ["grids", 2], ["communities", 2], ["streets", 2]]
    layers = ["streets", "communities", "grids", "density", "buildings"]
    out, size = _callback(client, layers=layers, present=present, changed="layers.value")
    assert out["present"]["data"] == [["density", 1], ["buildings", 1], *present[1:]]
    operations = out["map"]["figure"]["operations"]
    assert [op["operation"] for op in operations] == ["Insert"]
    assert operations[0]["location"] == ["data"] and operations[0]["params"]["index"] == 1
    assert operations[0]["params"]["value"]["type"] == "scattermap"
    assert "as-of" not in out and size < 1_500_000
    out, size = _callback(client, layers=["streets"], present=present, changed="layers.value")
    assert [op["operation"] for op in out["map"]["figure"]["operations"]] == ["Delete"] * 5
    assert out["present"]["data"] == [["streets", 2]] and size < 2_000


def test_changing_the_street_redraws_the_map_for_it(client):
    present = [["density", 1], ["grids", 2], ["communities", 2], ["streets", 2]]
    layers = ["streets", "communities", "grids", "density"]
    out, _ = _callback(client, layers=layers, street=GUCHENG, present=present, changed="street.value")
    figure = out["map"]["figure"]
    street_labels = [t for t in figure["data"] if t["name"] == "街道" and "text" in t.get("mode", "")]
    assert street_labels[0]["text"] == ["古城街道"]
    assert figure["layout"]["uirevision"] == GUCHENG and figure["layout"]["map"]["zoom"] > 12
    assert out["present"]["data"] == present and "数据截至" in json.dumps(
        out["as-of"]["children"], ensure_ascii=False
    )


def test_an_unreadable_layer_record_means_a_full_redraw(client):
    out, _ = _callback(client, layers=["streets"], present="garbage", changed="layers.value")
    assert "data" in out["map"]["figure"] and out["present"]["data"] == [["streets", 2]]


def test_a_bad_street_value_changes_nothing(client):
    bad = "1; DROP TABLE street"
    response = _post(client, layers=["streets"], street=bad, window="30", present=[], changed="street.value")
    assert response.status_code == 204  # PreventUpdate


def test_a_tile_layer_only_when_configured():
    view = view_for(None)
    plain = map_figure([], view=view, tile_url=None, revision="x")
    assert plain.layout.map.layers == ()
    tiles = map_figure([], view=view, tile_url="http://tiles.intranet/{z}/{x}/{y}.png", revision="x")
    (layer,) = tiles.layout.map.layers
    assert layer.sourcetype == "raster" and list(layer.source) == ["http://tiles.intranet/{z}/{x}/{y}.png"]
    assert layer.below == "traces"
    assert Settings.from_env({"GRIDGOV_TILE_URL": "http://t/{z}/{x}/{y}.png"}).tile_url is not None
    assert plain.layout.map.style == OFFLINE_STYLE


def test_the_view_fits_the_box():
    district = view_for(Extent(113.21, 39.98, 113.40, 40.18))
    street = view_for(Extent(113.29, 40.08, 113.31, 40.10))
    assert 10.5 < district.zoom < 12 < street.zoom < 15
    assert (district.lon, district.lat) == pytest.approx((113.305, 40.08))


def _fake_build(key):
    return [
        go.Scattermap(name=f"{key}{i}", lon=[113.3], lat=[40.1]) for i in range({"a": 1, "b": 2, "c": 1}[key])
    ]


def test_patch_layers_keeps_drawing_order():
    patch, now = patch_layers([("a", 1), ("c", 1)], ["a", "b", "c"], _fake_build)
    ops = patch.to_plotly_json()["operations"]
    assert [(op["operation"], op["params"]["index"]) for op in ops] == [("Insert", 1), ("Insert", 2)]
    assert [op["params"]["value"]["name"] for op in ops] == ["b0", "b1"]
    assert now == [("a", 1), ("b", 2), ("c", 1)]
    patch, now = patch_layers(now, ["c"], _fake_build)
    ops = patch.to_plotly_json()["operations"]
    assert [(op["operation"], op["location"]) for op in ops] == [("Delete", ["data", 0])] * 3
    assert now == [("c", 1)] and isinstance(patch, Patch)


def test_an_unreadable_layer_record_is_rejected():
    for bad in (None, "x", [["a"]], [["a", -1]], [[1, 1]], [["a", "2"]]):
        with pytest.raises(ValueError):
            parse_present(bad)
    assert parse_present([["a", 2]]) == [("a", 2)]


def _bundle_urls(client):
    html = client.get("/").get_data(as_text=True)
    return re.findall(r'src="(/_dash-component-suites/[^"]+)"', html)


def test_a_fresh_worker_serves_concurrent_bundle_requests(settings, demo, accounts):
    """A new worker's first requests are the page's scripts, in parallel. Dash sets itself up on
    the first request and, without the warm-up in wsgi_app, answers most of them 500 ("dash is
    not a registered library") while another thread is still setting up."""
    signed_in = client_for(create_app(settings, demo).server, accounts["admin"])
    urls, cookie = _bundle_urls(signed_in), session_cookie(signed_in)
    assert len(urls) >= 5
    fresh = wsgi_app(settings, engine=demo)  # the session's engine: closed when the tests end

    def get(url):
        client = fresh.test_client()
        client.set_cookie(COOKIE, cookie)
        return client.get(url).status_code

    with ThreadPoolExecutor(len(urls)) as pool:
        codes = list(pool.map(get, urls))
    assert codes == [200] * len(urls)
