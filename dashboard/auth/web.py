"""The login page, the wall screens' kiosk-token login and logout: plain Flask, no Dash, no
script, our own CSS. Every outcome goes to the audit log; failures are throttled per
(username, address) in the same transaction as the check (``geo/login_throttle.py``)."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, redirect, render_template, request, session
from sqlalchemy.engine import Connection, Engine

from dashboard.auth.csrf import form_token, form_token_ok
from dashboard.auth.current import current_user
from geo import sessions, users
from geo.login_throttle import FAILED, Key, Refused, guarded

SESSION_KEY = "sid"
PUBLIC_ENDPOINTS = frozenset({
    "auth.login", "auth.login_form", "auth.static", "auth.kiosk", "auth.kiosk_form",
    # deliberately open: a load balancer's probes carry no session. They read no session and
    # answer only a fixed status word and reason (dashboard/ops/health.py)
    "health.healthz", "health.readyz",
})  # fmt: skip
MESSAGES = {
    "wrong": "用户名或密码错误 Wrong username or password.",
    "throttled": "尝试次数过多，请稍后再试 Too many failed attempts: wait a few minutes and try again.",
    "form": "表单已过期，请重试 The form expired: please try again.",
    "kiosk": "大屏令牌无效 This kiosk token is not valid.",
}


def _safe_next(target: str | None) -> str:
    """Only a path on this site is followed after login: one ``/`` and a path, in the form given
    and percent-decoded (again and again): never ``//`` or a backslash at the start (a browser
    reads both as another host), and no backslash, whitespace or control character anywhere
    (browsers drop tabs and newlines from a URL, so ``/<TAB>/evil.example`` becomes
    ``//evil.example``)."""
    if not target or len(target) > 2048:
        return "/"
    forms = [target]
    while len(forms) < 4 and unquote(forms[-1]) != forms[-1]:
        forms.append(unquote(forms[-1]))
    settled = unquote(forms[-1]) == forms[-1]  # not encoded over and over
    return target if settled and all(_local_path(form) for form in forms) else "/"


def _local_path(path: str) -> bool:
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and path.isprintable()
        and not any(ch.isspace() for ch in path)
    )


def _page(*, error: str | None = None, status: int = 200) -> tuple[str, int]:
    html = render_template(
        "gridgov_login.html",
        csrf=form_token(),
        next=_safe_next(request.values.get("next")),
        error=MESSAGES.get(error or ""),
    )
    return html, status


def _throttled(refused: Refused) -> Any:
    html, status = _page(error="throttled", status=429)
    return html, status, {"Retry-After": str(max(1, round(refused.retry_after.total_seconds())))}


def _begin(engine: Engine, user: users.User, kind: str, *, opened_with: str | None = None) -> None:
    """A fresh session (a new cookie: nothing from before the login carries over)."""
    with engine.begin() as conn:
        token = sessions.start(conn, user_id=user.id, kind=kind, opened_with=opened_with)
        users.audit(conn, user.username, "login", {"ip": request.remote_addr, "kind": kind})
    session.clear()
    session[SESSION_KEY] = token


def _password_user(conn: Connection, username: str, password: str, why: list[str]) -> users.User | None:
    user = users.verify(conn, username, password)
    if user is not None and user.role == "wall_screen":  # wall screens log in by kiosk token only
        why[0] = "wall screen password"
        return None
    return user


def _check_password(engine: Engine, username: str, password: str) -> users.User | Refused | None:
    """The account; Refused while this username and address must wait; None (audited) if wrong."""
    ip, why = request.remote_addr or "", ["wrong password or unknown user"]
    with engine.begin() as conn:
        outcome = guarded(
            conn, Key.login(username, ip), lambda: _password_user(conn, username, password, why)
        )
        if outcome is None:
            users.audit(conn, username, FAILED, {"ip": ip, "reason": why[0]})
    return outcome


def _login_form() -> Any:
    return _page()


def _login(engine: Engine) -> Any:
    if not form_token_ok(request.form.get("csrf")):
        return _page(error="form", status=400)
    username = request.form.get("username", "")[:64].replace("\x00", "")  # text cannot hold NUL
    outcome = _check_password(engine, username, request.form.get("password", "")[:1024])
    if isinstance(outcome, Refused):
        return _throttled(outcome)
    if outcome is None:
        return _page(error="wrong", status=401)
    _begin(engine, outcome, "password")
    return redirect(_safe_next(request.form.get("next")), code=303)


def _kiosk_form() -> Any:
    """``GET /kiosk?token=``: a page whose button posts the token. A bare link logs nobody in,
    so a page elsewhere cannot sign a browser in to a wall screen's session (login CSRF)."""
    token = request.args.get("token", "")[:256]
    return render_template("gridgov_kiosk.html", csrf=form_token(), token=token)


def _kiosk(engine: Engine) -> Any:
    if not form_token_ok(request.form.get("csrf")):
        return _page(error="form", status=400)
    token, ip = request.form.get("token", "")[:256].replace("\x00", ""), request.remote_addr or ""
    with engine.begin() as conn:
        outcome = guarded(conn, Key.kiosk(ip), lambda: sessions.kiosk_user(conn, token) if token else None)
        if outcome is None:
            users.audit(conn, "(kiosk)", FAILED, {"ip": ip, "reason": "unknown kiosk token"})
    if isinstance(outcome, Refused):
        return _throttled(outcome)
    if outcome is None:
        return _page(error="kiosk", status=401)
    _begin(engine, outcome, "kiosk", opened_with=sessions.token_hash(token))
    return redirect("/monitor?kiosk=1", code=303)  # the token leaves the address bar


def _logout(engine: Engine) -> Any:
    """Behind the gate: only a signed-in, same-origin request gets here."""
    token, user = session.get(SESSION_KEY), current_user()
    with engine.begin() as conn:
        if isinstance(token, str):
            sessions.end(conn, token)
        users.audit(conn, user.username if user else None, "logout", {"ip": request.remote_addr})
    session.clear()
    return redirect("/login", code=303)


def auth_blueprint(engine: Engine) -> Blueprint:
    """``GET /login`` (the form), ``POST /login``, ``GET /kiosk?token=`` (a page with a button),
    ``POST /kiosk``, ``POST /logout`` and the login page's CSS under ``/auth/static/``."""
    bp = Blueprint(
        "auth", __name__, template_folder="templates", static_folder="static", static_url_path="/auth/static"
    )
    bp.add_url_rule("/login", "login_form", _login_form, methods=["GET"])
    bp.add_url_rule("/login", "login", partial(_login, engine), methods=["POST"])
    bp.add_url_rule("/kiosk", "kiosk_form", _kiosk_form, methods=["GET"])
    bp.add_url_rule("/kiosk", "kiosk", partial(_kiosk, engine), methods=["POST"])
    bp.add_url_rule("/logout", "logout", partial(_logout, engine), methods=["POST"])
    return bp
