"""A page's empty state: what it still needs loaded and the command that loads it, and what it
does without the optional parts (pure: built from :mod:`layers.readiness`)."""

from __future__ import annotations

from dash import html

from dashboard.bilingual import tr
from layers.inventory import Presence
from layers.readiness import NEEDS, Readiness, readiness

EMPTY_STATE = "empty-state"  # the notice's class (no id: every page may show one)


def _missing(readiness_: Readiness, presence: Presence) -> list[html.Li]:
    items = []
    for need in readiness_.missing:
        levels = ", ".join(presence.missing_levels) if need.key == "boundaries" else ""
        zh = f"尚未加载{need.zh}" + (f"（缺：{levels}）" if levels else "") + "。加载："
        en = f"No {need.en} loaded yet" + (f" (missing: {levels})" if levels else "") + ". Load: "
        items.append(html.Li([tr(zh, en), html.Code(need.command)]))
    return items


def _degraded(readiness_: Readiness) -> list[html.Li]:
    items = []
    for f in readiness_.degraded:
        need = NEEDS[f.need]
        text = tr(f"{f.without_zh}：未加载{need.zh}（加载：", f"{f.without_en}: no {need.en} loaded (load: ")
        items.append(html.Li([text, html.Code(need.command), ")"]))
    return items


def empty_state(page: str, presence: Presence) -> html.Div | None:
    """The notice for ``page`` (a key of ``layers.readiness.PAGES``), None when all is loaded."""
    state = readiness(page, presence)
    missing, degraded = _missing(state, presence), _degraded(state)
    if not missing and not degraded:
        return None
    head = (
        tr("此页还缺数据", "This page needs data")
        if missing
        else tr("部分数据未加载", "Some data is not loaded")
    )
    return html.Div([html.Strong(head), html.Ul(missing + degraded)], className=EMPTY_STATE)
