"""The app's pages: one registry from which the router's paths, the access rules, the
navigation bar and the README's role table are all made (``dashboard/auth/access.py``,
``dashboard/nav.py``; ``tests/test_nav.py`` compares the README with it)."""

from __future__ import annotations

from dataclasses import dataclass

from dash import html

from dashboard.bilingual import tr
from geo.users import ROLES

_EVERYONE = frozenset(ROLES)
_DESK = frozenset({"admin", "street_leader", "planner"})
_ADMIN = frozenset({"admin"})

ROLE_NAMES = {  # how a role is named on the pages (geo/users.ROLES describes each for the CLI)
    "admin": ("区级管理员", "district admin"),
    "street_leader": ("街道负责人", "street leader"),
    "planner": ("规划人员", "planner"),
    "wall_screen": ("大屏", "wall screen"),
}


@dataclass(frozen=True)
class Page:
    """A page: its key (the builders and layouts are keyed by it), the paths that show it
    (the first is its own), its titles, and the roles that may open it."""

    key: str
    paths: tuple[str, ...]
    title_zh: str
    title_en: str
    roles: frozenset[str]

    @property
    def path(self) -> str:
        return self.paths[0]


PAGES: tuple[Page, ...] = (
    Page("monitor", ("/monitor", "/"), "综治大屏", "wall screen", _EVERYONE),
    Page("map", ("/map",), "图层地图", "layer map", _DESK),
    Page("inspections", ("/inspections",), "巡查计划", "planning", frozenset({"admin", "street_leader"})),
    Page("results", ("/results",), "排查成效", "inspection results", frozenset({"admin", "street_leader"})),
    Page("coverage", ("/coverage",), "服务覆盖", "service coverage", _DESK),
    Page("audit", ("/audit",), "审计日志", "audit log", _ADMIN),
    Page("data", ("/data",), "数据上传", "uploads", _ADMIN),
)


BY_KEY = {page.key: page for page in PAGES}


def role_label(role: str) -> str:
    """The role in both languages at once (the README's role table, the command line)."""
    zh, en = ROLE_NAMES.get(role, (role, role))
    return f"{zh} {en}"


def role_text(role: str) -> html.Span:
    """The role in the page's language."""
    return tr(*ROLE_NAMES.get(role, (role, role)))
