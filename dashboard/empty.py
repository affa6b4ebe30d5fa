"""A page's empty state: what it still needs loaded and the command that loads it, and what it
does without the optional parts (pure: built from :mod:`layers.readiness`)."""

from __future__ import annotations

from dash import html

from layers.inventory import Presence
from layers.readiness import NEEDS, Readiness, readiness

EMPTY_STATE = "empty-state"  # the notice's class (no id: every page may show one)


def _missing(readiness_: Readiness, presence: Presence) -> list[html.Li]:
    items = []
    for need in readiness_.missing:
        levels = f"（缺 missing: {', '.join(presence.missing_levels)}）" if need.key == "boundaries" else ""
        items.append(html.Li([f"尚未加载{need.zh}{levels} · no {need.en} loaded yet. 加载 Load: ",
                              html.Code(need.command)]))  # fmt: skip
    return items


def _degraded(readiness_: Readiness) -> list[html.Li]:
    items = []
    for f in readiness_.degraded:
        need = NEEDS[f.need]
        text = f"{f.without_zh}：未加载{need.zh} · {f.without_en}: no {need.en} loaded (加载 load: "
        items.append(html.Li([text, html.Code(need.command), ")"]))
    return items


def empty_state(page: str, presence: Presence) -> html.Div | None:
    """The notice for ``page`` (a key of ``layers.readiness.PAGES``), None when all is loaded."""
    state = readiness(page, presence)
    missing, degraded = _missing(state, presence), _degraded(state)
    if not missing and not degraded:
        return None
    head = "此页还缺数据 This page needs data" if missing else "部分数据未加载 Some data is not loaded"
    return html.Div([html.Strong(head), html.Ul(missing + degraded)], className=EMPTY_STATE)
