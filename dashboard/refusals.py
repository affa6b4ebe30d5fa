"""What the router shows instead of a page: "no access" (which roles may open the page and
whom to ask) and "not found" (the pages this account may open)."""

from __future__ import annotations

from dash import dcc, html

from dashboard.pages import PAGES, Page, role_label


def no_access(page: Page, *, role: str | None) -> html.Div:
    """The refusal for ``page``: which roles may open it, and whom to ask."""
    roles = "、".join(role_label(r) for r in sorted(page.roles))
    return _card(
        "无权访问 No access",
        [
            html.P(f"“{page.title_zh} {page.title_en}” 仅限以下角色 (open to): {roles}。"),
            html.P(
                f"当前账号的角色 (this account's role): {role_label(role) if role else '—'}。"
                "如需访问，请联系区级管理员调整账号角色 (ask your district admin to change the role: "
                "gridgov users set-role)。"
            ),
        ],
        role=role,
    )


def not_found(*, role: str | None) -> html.Div:
    return _card("404 页面不存在", [html.P("Page not found: 此地址没有页面。")], role=role)


def _card(title: str, text: list[html.P], *, role: str | None) -> html.Div:
    links = [dcc.Link(f"{p.title_zh} {p.title_en}", href=p.path) for p in PAGES if role in p.roles]
    more = [html.H2("可打开的页面 Pages you may open"), html.Ul([html.Li(link) for link in links])]
    return html.Div(html.Div([html.H1(title), *text, *(more if links else [])], className="refusal-card"),
                    className="not-found")  # fmt: skip
