"""Every page works on what is loaded, and is named after the district that is.

On a small district the demo never saw (测试区, tests/small_district.py) holding only its
boundaries, and on the same district with buildings, service points and targets but no roads:
every page and every callback answers for an admin, with the district's name, no "平城", and an
empty state that says what to load with which command; coverage and planning use straight
lines and say so. On an empty database, the neutral title.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from dashboard.app import create_app
from dashboard.auth import CALLBACK_PAGES
from dashboard.callback_request import PATH, callback_body, route_body
from dashboard.coverage import layout as C
from dashboard.identity import IdentityCache
from dashboard.inspections import layout as I
from dashboard.ops.db_down import unavailable_response
from geo.district_names import DistrictNames
from geo.errors import ConfigError
from tests.auth import client_for, make_account
from tests.test_scoping import _body, _page_values

PAGES = {"monitor": "/monitor", "map": "/map", "inspections": "/inspections", "coverage": "/coverage"}
FOREIGN = ("平城", "Pingcheng", "大同", "山西")


def _client(settings, engine, name):
    app = create_app(settings, engine)
    return app, client_for(app.server, make_account(engine, name, "admin"))


@pytest.fixture(scope="module")
def bare(settings, boundaries_only):
    return _client(settings, boundaries_only, "admin_bare")


@pytest.fixture(scope="module")
def sites(settings, no_roads):
    return _client(settings, no_roads, "admin_sites")


def _page_text(client, path, search=""):
    """The page the router puts up for ``path``, as JSON text (every prop, children included)."""
    response = client.post(PATH, json=route_body(path, search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.dumps(response.get_json(), ensure_ascii=False)


def _sweep(app, client, page):
    """Every callback of ``page`` with the page's own values: their answers (none may fail)."""
    values = _page_values(client, PAGES[page])
    answers = []
    for key, spec in app.callback_map.items():
        if app.server.extensions[CALLBACK_PAGES].get(key) != page:
            continue
        response = client.post(PATH, json=_body(key, spec, values, {}))
        assert response.status_code in (200, 204), (page, key, response.get_data(as_text=True)[:500])
        answers.append(
            json.dumps(response.get_json(), ensure_ascii=False) if response.status_code == 200 else ""
        )
    return answers


def _no_foreign_name(text):
    assert not [word for word in FOREIGN if word in text], text[:2000]


def test_every_page_is_named_after_the_loaded_district(bare):
    app, client = bare
    html = client.get("/").get_data(as_text=True)
    assert "<title>测试区网格治理</title>" in html
    login = app.server.test_client().get("/login").get_data(as_text=True)
    assert "测试区网格治理" in login and "<title>登录 Log in · 测试区网格治理</title>" in login
    for page, path in PAGES.items():
        text = _page_text(client, path)
        _no_foreign_name(text)
        if page in ("monitor", "map"):
            assert "测试区" in text, page
    _no_foreign_name(_page_text(client, "/audit"))
    assert "测试区综治中心 · 网格治理态势" in _page_text(client, "/monitor")
    assert "数据说明" not in _page_text(client, "/map")  # the demo note: not the demo
    assert "测试区 Governance Centre · Live Grid Monitor" in _page_text(client, "/monitor", "?lang=en")


@pytest.mark.parametrize(
    ("page", "commands"),
    [
        ("monitor", ["gridgov ingest incidents FILE --source NAME"]),
        ("map", ["gridgov ingest incidents FILE --source NAME", "gridgov ingest buildings FILE"]),
        ("inspections", ["gridgov ingest inspection-targets FILE", "gridgov ingest roads FILE"]),
        ("coverage", ["gridgov ingest buildings FILE", "gridgov ingest service-points FILE"]),
    ],
)
def test_with_only_boundaries_each_page_says_what_to_load_and_no_callback_fails(bare, page, commands):
    app, client = bare
    text = _page_text(client, PAGES[page])
    assert "此页还缺数据" in text or "部分数据未加载" in text, text[:1000]
    for command in commands:
        assert command in text, (page, command)
    for answer in _sweep(app, client, page):
        _no_foreign_name(answer)


def test_without_roads_coverage_uses_straight_lines_and_says_so(sites):
    app, client = sites
    assert "gridgov ingest roads FILE" in _page_text(client, "/coverage")
    inputs = [(C.TYPE, "value", "elder_care"), (C.VALUE, "value", 1000), (C.UNIT, "value", "m"),
              (C.WHATIF, "data", {"added": [], "removed": []}), (C.SUGGESTED, "data", None), (C.ON, "date", None)]  # fmt: skip
    outputs = [(C.KPIS, "children"), (C.MAP, "figure"), (C.WORST, "children"), (C.STREETS, "children"), (C.MESSAGE, "children")]  # fmt: skip
    response = client.post(PATH, json=callback_body(outputs, inputs, changed=f"{C.TYPE}.value"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = json.dumps(response.get_json()["response"], ensure_ascii=False)
    assert "直线距离（未加载路网）" in text and "straight lines: no network loaded" in text
    kpis = response.get_json()["response"][C.KPIS]["children"]["props"]["children"]
    share = kpis[0]["props"]["children"][1]["props"]["children"]
    assert share[0].endswith("%")  # a number: two stations reach some of the 55 buildings
    for answer in _sweep(app, client, "coverage"):
        assert "Traceback" not in answer


def test_without_roads_planning_routes_by_straight_lines_and_says_so(sites):
    app, client = sites
    values = _page_values(client, "/inspections")
    assert values[(I.STREET, "options")], values  # the district's streets are offered
    answers = "\n".join(_sweep(app, client, "inspections"))
    assert "直线距离（未加载路网）" in answers and "straight lines: no road network loaded" in answers
    _no_foreign_name(answers)


def test_an_empty_database_gets_the_neutral_title_and_pages_that_say_load_boundaries(
    settings, migrated_engine
):
    app, client = _client(settings, migrated_engine, "admin_empty")
    assert "<title>网格治理 Grid governance</title>" in client.get("/").get_data(as_text=True)
    for page, path in PAGES.items():
        text = _page_text(client, path)
        assert "gridgov ingest boundaries FILE --level district|street|community|grid" in text, page
        _sweep(app, client, page)


def test_the_district_file_names_the_district_in_english_and_its_centre(settings, boundaries_only, tmp_path):
    path = tmp_path / "district.toml"
    path.write_text(
        '[district]\nname_en = "Test District"\ncentre_name = "{name}社会治理中心"\n', encoding="utf-8"
    )
    with boundaries_only.connect():
        identity = IdentityCache(boundaries_only, DistrictNames.from_file(path)).get()
    assert (identity.name, identity.code, identity.demo) == ("测试区", "110105", False)
    assert identity.centre == "测试区社会治理中心" and identity.centre_en == "Test District Governance Centre"
    assert identity.title_en == "Test District grid governance"
    assert identity.extent is not None and 116.4 < identity.extent.center[0] < 116.6
    bad = tmp_path / "bad.toml"
    bad.write_text("[district]\nname_en = 3\nnickname = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[district\].*nickname.*name_en"):
        DistrictNames.from_file(bad)


def test_the_identity_is_read_again_after_its_time_and_kept_through_an_outage(boundaries_only):
    now = [0.0]
    cache = IdentityCache(boundaries_only, DistrictNames(), clock=lambda: now[0])
    assert cache.last().name is None  # nothing read yet: neutral
    first = cache.get()
    assert first.name == "测试区" and cache.get() is first
    now[0] += IdentityCache.SECONDS + 1
    assert cache.get() is not first and cache.last().name == "测试区"


def test_the_unavailable_page_is_headed_with_the_escaped_name():
    from flask import Flask

    with Flask(__name__).test_request_context(headers={"Accept": "text/html"}):
        page = unavailable_response(heading="测试区<b>网格治理").get_data(as_text=True)
    assert "<h1>测试区&lt;b&gt;网格治理</h1>" in page


TEXT_SUFFIXES = {".py", ".html", ".css", ".js", ".toml", ".md", ".txt", ".json", ".mako", ".ini"}


def _package_files(root):
    for package in ("gridgov", "geo", "ingest", "layers", "dashboard"):
        for path in sorted((root / package).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and path.suffix in TEXT_SUFFIXES and rel.parts[:2] != ("ingest", "demo"):
                yield rel, path


def test_no_district_literal_in_the_packages():
    """No 平城 / Pingcheng / 大同 / 山西 / 140213 outside ingest/demo/ (data/ and tests/ may)."""
    root = Path(__file__).resolve().parents[1]
    found = [
        f"{rel}: {word}"
        for rel, path in _package_files(root)
        for word in (*FOREIGN, "140213")
        if word in path.read_text(encoding="utf-8")
    ]
    assert not found, found
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    description = project["description"]
    assert not [word for word in FOREIGN if word in description], description
