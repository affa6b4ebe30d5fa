"""A page's empty state: what it still needs loaded and the command that loads it, and what it
does without the optional parts (pure: built from :mod:`layers.readiness`)."""

from __future__ import annotations

import datetime as dt

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


def calendar_texts(first: dt.date) -> tuple[str, str]:
    """What admins must know when deadlines from ``first`` are provisional, and what to do, in
    Chinese and English."""
    return (
        f"{first.year}年节假日安排尚未载入：{first:%Y-%m-%d} 起的办理期限按法定节假日暂定（不含调休）。"
        "国务院通知发布后，请将放假和调休日期填入区配置文件 [sla] 的 extra_holidays / extra_workdays，"
        "再运行 gridgov sla apply。",
        f"The holiday arrangements for {first.year} are not loaded yet: deadlines from {first:%Y-%m-%d} "
        "count the statutory holidays only, provisionally (no make-up working days). When the State "
        "Council's notice is out, put its days off and make-up days in the district file's [sla] "
        "extra_holidays / extra_workdays and run gridgov sla apply.",
    )
