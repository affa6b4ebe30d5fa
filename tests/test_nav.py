"""The app frame (issue #20): one page registry (dashboard/pages.py) from which the README's role
table, the router's access rules, the navigation bar and the refusal pages are made. Through the
real app (Flask test client, real sessions) for each role."""

from __future__ import annotations

import json
import re

import pytest

from dashboard.app import create_app
from dashboard.auth.access import PAGE_ROLES, PATHS, SHELL
from dashboard.callback_request import PATH, callback_body, route_body
from dashboard.pages import PAGES, ROLE_NAMES
from geo import sessions
from geo.users import ROLES
from tests.auth import client_for, kiosk_login
from tests.browser import ROOT

ROLE_COLUMNS = ["admin", "street_leader", "planner", "wall_screen"]


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _readme_roles() -> dict[tuple[str, ...], set[str]]:
    """The README's "Which role may open which page" table: page paths → roles ticked."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text.split("Which role may open which page", 1)[1].split("\n| page |", 1)[1]
    header, _, *rows = ("| page |" + after.split("\n\n", 1)[0]).splitlines()
    assert [c.strip() for c in header.strip("|").split("|")][1:] == ROLE_COLUMNS, header
    found = {}
    for row in rows:
        page, *ticks = (c.strip() for c in row.strip("|").split("|"))
        paths = tuple(re.findall(r"`([^`]+)`", page))
        found[paths] = {role for role, tick in zip(ROLE_COLUMNS, ticks, strict=True) if tick == "✓"}
    return found


def test_the_readme_role_table_is_the_page_registry():
    expected = {tuple(sorted(p.paths, key=len)): set(p.roles) for p in PAGES}
    assert {tuple(sorted(k, key=len)): v for k, v in _readme_roles().items()} == expected
    assert set(ROLE_COLUMNS) == set(ROLES) == set(ROLE_NAMES)
    assert {SHELL: frozenset(ROLES)} | {p.key: p.roles for p in PAGES} == PAGE_ROLES
    assert {path: p.key for p in PAGES for path in p.paths} == PATHS


def _nav(client, path: str, search: str = "") -> list:
    body = callback_body(
        [("nav", "children")], [("url", "pathname", path), ("url", "search", search)], changed="url.pathname", single=True
    )  # fmt: skip
    response = client.post(PATH, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]["nav"]["children"]


def _links(children: list) -> list[tuple[str, bool]]:
    """(href, is current) of the bar's links."""
    text = json.dumps(children, ensure_ascii=False)
    found = re.findall(r'"href": "([^"]+)"[^{}]*?"className": "nav-link( current)?"', text)
    return [(href, bool(current)) for href, current in found]


@pytest.mark.parametrize("role", ["admin", "street_leader", "planner"])
def test_the_bar_links_every_page_the_role_may_open_and_marks_the_current_one(app, accounts, role):
    client = client_for(app.server, accounts[role])
    allowed = [p for p in PAGES if role in p.roles]
    for page in allowed:
        children = _nav(client, page.path)
        assert _links(children) == [(p.path, p.key == page.key) for p in allowed], (role, page.key)
        text = json.dumps(children, ensure_ascii=False)
        assert accounts[role][0] in text and ROLE_NAMES[role][0] in text and "/logout" in text


def test_no_bar_in_a_kiosk_or_for_a_wall_screen(app, demo, accounts):
    admin = client_for(app.server, accounts["admin"])
    assert _nav(admin, "/monitor", "?kiosk=1") == []
    screen = client_for(app.server)
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
    assert kiosk_login(screen, token).status_code == 303
    assert _nav(screen, "/monitor", "?kiosk=1") == [] == _nav(screen, "/monitor")


def _routed(client, path: str) -> str:
    response = client.post(PATH, json=route_body(path))
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_no_access_names_the_roles_that_may_open_the_page_and_whom_to_ask(app, accounts):
    planner = client_for(app.server, accounts["planner"])
    text = _routed(planner, "/inspections")
    assert "无权访问" in text and "区级管理员" in text and "街道负责人" in text and "set-role" in text
    assert "当前账号的角色" in text and ROLE_NAMES["planner"][0] in text
    offered = set(re.findall(r'"href": "([^"]+)"', text))
    assert offered == {p.path for p in PAGES if "planner" in p.roles}


def test_not_found_offers_the_pages_the_account_may_open(app, accounts):
    leader = client_for(app.server, accounts["street_leader"])
    text = _routed(leader, "/nowhere")
    assert "404" in text and "页面不存在" in text
    assert set(re.findall(r'"href": "([^"]+)"', text)) == {
        p.path for p in PAGES if "street_leader" in p.roles
    }
