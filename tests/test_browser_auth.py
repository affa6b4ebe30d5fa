"""Logging in through the real form in headless Chromium, served by the real `gridgov serve`:
anonymous visits land on the login page, a wrong password says so, the right one opens the
wall screen, logout ends it; a wall screen's kiosk link opens the monitor and nothing else.
The console stays clean throughout: a Content-Security-Policy violation would show there."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from geo import sessions
from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, sign_in
from tests.browser import host as _host

pytestmark = pytest.mark.browser
MAP_DRAWN = "#m-map .maplibregl-canvas"


@pytest.fixture
def server(demo_server):
    """The session's `gridgov serve` on the demo (conftest.demo_server)."""
    return demo_server


def _watch(context, page, requests, problems):
    context.on("request", lambda r: requests.append(r.url))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" or "Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))


def test_log_in_see_the_monitor_and_log_out(server, accounts):
    url, _log = server
    requests, problems = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = context.new_page()
        page.goto(url + "coverage")
        assert "/login?next=/coverage" in page.url
        page.fill("#username", accounts["admin"][0])
        page.fill("#password", "not the password")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "用户名或密码错误" in page.inner_text(".error")

        _watch(context, page, requests, problems)  # from here on: a clean console
        page.goto(url + "login?next=/monitor")
        page.fill("#username", accounts["admin"][0])
        page.fill("#password", accounts["admin"][1])
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_selector(MAP_DRAWN, timeout=60_000)
        assert page.url == url + "monitor" and "在办事件" in page.inner_text("body")

        with page.expect_navigation():
            page.click(".logout button")
        assert page.url.startswith(url + "login")
        page.goto(url + "monitor")
        assert "/login" in page.url
        browser.close()
    assert requests and not problems, problems
    assert not [u for u in requests if _host(u) not in LOCAL_HOSTS]


def test_the_kiosk_link_opens_the_monitor_and_only_the_monitor(server, demo, accounts):
    url, _log = server
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
    requests, problems = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = context.new_page()
        _watch(context, page, requests, problems)
        page.goto(f"{url}kiosk?token={token}")  # a page with a button: a bare link logs nobody in
        page.goto(url + "monitor")
        assert "/login" in page.url
        page.goto(f"{url}kiosk?token={token}")
        page.click("#kiosk-open")
        page.wait_for_url(url + "monitor?kiosk=1")  # the token is gone from the address bar
        page.wait_for_selector(MAP_DRAWN, timeout=60_000)
        page.goto(url + "map")
        page.wait_for_selector(".not-found")
        assert "无权访问" in page.inner_text(".not-found")
        browser.close()
    assert requests and not problems, problems


def test_a_session_ended_elsewhere_sends_the_open_page_to_the_login(wall_server, demo, accounts):
    """The wall screen refreshes by itself: when its session ends (here: every session of the
    account closed in the database), the next refresh lands on the login page, not a frozen map."""
    url, _log = wall_server  # pages refresh every 4 s
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        sign_in(page, url, accounts["planner"], then="monitor")
        page.wait_for_selector(MAP_DRAWN, timeout=60_000)
        with demo.begin() as conn:
            conn.execute(
                sa.text("UPDATE user_session SET ended_at = now() WHERE ended_at IS NULL AND user_id = "
                        "(SELECT id FROM app_user WHERE username = :u)"),
                {"u": accounts["planner"][0]},
            )  # fmt: skip
        page.wait_for_url("**/login?next=%2Fmonitor", timeout=30_000)
        browser.close()
