"""The navigation bar over every page: the pages the account's role may open (links that
change the page without a reload), the signed-in account and its role, the language switch of
the work pages (dashboard/bilingual.py), and logout. A wall
screen's kiosk has none: no buttons on the big screen."""

from __future__ import annotations

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.bilingual import lang_button, tr
from dashboard.pages import PAGES, role_text
from geo.users import User

LOGOUT = "logout"


def nav_items(user: User | None, *, current: str | None, kiosk: bool, centre: str) -> list[Component]:
    """The bar's children for ``user`` on page ``current`` (a page key); empty (the bar hidden)
    without an account, in a kiosk and for a wall-screen account."""
    if user is None or kiosk or user.role == "wall_screen":
        return []
    links = [
        dcc.Link(tr(page.title_zh, page.title_en), href=page.path,
                 className="nav-link current" if page.key == current else "nav-link")
        for page in PAGES
        if user.role in page.roles
    ]  # fmt: skip
    who = html.Span([html.B(user.username), " · ", role_text(user.role)], className="nav-user")
    switch = [] if current == "monitor" else [lang_button()]  # the wall screen has its own
    return [
        html.Span(centre, className="nav-brand"),
        html.Div(links, className="nav-links"),
        who,
        *switch,
        _logout(),
    ]


def _logout() -> html.Form:
    """A plain form POST: no script; the gate checks its origin."""
    button = html.Button(tr("退出", "Log out"), type="submit", id=LOGOUT)
    return html.Form(button, action="/logout", method="POST", className="logout")
