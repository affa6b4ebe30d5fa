"""What the router shows instead of a page: "no access" (which roles may open the page and
whom to ask) and "not found" (the pages this account may open)."""

from __future__ import annotations

from dash import dcc, html

from dashboard.bilingual import tr
from dashboard.pages import PAGES, ROLE_NAMES, Page


def no_access(page: Page, *, role: str | None) -> html.Div:
    """The refusal for ``page``: which roles may open it, and whom to ask."""
    zh_roles = "、".join(ROLE_NAMES.get(r, (r, r))[0] for r in sorted(page.roles))
    en_roles = ", ".join(ROLE_NAMES.get(r, (r, r))[1] for r in sorted(page.roles))
    mine_zh, mine_en = ROLE_NAMES.get(role, (role, role)) if role else ("—", "—")
    return _card(
        tr("无权访问", "No access"),
        [
            html.P(tr(f"“{page.title_zh}”仅限以下角色：{zh_roles}。", f"“{page.title_en}” is open to: {en_roles}.")),
            html.P(tr(f"当前账号的角色：{mine_zh}。如需访问，请联系区级管理员调整账号角色（gridgov users set-role）。",
                      f"This account's role: {mine_en}. Ask your district admin to change it (gridgov users set-role).")),
        ],
        role=role,
    )  # fmt: skip


def not_found(*, role: str | None) -> html.Div:
    return _card(tr("404 页面不存在", "404 Page not found"), [html.P(tr("此地址没有页面。", "There is no page at this address."))], role=role)  # fmt: skip


def _card(title: html.Span, text: list[html.P], *, role: str | None) -> html.Div:
    links = [dcc.Link(tr(p.title_zh, p.title_en), href=p.path) for p in PAGES if role in p.roles]
    more = [html.H2(tr("可打开的页面", "Pages you may open")), html.Ul([html.Li(link) for link in links])]
    return html.Div(html.Div([html.H1(title), *text, *(more if links else [])], className="refusal-card"),
                    className="not-found")  # fmt: skip
