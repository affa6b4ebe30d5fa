"""Signing in from tests: accounts with known passwords and Flask test clients that log in
through the real login form (CSRF token included) and send our own Origin on every request."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from geo import users

ORIGIN = "http://localhost"  # the Flask test client's host
COOKIE = "gridgov_session"


def password_for(username: str) -> str:
    """The known password ``make_account`` gives ``username``."""
    return f"pw-{username}-0123456789"


def make_account(
    engine: Engine, username: str, role: str, *, streets: list[str] | None = None
) -> tuple[str, str]:
    password = password_for(username)
    with engine.begin() as conn:
        users.add_user(conn, username=username, role=role, password=password, streets=streets or [])
    return username, password


def ensure_account(
    engine: Engine, username: str, role: str, *, streets: list[str] | None = None
) -> tuple[str, str]:
    """``make_account``, or the account made by an earlier run (benchmarks reuse their database)."""
    with engine.connect() as conn:
        known = {u.username for u in users.users(conn)}
    if username in known:
        return username, password_for(username)
    return make_account(engine, username, role, streets=streets)


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def login(client: FlaskClient, username: str, password: str, *, next_path: str = "/") -> object:
    data = {"csrf": csrf_token(client), "username": username, "password": password, "next": next_path}
    return client.post("/login", data=data)


def client_for(server: Flask, account: tuple[str, str] | None = None) -> FlaskClient:
    """A test client sending our Origin; signed in as ``account`` if given."""
    client = server.test_client()
    client.environ_base["HTTP_ORIGIN"] = ORIGIN
    if account is not None:
        response = login(client, *account)
        assert response.status_code == 303, response.get_data(as_text=True)  # type: ignore[attr-defined]
    return client


def kiosk_login(client: FlaskClient, token: str) -> Any:
    """``/kiosk?token=`` as a wall screen opens it: the page, then its button (a POST)."""
    page = client.get(f"/kiosk?token={token}").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return client.post("/kiosk", data={"csrf": found.group(1), "token": token})


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value
