"""The planning page's layout: pure functions of the data they show (no database here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from dashboard.bilingual import tr
from dashboard.dates import CHINESE_DATES
from dashboard.grids import COLUMN_DEFAULTS
from dashboard.report_menu import MenuIds, report_menu
from geo.inspection_kinds import InspectionKind
from layers.cycles import RoundCoverage
from layers.plan import Plan, PlanRequest, TeamDay
from layers.risk import FACTORS
from layers.visits import OUTCOMES

P = "ins-"
STREET, START, DAYS, TEAMS, VISITS, KINDS = (
    P + k for k in ("street", "start", "days", "teams", "visits", "kinds")
)
PLAN_BUTTON, PIN, DROP, CLEAR, CHOICE, CONFIRM = (
    P + k for k in ("plan", "pin", "drop", "clear", "choice", "confirm-drop")
)
GRID, MAP, SUMMARY, COVERAGE, MESSAGE, PLAN = (
    P + k for k in ("grid", "map", "summary", "coverage", "message", "plan-data")
)
REPORT = MenuIds.of("ins")  # the 报告 menu (dashboard/report_menu.py)
EXPORT_HTML, EXPORT_XLSX, EXPORT_PRINT, DOWNLOAD = (
    P + k for k in ("export-html", "export-xlsx", "export-print", "download")
)
R_TARGET, R_CHECKS, R_HISTORY, R_OUTCOME, R_DATE, R_DUE, R_INSPECTOR, R_NOTES, R_SAVE, R_MESSAGE, SAVED = (
    P + k
    for k in (
        "r-target",
        "r-checks",
        "r-history",
        "r-outcome",
        "r-date",
        "r-due",
        "r-inspector",
        "r-notes",
        "r-save",
        "r-message",
        "saved",
    )
)
WHY_WORDS = {  # why a stop is in the plan, in both languages
    "rectification": ("整改复查", "recheck"),
    "pinned": ("指定", "pinned"),
    "due": ("到期", "due"),
    "risk": ("高风险", "risky"),
}
WHY = {key: f"{zh} {en}" for key, (zh, en) in WHY_WORDS.items()}  # in the register (a grid of text)

COLUMNS: list[dict[str, Any]] = [
    {"field": "choice", "headerName": "安排 Choice", "width": 150, "pinned": "left"},
    {
        "field": "name",
        "headerName": "对象 Target",
        "minWidth": 220,
        "pinned": "left",
        "wrapText": True,
        "autoHeight": True,
    },
    {"field": "kind_zh", "headerName": "类型 Kind", "width": 110},
    {"field": "score", "headerName": "风险分 Score", "width": 160, "sort": "desc"},
    {"field": "why", "headerName": "风险构成 Why", "minWidth": 320, "wrapText": True, "autoHeight": True},
    {"field": "last_visit", "headerName": "上次检查 Last visit", "width": 140},
    {"field": "last_result", "headerName": "结果 Result", "width": 100},
    {"field": "due_in", "headerName": "距到期(天) Due in", "width": 120},
    {"field": "rectifications_open", "headerName": "待整改 Open", "width": 100},
    {"field": "first_deadline", "headerName": "整改期限 Deadline", "width": 130},
]


def _number(id_: str, label: html.Span, value: int, low: int, high: int) -> html.Label:
    return html.Label(
        [label, dcc.Input(id=id_, type="number", value=value, min=low, max=high, step=1, debounce=True)]
    )


def controls(
    streets: list[tuple[int, str]], *, today: dt.date, kinds: Mapping[str, InspectionKind]
) -> html.Div:
    kind_options = [{"label": tr(k.zh, k.en or k.zh), "value": key} for key, k in kinds.items()]
    return html.Div(
        [
            html.Label([tr("街道", "Street"), dcc.Dropdown(id=STREET, options=[{"label": n, "value": i} for i, n in streets],
                                                     value=streets[0][0] if streets else None, clearable=False)]),
            html.Label([tr("开始", "Start"), dcc.DatePickerSingle(id=START, date=(today + dt.timedelta(days=1)).isoformat(), **CHINESE_DATES)]),
            _number(DAYS, tr("天数", "Days"), 5, 1, 14),
            _number(TEAMS, tr("小组", "Teams"), 3, 1, 10),
            _number(VISITS, tr("每组每天", "Visits/team/day"), 12, 1, 40),
            html.Label([tr("类型", "Kinds"), dcc.Checklist(id=KINDS, options=kind_options, value=[], inline=True)]),
            html.Button(tr("规划", "Plan"), id=PLAN_BUTTON, n_clicks=0, className="primary"),
        ],
        className="ins-controls",
    )  # fmt: skip


# the grid's own words (AG Grid's are English): what an empty register means and what to do
GRID_TEXT = {
    "noRowsToShow": "尚无检查对象：选择街道后点击“规划 Plan” · No targets yet: choose a street and press Plan",
    "loadingOoo": "加载中… Loading…",
}


def register_grid() -> dag.AgGrid:
    return dag.AgGrid(
        id=GRID,
        columnDefs=COLUMNS,
        rowData=[],
        defaultColDef=COLUMN_DEFAULTS,
        dashGridOptions={
            "rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": False},
            "selectionColumnDef": {"pinned": "left", "width": 44},
            "tooltipShowDelay": 300,
            "localeText": GRID_TEXT,
        },
        getRowId="params.data.rid",
        style={"height": "420px"},
        className="ag-theme-alpine",
    )


def register_rows(
    register: Any, plan: Plan | None, kinds: Mapping[str, InspectionKind], *, request: PlanRequest
) -> list[dict[str, Any]]:
    """Rows for the grid: text fields stay text (the grid renders them as text, never HTML).
    ``recheck``: an open rectification due by the period's end (dropping it asks first)."""
    planned = {s.target: WHY.get(s.why, s.why) for r in plan.routes for s in r.stops} if plan else {}
    pinned, dropped = request.pinned, request.dropped
    end = pd.Timestamp(request.start + dt.timedelta(days=request.days - 1))
    rows = []
    for r in register.itertuples():
        deadline = pd.to_datetime(r.first_deadline)
        last = (
            r.last_visit.tz_convert("Asia/Shanghai").strftime("%Y-%m-%d")
            if hasattr(r.last_visit, "tz_convert") and not pd.isna(r.last_visit)
            else "从未 never"  # no visit: None, or NaT when another target in the register has one
        )
        choice = (
            "排除 dropped"
            if r.id in dropped
            else ("指定 pinned" if r.id in pinned else planned.get(r.id, ""))
        )
        rows.append({
            "id": int(r.id), "rid": str(r.id), "name": r.name, "kind_zh": kinds[r.kind].zh if r.kind in kinds else r.kind,
            "score": float(r.score), "why": r.why, "last_visit": last,
            "last_result": "" if r.last_passed is None or r.last_passed != r.last_passed else ("合格" if r.last_passed else "隐患"),
            "due_in": None if r.due_in != r.due_in else int(r.due_in), "rectifications_open": int(r.rectifications_open),
            "first_deadline": str(r.first_deadline) if r.first_deadline is not None and r.first_deadline == r.first_deadline else "",
            "choice": choice, "recheck": bool(not pd.isna(deadline) and deadline <= end),
        })  # fmt: skip
    return rows


STOP = "ins-stop"  # a stop in the list of a team-day (pattern id: {"type": STOP, "target": id})


def summary(plan: Plan | None) -> html.Div:
    """The plan in words: totals, what did not fit or was not needed, and each team-day's stops
    in order (a stop opens its row in the register and shows it on the map)."""
    if plan is None:
        return html.Div(tr("选择街道并点击“规划”", "Choose a street and press Plan"), className="muted")
    basis = tr("沿道路网络", "along the road network") if plan.network else tr("直线距离（未加载路网）", "straight lines: no road network loaded")  # fmt: skip
    days, stops = len(plan.routes), sum(len(r.stops) for r in plan.routes)
    head = html.P([tr(f"{days} 个组日 · {stops} 站（共 {plan.candidates} 个候选）", f"{days} team-days · {stops} stops of {plan.candidates} candidates"),
                   f" · {plan.distance_m / 1000:.1f} km · ", basis])  # fmt: skip
    missed = len(plan.missed_mandatory)
    warn = (
        [html.P(tr(f"{missed} 个必查对象未能安排：请增加小组或天数", f"{missed} mandatory visits did not fit: add teams or days"), className="warn")]
        if missed
        else []
    )  # fmt: skip
    unused = unused_team_days(plan)
    notes = [html.P(tr(*unused), className="ins-note")] if unused else []
    return html.Div([head, *warn, *notes, html.Div([_team_day(r) for r in plan.routes], className="ins-days")],
                    className="ins-summary")  # fmt: skip


def unused_team_days(plan: Plan) -> tuple[str, str] | None:
    """Why fewer team-days were planned than the days × teams asked for, in Chinese and English
    (None if all are used)."""
    request = plan.request
    asked, used = request.days * request.teams, len(plan.routes)
    if used >= asked:
        return None
    if plan.candidates == 0:
        return (f"本期无需检查的对象（无到期、整改、指定或高风险对象），{asked} 个组日均未安排",
                f"Nothing is due, to recheck, pinned or risky in these {request.days} days: none of the {asked} team-days is used")  # fmt: skip
    if not plan.left_out:
        return (f"全部 {plan.candidates} 个候选对象已安排，只需 {used}/{asked} 个组日（每组每天最多 {request.visits_per_day} 站）",
                f"All {plan.candidates} candidates fit in {used}/{asked} team-days (at most {request.visits_per_day} stops a team-day); pin more targets to use the rest")  # fmt: skip
    return (f"只用了 {used}/{asked} 个组日：其余 {len(plan.left_out)} 个可选对象风险较低，路程不值得安排；固定可强制安排",
            f"Only {used}/{asked} team-days are used: {len(plan.left_out)} optional targets were not worth the walk by their risk; pin one to have it visited")  # fmt: skip


def _team_day(route: TeamDay) -> html.Details:
    n, km, hours = len(route.stops), route.distance_m / 1000, route.minutes / 60
    line = tr(f"{route.day:%m-%d} 第{route.team}组 · {n} 站 · {km:.1f} km · {hours:.1f} 小时",
              f"{route.day:%m-%d} team {route.team} · {n} stops · {km:.1f} km · {hours:.1f} h")  # fmt: skip
    stops = [
        html.Li(html.Button([html.B(stop.name), " · ", tr(*WHY_WORDS.get(stop.why, (stop.why, stop.why))), html.Span(f" {stop.address or ''}", className="muted")],
                            id={"type": STOP, "target": stop.target}, n_clicks=0, className="ins-stop"))
        for stop in route.stops
    ]  # fmt: skip
    return html.Details([html.Summary(line), html.Ol(stops)], open=True)


def coverage(rounds: list[RoundCoverage], kinds: Mapping[str, InspectionKind]) -> html.Div:
    items = []
    for c in rounds:
        kind = kinds[c.kind].zh if c.kind in kinds else c.kind
        missing = "、".join(n for _, n in c.missing[:5]) + (" …" if len(c.missing) > 5 else "")
        when = f" {c.start:%m-%d}–{c.end:%m-%d}"
        left: list[Any] = (
            [" ", tr("未查：", "not yet visited: "), missing]
            if missing
            else [" ", tr("全部完成", "all done")]
        )
        items.append(html.Li([html.B(f"{kind} {c.visited}/{c.due}"), " ", tr("本轮", "this round"), when,
                              html.Span(left, className="muted")]))  # fmt: skip
    return html.Div([html.H3(tr("本轮覆盖", "Round coverage")), html.Ul(items)], className="ins-coverage")


def record_form(*, today: dt.date) -> html.Div:
    outcomes = [{"label": tr(zh, en), "value": key} for key, (zh, en) in OUTCOMES.items()]
    return html.Div(
        [
            html.H3(tr("记录检查", "Record a visit")),
            dcc.Dropdown(id=R_TARGET, options=[], placeholder="对象 target"),
            html.Div(id=R_HISTORY, className="ins-history"),
            html.Fieldset(
                [
                    html.Legend(tr("检查项：勾选有问题的项", "Checklist: tick the items with a problem")),
                    dcc.Checklist(id=R_CHECKS, options=[], value=[], className="ins-checks"),
                ]
            ),
            dcc.RadioItems(id=R_OUTCOME, options=outcomes, value="passed", inline=True),
            html.Label(
                [
                    tr("日期", "Date"),
                    dcc.DatePickerSingle(id=R_DATE, date=today.isoformat(), **CHINESE_DATES),
                ]
            ),
            html.Label([tr("整改期限", "Due"), dcc.DatePickerSingle(id=R_DUE, **CHINESE_DATES)]),
            dcc.Input(
                id=R_INSPECTOR, placeholder="检查人（必填）inspector (required)", maxLength=100, required=True
            ),
            dcc.Textarea(id=R_NOTES, placeholder="情况说明 notes", maxLength=4000),
            html.Div(
                [
                    html.Button(tr("保存", "Save"), id=R_SAVE, n_clicks=0, className="primary"),
                    html.Div(id=R_MESSAGE, role="status"),
                ],
                className="ins-save",
            ),
        ],
        className="ins-record",
    )


def visit_history(visits: list[dict[str, Any]]) -> list[Any]:
    """The target's latest visits under its name: date, result, who, the items with a problem."""
    if not visits:
        return [html.Small(tr("尚无检查记录", "No visit recorded yet"), className="muted")]
    rows = []
    for v in visits:
        zh, en = OUTCOMES.get(str(v["outcome"]), (str(v["outcome"]), str(v["outcome"])))
        problems = [
            f["item"] for f in v.get("findings") or [] if isinstance(f, dict) and not f.get("ok", True)
        ]
        rows.append(html.Li([f"{v['inspected_at']:%Y-%m-%d} ", html.B(tr(zh, en)), f" · {v['inspector'] or '—'}",
                             html.Span(" · " + "、".join(problems), className="bad") if problems else ""]))  # fmt: skip
    return [html.Small(tr("最近检查", "Latest visits")), html.Ul(rows)]


def saved(target: str, day: str) -> html.Div:
    """The confirmation after a visit is recorded: large, green, beside the button."""
    return html.Div(["✓ ", tr("已保存", "Saved"), f": {target} · {day}"], className="ins-ok")


def refused(message: str) -> html.Div:
    return html.Div(f"⚠ {message}", className="ins-error")


def drop_question(names: list[str]) -> str:
    """What the dialog asks before rechecks due in the period are dropped."""
    listed = "、".join(names[:5]) + (f" 等 {len(names)} 个" if len(names) > 5 else "")
    return (f"{listed} 有到期的整改复查，排除后本期将不安排复查。确定排除吗？\n"
            f"{len(names)} selected target(s) have a rectification recheck due in this period. Drop anyway?")  # fmt: skip


def page(
    streets: list[tuple[int, str]],
    *,
    today: dt.date,
    kinds: Mapping[str, InspectionKind],
    notice: html.Div | None = None,
) -> html.Div:
    """The planning page; ``notice``, what is still to load, under its heading."""
    legend, legend_en = (
        " · ".join(zh for zh, _ in FACTORS.values()),
        " · ".join(en for _, en in FACTORS.values()),
    )
    return html.Div(
        [
            html.H1(tr("排查计划", "Inspection planning")),
            notice,
            controls(streets, today=today, kinds=kinds),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div([html.H3(tr("风险台账", "Risk register")), html.Span(tr(f"评分因素：{legend}", f"Scored by: {legend_en}"), className="muted")]),
                            html.Div([html.Button(tr("固定", "Pin"), id=PIN, n_clicks=0), html.Button(tr("排除", "Drop"), id=DROP, n_clicks=0),
                                      html.Button(tr("清除", "Clear"), id=CLEAR, n_clicks=0)], className="ins-buttons"),
                            register_grid(),
                            html.Div(id=COVERAGE),
                            record_form(today=today),
                        ],
                        className="ins-left",
                    ),
                    html.Div(
                        [
                            dcc.Graph(id=MAP, figure={"data": [], "layout": {}}, style={"height": "560px"}, config={"displaylogo": False}),
                            html.Div(id=SUMMARY, children=summary(None)),
                            html.Div([html.Button(tr("导出地图 HTML", "Export HTML map"), id=EXPORT_HTML, n_clicks=0),
                                      html.Button(tr("导出 Excel", "Export Excel"), id=EXPORT_XLSX, n_clicks=0),
                                      html.Button(tr("打印 A4", "Print A4"), id=EXPORT_PRINT, n_clicks=0),
                                      report_menu(REPORT)], className="ins-buttons"),
                            html.Div(id=MESSAGE, className="muted"),
                        ],
                        className="ins-right",
                    ),
                ],
                className="ins-body",
            ),
            dcc.Store(id=CHOICE, data={"pinned": [], "dropped": []}),
            dcc.ConfirmDialog(id=CONFIRM),
            dcc.Store(id=PLAN),
            dcc.Store(id=SAVED, data=0),
            dcc.Download(id=DOWNLOAD),
        ],
        className="ins-page",
    )  # fmt: skip
