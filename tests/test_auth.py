"""Login, sessions and the gate, through Flask's test client on the demo database.

The key acceptance tests walk the app's own routes (``url_map``) and registered callbacks
(``callback_map``): each must refuse an anonymous request, so a route or callback added later
without protection fails here.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from dash import Input, Output

from dashboard.app import create_app
from dashboard.auth import CALLBACK_PAGES
from dashboard.auth.access import PAGE_ROLES, PATHS, may_use
from dashboard.auth.gate import KEYED_BLUEPRINTS
from dashboard.auth.web import PUBLIC_ENDPOINTS
from dashboard.callback_request import PATH, route_body
from geo import sessions, users
from geo.errors import ConfigError, InputError
from geo.login_throttle import POLICY
from geo.settings import Settings
from tests.auth import (
    COOKIE,
    ORIGIN,
    client_for,
    csrf_token,
    kiosk_login,
    login,
    make_account,
    session_cookie,
)
from tests.sql import one

NO_ACCESS = "无权访问"


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _anonymous(app):
    return client_for(app.server)  # sends our Origin: refused for want of a session, not of CSRF


def _callback(client, key):
    """A minimal request for the callback registered under ``key`` (the gate looks at ``output``)."""
    return client.post(PATH, json={"output": key, "outputs": [], "inputs": [], "changedPropIds": []})


def _text(response):
    return json.dumps(response.get_json(), ensure_ascii=False)


def _paths(rule):
    return re.sub(r"<[^>]+>", "x", rule.rule)


def test_every_route_refuses_an_anonymous_request(app, accounts):
    rules = list(app.server.url_map.iter_rules())
    assert {r.endpoint for r in rules} >= PUBLIC_ENDPOINTS
    client, checked = _anonymous(app), 0
    for rule in rules:
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.split(".")[0] in KEYED_BLUEPRINTS:
            continue  # the intake API takes keys, not sessions: tests/test_api.py checks its routes
        for method in sorted(rule.methods):
            for accept in ("text/html", "application/json"):
                response = client.open(_paths(rule), method=method, headers={"Accept": accept})
                redirected = response.status_code == 302 and response.location.startswith("/login")
                assert redirected or response.status_code == 401, (rule.rule, method, response.status_code)
                assert b"<script" not in response.data and b"figure" not in response.data
                checked += 1
    assert checked >= 20
    # the real files behind those rules too: Dash's bundles, our assets
    signed_in = client_for(app.server, accounts["admin"])
    html = signed_in.get("/").get_data(as_text=True)
    files = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert any("_dash-component-suites" in f for f in files) and any("/assets/" in f for f in files)
    for path in files:
        assert _status(signed_in, path) == 200, path
        assert _status(client, path) == 401, path


def _status(client, path):
    with client.get(path) as response:  # closes the file a static response streams
        return response.status_code


def test_only_the_login_page_and_its_css_are_open(app):
    client = _anonymous(app)
    page = client.get("/login")
    assert page.status_code == 200 and 'name="csrf"' in page.get_data(as_text=True)
    assert "<script" not in page.get_data(as_text=True)
    css = re.search(r'href="(/auth/static/[^"]+\.css)"', page.get_data(as_text=True))
    assert css and _status(client, css.group(1)) == 200
    assert client.get("/").status_code == 401
    html = client.get("/map", headers={"Accept": "text/html"})
    assert html.status_code == 302 and html.location == "/login?next=/map"


def test_every_callback_refuses_an_anonymous_request(app):
    client = _anonymous(app)
    assert len(app.callback_map) >= 10
    for key in app.callback_map:
        response = _callback(client, key)
        assert response.status_code == 401, key


def test_every_callback_belongs_to_a_page(app):
    """A callback whose outputs are on no page would be refused for everyone: register its page."""
    pages = app.server.extensions[CALLBACK_PAGES]
    assert set(pages) == set(app.callback_map), set(app.callback_map) - set(pages)
    assert set(pages.values()) <= set(PAGE_ROLES)


@pytest.mark.parametrize("role", ["street_leader", "planner", "wall_screen"])
def test_each_role_is_refused_the_pages_and_callbacks_it_may_not_use(app, demo, accounts, role):
    client = (
        _kiosk_client(app, demo, accounts)
        if role == "wall_screen"
        else client_for(app.server, accounts[role])
    )
    pages = app.server.extensions[CALLBACK_PAGES]
    refused = [key for key, page in pages.items() if not may_use(role, page)]
    assert refused or role == "street_leader"
    for key in refused:
        assert _callback(client, key).status_code == 403, (role, key)
    for path, page in PATHS.items():
        if may_use(role, page):
            continue
        response = client.post(PATH, json=route_body(path))
        assert response.status_code == 200
        text = _text(response)
        assert NO_ACCESS in text and "figure" not in text and len(text) < 8_000  # the note, not the page


def _kiosk_client(app, demo, accounts, token=None):
    client = client_for(app.server)
    if token is None:
        with demo.begin() as conn:
            token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
    response = kiosk_login(client, token)
    assert response.status_code == 303 and response.location == "/monitor?kiosk=1"
    return client


def test_a_kiosk_link_alone_logs_nobody_in(app, demo, accounts):
    """Login CSRF: a page elsewhere linking to ``/kiosk?token=`` must not sign the browser in."""
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
    client = client_for(app.server)
    page = client.get(f"/kiosk?token={token}")
    assert page.status_code == 200 and 'action="/kiosk"' in page.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    forged = client_for(app.server).post("/kiosk", data={"token": token})  # no form token
    assert forged.status_code == 400
    kiosk_login(client, token)
    assert client.get("/_dash-layout").status_code == 200


def test_a_new_kiosk_token_ends_the_old_tokens_sessions(app, demo, accounts):
    screen = make_account(demo, "screen_reissued", "wall_screen")[0]
    with demo.begin() as conn:
        old = sessions.new_kiosk_token(conn, screen)
    client = _kiosk_client(app, demo, accounts, token=old)
    assert client.get("/_dash-layout").status_code == 200
    with demo.begin() as conn:
        new = sessions.new_kiosk_token(conn, screen)
    assert client.get("/_dash-layout").status_code == 401  # the old token's session is over
    assert kiosk_login(client_for(app.server), old).status_code == 401
    assert _kiosk_client(app, demo, accounts, token=new).get("/_dash-layout").status_code == 200


def test_a_kiosk_session_lives_only_as_long_as_its_token(app, demo, accounts):
    """Bound to the token that opened it, even if the token was replaced without ending it."""
    screen = make_account(demo, "screen_bound", "wall_screen")[0]
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, screen)
    client = _kiosk_client(app, demo, accounts, token=token)
    with demo.begin() as conn:
        conn.execute(
            sa.text("UPDATE app_user SET kiosk_token_hash = 'replaced' WHERE username = :u"), {"u": screen}
        )
    assert client.get("/_dash-layout").status_code == 401


def test_the_wall_screen_sees_the_monitor(app, demo, accounts):
    client = _kiosk_client(app, demo, accounts)
    page = client.post(PATH, json=route_body("/monitor", "?kiosk=1"))
    assert page.status_code == 200 and "在办事件" in _text(page)


def test_a_callback_added_without_its_page_is_refused(settings, demo, accounts):
    late = create_app(settings, demo)

    @late.callback(Output("late-out", "children"), Input("late-in", "value"))
    def leak(value):  # pragma: no cover - must never run
        return "secret"

    client = client_for(late.server, accounts["admin"])
    assert _callback(client, "late-out.children").status_code == 403


def test_a_disabled_account_is_cut_off_at_once(app, demo):
    account = make_account(demo, "soon_disabled", "planner")
    client = client_for(app.server, account)
    assert client.get("/_dash-layout").status_code == 200
    with demo.begin() as conn:
        users.disable(conn, account[0])
    assert client.get("/_dash-layout").status_code == 401


def test_a_changed_role_applies_to_the_next_request(app, demo):
    account = make_account(demo, "role_changes", "admin")
    client = client_for(app.server, account)
    pages = app.server.extensions[CALLBACK_PAGES]
    inspections = next(k for k, p in pages.items() if p == "inspections")
    assert _callback(client, inspections).status_code != 403
    with demo.begin() as conn:
        users.set_role(conn, account[0], "planner", [])
    assert _callback(client, inspections).status_code == 403


@pytest.mark.parametrize(
    "column", ["seen_at = now() - interval '31 minutes'", "issued_at = now() - interval '13 hours'"]
)
def test_expired_sessions_are_refused(app, demo, accounts, column):
    client = client_for(app.server, accounts["planner"])
    token = _token_of(app, client)
    with demo.begin() as conn:
        conn.execute(
            sa.text(f"UPDATE user_session SET {column} WHERE token_hash = :h"),
            {"h": sessions.token_hash(token)},
        )
    assert client.get("/_dash-layout").status_code == 401
    with demo.connect() as conn:
        ended = conn.execute(
            sa.text("SELECT ended_at IS NOT NULL FROM user_session WHERE token_hash = :h"),
            {"h": sessions.token_hash(token)},
        ).scalar_one()
    assert ended


def _token_of(app, client):
    """The session token inside the signed cookie."""
    serializer = app.server.session_interface.get_signing_serializer(app.server)
    return serializer.loads(session_cookie(client))["sid"]


def test_logout_ends_the_session_even_for_a_copied_cookie(app, demo, accounts):
    client = client_for(app.server, accounts["planner"])
    copied = session_cookie(client)
    before = one(demo, "SELECT count(*) FROM audit_log WHERE action = 'logout'")
    response = client.post("/logout")
    assert response.status_code == 303 and response.location == "/login"
    assert client.get("/_dash-layout").status_code == 401
    replay = client_for(app.server)
    replay.set_cookie(COOKIE, copied)
    assert replay.get("/_dash-layout").status_code == 401
    assert one(demo, "SELECT count(*) FROM audit_log WHERE action = 'logout'") == before + 1


def test_logout_is_a_post_from_our_own_origin(app, accounts):
    client = client_for(app.server, accounts["planner"])
    client.get("/logout")  # only Dash's page shell answers a GET
    assert client.post("/logout", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get("/_dash-layout").status_code == 200  # still signed in


def test_wrong_passwords_and_unknown_users_are_refused_and_audited(app, demo, accounts):
    client = client_for(app.server)
    for username, password in ((accounts["admin"][0], "not the password"), ("nobody_here", "whatever123")):
        response = login(client, username, password)
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
        assert client.get("/_dash-layout").status_code == 401
        assert one(
            demo,
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND username = :u AND detail->>'ip' = '127.0.0.1'",
            u=username,
        )
    admin = accounts["admin"][0]
    assert one(demo, "SELECT count(*) FROM audit_log WHERE action = 'login' AND username = :u", u=admin) >= 1


def test_a_wall_screen_cannot_log_in_with_a_password(app, accounts):
    response = login(client_for(app.server), *accounts["wall_screen"])
    assert response.status_code == 401


def _from(app, address):
    client = client_for(app.server)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_repeated_failures_slow_down_that_username_from_that_address_only(app, demo):
    account = make_account(demo, "guessed_at", "planner")
    client = _from(app, "10.20.0.1")
    for _ in range(5):
        assert login(client, account[0], "wrong password!").status_code == 401
    response = login(client, *account)  # even the right password, from there
    assert response.status_code == 429 and client.get("/_dash-layout").status_code == 401
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert one(
        demo,
        "SELECT count(*) FROM audit_log WHERE action = 'login.throttled' AND username = :u",
        u=account[0],
    )
    elsewhere = _from(app, "10.20.0.2")  # nobody locks an account from everywhere
    assert login(elsewhere, *account).status_code == 303


def test_parallel_wrong_passwords_get_at_most_the_free_checks(app, demo):
    """The check and the recorded failure are one transaction holding the key's lock: 24
    attempts at once get 5 password checks (each failed check writes one login.failed row)."""
    account = make_account(demo, "raced_at", "planner")
    clients = [_from(app, "10.20.1.1") for _ in range(24)]
    tokens = [csrf_token(c) for c in clients]
    start = threading.Barrier(len(clients))

    def attempt(pair):
        client, token = pair
        start.wait()
        data = {"csrf": token, "username": account[0], "password": "wrong password!", "next": "/"}
        return client.post("/login", data=data).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = sorted(pool.map(attempt, zip(clients, tokens, strict=True)))
    checked = one(demo, "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND username = :u",
                  u=account[0])  # fmt: skip
    assert codes.count(401) == checked == POLICY.free, codes
    assert codes.count(429) == len(clients) - POLICY.free


def test_a_flood_of_throttled_attempts_is_one_audit_entry_with_a_count(app, demo):
    account = make_account(demo, "flooded", "planner")
    client = _from(app, "10.20.2.1")
    for _ in range(POLICY.free):
        login(client, account[0], "wrong password!")
    codes = [login(client, account[0], "wrong password!").status_code for _ in range(150)]
    sql = "SELECT detail FROM audit_log WHERE action = 'login.throttled' AND username = :u"
    with demo.connect() as conn:
        entries = conn.execute(sa.text(sql), {"u": account[0]}).scalars().all()
    assert len(entries) == 1, entries  # not one row per refused attempt
    assert entries[0]["count"] == codes.count(429) and codes.count(429) >= 100
    assert entries[0]["ip"] == "10.20.2.1" and entries[0]["key"] == "account"
    with demo.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.text("UPDATE audit_log SET detail = detail || '{\"ip\": \"x\"}' WHERE action = "
                             "'login.throttled' AND username = :u"), {"u": account[0]})  # fmt: skip


def test_growing_delays():
    delays = [POLICY.delay(n, free=5).total_seconds() for n in range(4, 12)]
    assert delays == [0, 60, 120, 240, 480, 900, 900, 900]


def test_login_needs_the_form_token(app, accounts):
    client = client_for(app.server)
    csrf_token(client)
    data = {"username": accounts["admin"][0], "password": accounts["admin"][1]}
    assert client.post("/login", data=data).status_code == 400
    assert client.post("/login", data={**data, "csrf": "forged"}).status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_login_goes_back_only_to_our_own_pages(app, accounts):
    for target, expected in (
        ("/coverage", "/coverage"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\t/evil.example/x", "/"),  # a browser drops the tab: //evil.example/x
        ("/%09/evil.example/x", "/"),
        ("/\n/evil.example/x", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/%252F/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/map\x00", "/"),
    ):
        client = client_for(app.server)
        response = login(client, *accounts["admin"], next_path=target)
        assert response.status_code == 303 and response.location == expected, target


def test_the_login_form_carries_only_a_safe_next(app):
    """``/login?next=/%09/evil.example/x`` reaches the form's hidden field decoded, with a tab."""
    page = _anonymous(app).get("/login?next=/%09/evil.example/x").get_data(as_text=True)
    assert 'name="next" value="/"' in page and "evil.example" not in page


def test_a_callback_from_a_foreign_origin_is_refused(app, accounts):
    client = client_for(app.server, accounts["admin"])
    body = route_body("/monitor")
    assert client.post(PATH, json=body, headers={"Origin": "http://evil.example"}).status_code == 403
    del client.environ_base["HTTP_ORIGIN"]
    assert client.post(PATH, json=body).status_code == 403  # no Origin, no Sec-Fetch-Site
    assert client.post(PATH, json=body, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post(PATH, json=body, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.post(PATH, json=body, headers={"Origin": ORIGIN}).status_code == 200


def test_every_response_carries_the_security_headers(app, accounts):
    signed_in = client_for(app.server, accounts["admin"])
    for response in (_anonymous(app).get("/login"), _anonymous(app).get("/"), signed_in.get("/")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'sha256-" in csp
        assert "unsafe-eval" not in csp and "script-src 'self' 'sha256-" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers
    cookie = _anonymous(app).get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_over_https_cookies_are_secure_and_hsts_is_sent(settings, demo):
    https = Settings.from_env({"GRIDGOV_DATA_DIR": str(settings.data_dir), "GRIDGOV_COOKIE_SECURE": "1"})
    response = create_app(https, demo).server.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_kiosk_tokens_are_stored_hashed_and_only_for_wall_screens(demo, accounts):
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
        stored = conn.execute(
            sa.text("SELECT kiosk_token_hash FROM app_user WHERE username = :u"),
            {"u": accounts["wall_screen"][0]},
        ).scalar_one()
        assert stored == sessions.token_hash(token) and token not in stored
        assert sessions.kiosk_user(conn, token).role == "wall_screen"
        assert sessions.kiosk_user(conn, token + "x") is None
        with pytest.raises(InputError, match="wall screens only"):
            sessions.new_kiosk_token(conn, accounts["planner"][0])


def test_a_wrong_kiosk_token_is_refused(app):
    client = client_for(app.server)
    response = kiosk_login(client, "not-a-token")
    assert response.status_code == 401 and client.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize(("hops", "seen"), [(0, "127.0.0.1"), (1, "10.8.0.7")])
def test_the_client_address_comes_from_a_proxy_only_when_proxies_are_trusted(settings, demo, hops, seen):
    """Behind the intranet's nginx every request comes from the proxy; GRIDGOV_PROXY_HOPS=1
    takes the client's address from its X-Forwarded-For, and 0 ignores the header (a client
    could write one to dodge the login throttle)."""
    client = client_for(create_app(dataclasses.replace(settings, proxy_hops=hops), demo).server)
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "10.8.0.7"
    name = f"proxy_probe_{hops}"
    assert login(client, name, "not the password").status_code == 401
    sql = "SELECT detail->>'ip' FROM audit_log WHERE action = 'login.failed' AND username = :u"
    assert one(demo, sql, u=name) == seen


def _audit_actions(response):
    """The action cell of every row of the audit table in a page response."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Tbody":
                found.extend(
                    row["props"]["children"][2]["props"]["children"] for row in node["props"]["children"]
                )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(response.get_json())
    return found


def test_the_audit_page_filters_by_kind(app, accounts):
    admin = client_for(app.server, accounts["admin"])
    login(client_for(app.server), "audit_filter_probe", "not the password")
    everything = admin.post(PATH, json=route_body("/audit"))
    failed = admin.post(PATH, json=route_body("/audit", "?kind=login.failed"))
    assert len(set(_audit_actions(everything))) > 1
    assert set(_audit_actions(failed)) == {"登录失败 login.failed"} and "audit_filter_probe" in _text(failed)
    assert '"value": "login.failed"' in _text(everything)  # an option per kind


def test_the_origin_must_match_in_scheme_too(app, accounts):
    client = client_for(app.server, accounts["admin"])
    body = route_body("/monitor")
    assert client.post(PATH, json=body, headers={"Origin": "https://localhost"}).status_code == 403
    assert client.post(PATH, json=body, headers={"Origin": "http://localhost:8443"}).status_code == 403
    assert client.post(PATH, json=body, headers={"Origin": ORIGIN}).status_code == 200


def test_only_the_allowed_hosts_are_answered(settings, demo, accounts):
    """DNS rebinding: a page on a name the attacker controls, resolved to our address."""
    app = create_app(settings, demo)
    client = client_for(app.server)
    assert client.get("/login").status_code == 200  # localhost, a default
    assert client.get("/login", headers={"Host": "127.0.0.1:8050"}).status_code == 200
    for host in ("evil.example", "evil.example:8050", "localhost.evil.example"):
        response = client.get("/login", headers={"Host": host})
        assert response.status_code == 400 and "GRIDGOV_ALLOWED_HOSTS" in response.get_data(as_text=True)
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8050"}).status_code == 200  # probes by address
    named = Settings.from_env({"GRIDGOV_DATA_DIR": str(settings.data_dir),
                               "GRIDGOV_ALLOWED_HOSTS": "gridgov.district.gov, [fd00::5]"})  # fmt: skip
    client = client_for(create_app(named, demo).server)
    assert client.get("/login", headers={"Host": "gridgov.district.gov"}).status_code == 200
    assert client.get("/login", headers={"Host": "[fd00::5]:8050"}).status_code == 200
    assert client.get("/login").status_code == 400  # localhost is no longer in the list


def test_allowed_hosts_are_checked_when_read():
    assert Settings.from_env({}).allowed_hosts == ("localhost", "127.0.0.1", "::1")
    assert "10.1.2.3" in Settings.from_env({"GRIDGOV_HOST": "10.1.2.3"}).allowed_hosts
    with pytest.raises(ConfigError, match="GRIDGOV_ALLOWED_HOSTS"):
        Settings.from_env({"GRIDGOV_ALLOWED_HOSTS": "https://gridgov.example"})


def test_signed_in_responses_are_never_cached(app, accounts):
    client = client_for(app.server, accounts["admin"])
    html = client.get("/", headers={"Accept": "text/html"})
    responses = [
        html,
        client.get("/_dash-layout"),
        client.get("/_dash-dependencies"),
        client.post(PATH, json=route_body("/monitor")),
        client.post(PATH, json=route_body("/audit")),
        _anonymous(app).get("/login"),
    ]
    for response in responses:
        assert response.headers.get("Cache-Control") == "no-store", response.request.path
    bundle = re.search(r'src="(/_dash-component-suites/[^"]+)"', html.get_data(as_text=True)).group(1)
    with client.get(bundle) as static:
        assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_logged_errors_carry_no_query_parameters(demo):
    secret = "pw-very-secret-parameter"
    with pytest.raises(sa.exc.DBAPIError) as raised, demo.connect() as conn:
        conn.execute(sa.text("SELECT 1 / (length(:p) - length(:p))"), {"p": secret})  # division by zero
    assert secret not in str(raised.value) and "hidden" in str(raised.value)
