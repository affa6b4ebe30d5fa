"""The login page, the wall screens' kiosk-token login and logout: plain Flask, no Dash, no
script, our own CSS. Every outcome goes to the audit log."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, redirect, render_template, request, session
from sqlalchemy.engine import Engine

from dashboard.auth.csrf import form_token, form_token_ok
from dashboard.auth.current import current_user
from geo import sessions, users
from geo.login_throttle import FAILED, throttled

SESSION_KEY = "sid"
PUBLIC_ENDPOINTS = frozenset({
    "auth.login", "auth.login_form", "auth.static", "auth.kiosk",
    # deliberately open: a load balancer's probes carry no session. They read no session and
    # answer only a fixed status word and reason (dashboard/ops/health.py)
    "health.healthz", "health.readyz",
})  # fmt: skip
MESSAGES = {
    "wrong": "用户名或密码错误 Wrong username or password.",
    "throttled": "尝试次数过多，请15分钟后再试 Too many attempts: try again in 15 minutes.",
    "form": "表单已过期，请重试 The form expired: please try again.",
    "kiosk": "大屏令牌无效 This kiosk token is not valid.",
}


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) is followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page(*, error: str | None = None, status: int = 200) -> tuple[str, int]:
    html = render_template(
        "gridgov_login.html",
        csrf=form_token(),
        next=_safe_next(request.values.get("next")),
        error=MESSAGES.get(error or ""),
    )
    return html, status


def _begin(engine: Engine, user: users.User, kind: str) -> None:
    """A fresh session (a new cookie: nothing from before the login carries over)."""
    with engine.begin() as conn:
        token = sessions.start(conn, user_id=user.id, kind=kind)
        users.audit(conn, user.username, "login", {"ip": request.remote_addr, "kind": kind})
    session.clear()
    session[SESSION_KEY] = token


def _fail(engine: Engine, username: str, reason: str) -> None:
    with engine.begin() as conn:
        users.audit(conn, username, FAILED, {"ip": request.remote_addr, "reason": reason})


def _check_password(engine: Engine, username: str, password: str) -> users.User | str:
    """The account, or why not (already audited)."""
    ip = request.remote_addr or ""
    with engine.begin() as conn:
        if throttled(conn, username=username, ip=ip):
            users.audit(conn, username, "login.throttled", {"ip": ip})
            return "throttled"
        user = users.verify(conn, username, password)
    if user is None or user.role == "wall_screen":  # wall screens log in by kiosk token only
        _fail(engine, username, "wrong password or unknown user" if user is None else "wall screen password")
        return "wrong"
    return user


def _login_form() -> Any:
    return _page()


def _login(engine: Engine) -> Any:
    if not form_token_ok(request.form.get("csrf")):
        return _page(error="form", status=400)
    username = request.form.get("username", "")[:64]
    outcome = _check_password(engine, username, request.form.get("password", "")[:1024])
    if isinstance(outcome, str):
        return _page(error=outcome, status=429 if outcome == "throttled" else 401)
    _begin(engine, outcome, "password")
    return redirect(_safe_next(request.form.get("next")), code=303)


def _kiosk(engine: Engine) -> Any:
    token = request.args.get("token", "")[:256]
    with engine.begin() as conn:
        if throttled(conn, username=None, ip=request.remote_addr or ""):  # by address only
            return _page(error="throttled", status=429)
        user = sessions.kiosk_user(conn, token) if token else None
    if user is None:
        _fail(engine, "(kiosk)", "unknown kiosk token")
        return _page(error="kiosk", status=401)
    _begin(engine, user, "kiosk")
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
    """``GET /login`` (the form), ``POST /login``, ``GET /kiosk?token=``, ``POST /logout`` and
    the login page's CSS under ``/auth/static/``."""
    bp = Blueprint(
        "auth", __name__, template_folder="templates", static_folder="static", static_url_path="/auth/static"
    )
    bp.add_url_rule("/login", "login_form", _login_form, methods=["GET"])
    bp.add_url_rule("/login", "login", partial(_login, engine), methods=["POST"])
    bp.add_url_rule("/kiosk", "kiosk", partial(_kiosk, engine), methods=["GET"])
    bp.add_url_rule("/logout", "logout", partial(_logout, engine), methods=["POST"])
    return bp
