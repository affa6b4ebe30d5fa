"""The coverage page's layout: pure functions of the data they show (no database here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from dash import dcc, html

from dashboard.bilingual import tr
from dashboard.coverage.views import Compared
from dashboard.dates import CHINESE_DATES
from geo.populations import POPULATIONS
from layers.coverage import LIFE_CIRCLES, life_circle, walk_words
from layers.scenarios import Scenario
from layers.service_load import Load
from layers.suggest import Suggestion

P = "cov-"
APPLY, APPLY_ALL = (
    P + "apply",
    P + "apply-all",
)  # a suggestion (pattern id: {"type": APPLY, "n": i}), all of them
TYPE, VALUE, UNIT, MAP, KPIS, WORST, STREETS, MESSAGE, WHATIF = (
    P + k for k in ("type", "value", "unit", "map", "kpis", "worst", "streets", "message", "whatif")
)
K, SITES, SUGGEST, SUGGESTIONS, SUGGESTED, RESET = (
    P + k for k in ("k", "sites", "suggest", "suggestions", "suggested", "reset")
)
ON = P + "on"  # 截至: the day whose serving points count (none: today)
(
    SC_NAME,
    SC_SAVE,
    SC_LIST,
    SC_LOAD,
    SC_DELETE,
    SC_A,
    SC_B,
    SC_COMPARE,
    SC_RESULT,
    SC_EXPORT,
    SC_MESSAGE,
    SC_VERSION,
) = (
    P + "sc-" + k
    for k in (
        "name",
        "save",
        "list",
        "load",
        "delete",
        "a",
        "b",
        "compare",
        "result",
        "export",
        "message",
        "version",
    )
)  # saved scenarios (方案)
CIRCLE = P + "circle"  # a life circle's button (pattern id: {"type": CIRCLE, "m": its metres})
EXPORT_GEOJSON, EXPORT_XLSX, EXPORT_HTML, DOWNLOAD = (
    P + k for k in ("export-geojson", "export-xlsx", "export-html", "download")
)


def _pct(x: float) -> str:
    return "—" if x != x else f"{x:.1%}"


def kpis(
    share: float,
    before: float | None,
    villages: pd.DataFrame,
    *,
    along_network: bool,
    metres: float,
    unit: str = "m",
    counted: str = "residents",
    serves: str = "residents",
) -> html.Div:
    residents = float(villages["residents"].sum())
    gained = None if before is None else f"{(share - before) * residents:+,.0f}"
    change: list[Any] = (
        [] if gained is None else [" (", tr(f"{gained} 人，含假设", f"{gained} people, what-if"), ")"]
    )
    who = POPULATIONS[counted]
    by = {bool(r.village): r for r in villages.itertuples()}
    side = [html.Span([tr(*label), f" {_pct(by[v].share) if v in by else '—'}"], className="cov-side")
            for v, label in ((False, ("城市社区", "urban")), (True, ("农村", "villages")))]  # fmt: skip
    basis = tr("沿步行路网", "along the walking network") if along_network else tr("直线距离（未加载路网）", "straight lines: no network loaded")  # fmt: skip
    walk = tr(walk_words(metres, unit=unit), walk_words(metres, unit=unit, lang="en"))
    circle = life_circle(metres)
    standard: list[Any] = []
    if circle is not None:
        standard = [" · ", tr(f"GB 50180-2018 {circle.name()}", f"GB 50180-2018 {circle.name('en')}")]
    return html.Div(
        [html.Div([html.B([tr(f"覆盖{who.zh}", f"{who.en.capitalize()} covered"), " "]), html.Span([_pct(share), *change], id=P + "share")]),
         html.Div(side), html.Div([walk, *standard, " · ", basis], className="muted"), weighting(counted, serves)],
        className="cov-kpis",
    )  # fmt: skip


def weighting(counted: str, serves: str) -> html.Div:
    """Who the shares count, and why (the type's group, or residents where the buildings lack it)."""
    group, used = POPULATIONS[serves], POPULATIONS[counted]
    if counted == serves:
        words = tr(f"按{used.zh}计（本类服务的对象）", f"Counted in {used.en} (whom this type serves)")
    else:
        words = tr(
            f"按{used.zh}计：楼栋数据缺少{group.zh}", f"Counted in {used.en}: the buildings lack {group.en}"
        )
    return html.Div(words, className="muted cov-weighting")


def load_table(load: Load | None, *, counted: str, top: int = 10) -> html.Div | None:
    """The points whose staff serve the most people each, the overloaded ones marked; the rule."""
    if load is None or load.table.empty:
        return None
    who = POPULATIONS[counted]
    limit = "—" if load.limit is None else f"{load.limit:,.0f}"
    rule = (tr(f"标准：每名工作人员服务不超过 {limit} 人", f"Norm: at most {limit} people per member of staff")
            if load.rule == "norm" else
            tr(f"未设标准：超过同类中位数两倍（{limit} 人）为超负荷", f"No norm set: over twice the median ({limit} people) is overloaded"))  # fmt: skip
    title = tr(f"服务负荷（{who.zh}/工作人员）：超负荷 {load.overloaded} 处", f"Load ({who.en} per staff): {load.overloaded} overloaded")  # fmt: skip
    rows = [html.Tr([html.Td(str(r.name)), html.Td(f"{r.people:,.0f}"), html.Td("—" if r.staff != r.staff else f"{r.staff:,.0f}"),
                     html.Td("—" if r.per_staff != r.per_staff else f"{r.per_staff:,.0f}")],
                    className="cov-over" if r.overloaded else None) for r in load.table.head(top).itertuples()]  # fmt: skip
    head = html.Tr([html.Th(tr(*h)) for h in (("服务点", "Point"), ("服务人数", "People"), ("工作人员", "Staff"), ("人均负荷", "Per staff"))])  # fmt: skip
    return html.Div(
        [html.H3(title), html.P(rule, className="muted"), html.Table([head, *rows])],
        className="cov-table cov-load",
    )


def units_table(frame: pd.DataFrame, *, title: html.Span, top: int = 15) -> html.Div:
    rows = [
        html.Tr(
            [
                html.Td(str(r.name)),
                html.Td(f"{r.residents:,.0f}"),
                html.Td(f"{r.beyond:,.0f}"),
                html.Td(_pct(r.share)),
            ]
        )
        for r in frame.head(top).itertuples()
    ]
    head = html.Tr(
        [
            html.Th(tr(*h))
            for h in (("名称", "Name"), ("人数", "People"), ("超出", "Beyond"), ("覆盖", "Covered"))
        ]
    )
    return html.Div([html.H3(title), html.Table([head, *rows])], className="cov-table")


LEVEL_NAMES = {"street": ("街道", "street"), "community": ("社区", "community"), "village": ("村", "village")}


def without_table(missing: pd.DataFrame, *, levels: Sequence[str]) -> html.Div | None:
    """The units that should each have a point of the type and have none (None when the type
    sets no such rule)."""
    if not levels:
        return None
    wanted = "、".join(LEVEL_NAMES[lv][0] for lv in levels), ", ".join(LEVEL_NAMES[lv][1] for lv in levels)
    title = tr(f"没有本级服务点的单位（应每个{wanted[0]}一处）：{len(missing)}",
               f"Units without a point of their own (one per {wanted[1]}): {len(missing)}")  # fmt: skip
    if missing.empty:
        return html.Div([html.H3(title), html.P(tr("全部覆盖", "Every unit has its own"), className="muted")])
    rows = [html.Tr([html.Td(tr(*LEVEL_NAMES[r.level])), html.Td(str(r.name)), html.Td(str(r.street))])
            for r in missing.itertuples()]  # fmt: skip
    head = html.Tr([html.Th(tr(*h)) for h in (("级别", "Level"), ("名称", "Name"), ("街道", "Street"))])
    return html.Div([html.H3(title), html.Table([head, *rows])], className="cov-table cov-without")


def suggestion_table(s: Suggestion, labels: list[str], *, left_out: int = 0) -> html.Div:
    """The chosen sites with their gains; how many candidates were left out for a point of the
    type already standing there, and a plain answer when none is left."""
    skipped = html.P(tr(f"已排除 {left_out} 个已有该类服务点的候选位置", f"{left_out} candidate sites already have a point of this type and were left out"), className="muted") if left_out else None  # fmt: skip
    if not labels:
        none = tr(
            "没有可选的新位置：所有候选位置已有该类服务点，请改选“任意楼栋”",
            "No new site is left among these candidates: choose “any building”",
        )
        return html.Div([html.P(none), skipped])
    rows = [
        html.Tr([html.Td(n), html.Td(labels[j]), html.Td(f"+{g:,.0f}"),
                 html.Td(html.Button(tr("采纳", "Apply"), id={"type": APPLY, "n": n - 1}, n_clicks=0, className="cov-apply"))])
        for n, (j, g) in enumerate(zip(s.chosen, s.gains, strict=True), 1)
    ]  # fmt: skip
    note = tr(f"求解 HiGHS（spopt 最大覆盖模型）：{s.status}，间隙 {s.gap:.2%} · 选址后覆盖 {_pct(s.covered_after)} · "
              f"全覆盖最少需新增 {s.minimum_points} 处（集合覆盖模型）· 任何候选都够不到 {s.unreachable:,.0f} 人",
              f"Solved by HiGHS via spopt (maximal covering): {s.status}, gap {s.gap:.2%} · covered after: {_pct(s.covered_after)} · "
              f"full coverage needs at least {s.minimum_points} new points (set covering) · {s.unreachable:,.0f} residents out of reach of any candidate")  # fmt: skip
    head = html.Tr(
        [html.Th(h) for h in (tr("序号", "No."), tr("候选点", "Site"), tr("新增覆盖", "Gain"), "")]
    )
    return html.Div([html.Table([head, *rows]), html.P(note, className="muted"), skipped])


LEGEND = (  # the map's symbols (dashboard/coverage/figures.py), in the page's words
    ("#1f4e99", "dot", ("服务点（点击移除）", "service point (click to remove)")),
    ("#8e24aa", "dot", ("超负荷服务点", "overloaded point")),
    ("#aaaaaa", "dot", ("已移除", "removed")),
    ("#2ca02c", "dot", ("新增（假设）", "what-if")),
    ("#ff7f0e", "dot", ("建议点位（编号）", "suggested (numbered)")),
    ("#d62728", "dot", ("步行范围外楼栋", "building out of reach")),
    ("#9fb3c8", "dot", ("楼栋（点击添加假设点）", "building (click to add a what-if)")),
    ("#1f77b4", "line", ("服务范围", "catchment")),
    ("#555555", "line", ("街道界线", "street boundary")),
    ("#d95f02", "outline", ("无本级服务点的单位", "units without a point of their own")),
)


def legend() -> html.Div:
    return html.Div(
        [
            html.Div([html.I(className=shape, style=_swatch(colour, shape)), tr(*label)])
            for colour, shape, label in LEGEND
        ],
        className="cov-legend",
    )


def _swatch(colour: str, shape: str) -> dict[str, str]:
    """A dot or line filled with ``colour``; an outline (dashed, lightly tinted) drawn in it."""
    return {"borderColor": colour} if shape == "outline" else {"background": colour}


def circle_buttons() -> html.Div:
    """The life circles of GB 50180-2018 as thresholds to pick (each sets its walking distance)."""
    buttons = [
        html.Button([tr(c.name(), c.name("en")), f" {c.distance()}"], id={"type": CIRCLE, "m": c.high_m},
                    n_clicks=0, className="cov-circle", title="GB 50180-2018 表 3.0.4")
        for c in LIFE_CIRCLES
    ]  # fmt: skip
    return html.Div([tr("生活圈", "Life circles"), *buttons], className="cov-circles")


def page(types: list[dict[str, str]], *, default: str | None, notice: html.Div | None = None) -> html.Div:
    """The coverage page; ``notice``, what is still to load, under its heading."""
    return html.Div(
        [
            html.H1(tr("服务覆盖", "Service coverage")),
            notice,
            html.Div([
                html.Label([tr("服务类型", "Type"), dcc.Dropdown(id=TYPE, options=types, value=default, clearable=False)]),
                html.Label([tr("阈值", "Threshold"), dcc.Input(id=VALUE, type="number", value=1000, min=1, max=5000, debounce=True)]),
                dcc.RadioItems(id=UNIT, options=[{"label": tr("米", "m"), "value": "m"}, {"label": tr("分钟", "min"), "value": "min"}], value="m", inline=True),
                circle_buttons(),
                html.Label([tr("截至", "As of"), dcc.DatePickerSingle(id=ON, placeholder="今天 today", clearable=True, **CHINESE_DATES)],
                           title="服务点按启用、停用日期计入 points count from the day they open until the day they close"),
                html.Button(tr("撤销假设", "Reset what-if"), id=RESET, n_clicks=0),
            ], className="ins-controls"),
            html.Div([
                html.Div([
                    html.Div(id=KPIS),
                    html.P(tr("点击楼栋添加假设服务点，点击服务点将其移除", "Click a building to add a what-if point there, a point to remove it"), className="muted"),
                    html.Div([dcc.Graph(id=MAP, figure={"data": [], "layout": {}}, style={"height": "640px"}, config={"displaylogo": False}),
                              legend()], className="cov-map-box"),
                    html.Div([html.Button(tr("导出 GeoJSON", "Export GeoJSON"), id=EXPORT_GEOJSON, n_clicks=0), html.Button(tr("导出 Excel", "Export Excel"), id=EXPORT_XLSX, n_clicks=0),
                              html.Button(tr("导出地图 HTML", "Export HTML map"), id=EXPORT_HTML, n_clicks=0)], className="ins-buttons"),
                    html.Div(id=MESSAGE, className="muted"),
                ], className="ins-right"),
                html.Div([
                    html.Div(id=WORST), html.Div(id=STREETS),
                    html.H3(tr("建议选址", "Suggest sites")),
                    html.Div([html.Label([tr("新增", "New points"), " k", dcc.Input(id=K, type="number", value=5, min=1, max=20)]),
                              dcc.RadioItems(id=SITES, options=[{"label": tr("社区办公点", "community offices"), "value": "offices"},
                                                               {"label": tr("任意楼栋", "any building"), "value": "buildings"}], value="offices"),
                              html.Button(tr("计算", "Suggest"), id=SUGGEST, n_clicks=0, className="primary")], className="ins-controls"),
                    dcc.Loading(html.Div(id=SUGGESTIONS)),
                    html.Button(tr("全部采纳为假设", "Apply all as what-ifs"), id=APPLY_ALL, n_clicks=0),
                    scenarios_panel(),
                ], className="ins-left"),
            ], className="cov-body"),
            dcc.Store(id=WHATIF, data={"added": [], "removed": []}),
            dcc.Store(id=SUGGESTED),
            dcc.Store(id=SC_VERSION, data=0),
            dcc.Download(id=DOWNLOAD),
        ],
        className="ins-page",
    )  # fmt: skip


def scenarios_panel() -> html.Div:
    """Save the what-if under a name, load or delete a saved one, compare two side by side."""
    return html.Div([
        html.H3(tr("方案", "Scenarios")),
        html.Div([dcc.Input(id=SC_NAME, placeholder="方案名称 name", maxLength=60),
                  html.Button(tr("保存当前假设", "Save the what-if"), id=SC_SAVE, n_clicks=0)], className="ins-controls"),
        html.Div([dcc.Dropdown(id=SC_LIST, options=[], placeholder="已存方案 saved", className="cov-sc-pick"),
                  html.Button(tr("载入", "Load"), id=SC_LOAD, n_clicks=0), html.Button(tr("删除", "Delete"), id=SC_DELETE, n_clicks=0)],
                 className="ins-controls"),
        html.Div([dcc.Dropdown(id=SC_A, options=[], placeholder="方案 A", className="cov-sc-pick"),
                  dcc.Dropdown(id=SC_B, options=[], placeholder="方案 B", className="cov-sc-pick"),
                  html.Button(tr("对比", "Compare"), id=SC_COMPARE, n_clicks=0, className="primary"),
                  html.Button(tr("导出对比", "Export comparison"), id=SC_EXPORT, n_clicks=0)], className="ins-controls"),
        html.Div(id=SC_MESSAGE, role="status", className="muted"),
        dcc.Loading(html.Div(id=SC_RESULT)),
    ], className="cov-scenarios")  # fmt: skip


def scenario_options(saved: Sequence[Scenario]) -> list[dict[str, Any]]:
    return [
        {"label": f"{s.name} · {s.threshold_m:,.0f} m · +{len(s.added)} −{len(s.removed)}", "value": s.id}
        for s in saved
    ]


def _pp(c: Compared) -> str:
    return f"{(c.view.result.share - c.base) * 100:+.1f}"


def comparison(compared: Sequence[Compared], streets: pd.DataFrame, *, counted: str) -> html.Div:
    """The scenarios side by side: threshold, points added and left out, the share and people
    covered, the change from the real points, overloaded points; then each street's share."""
    who = POPULATIONS[counted]
    head = html.Tr([html.Th(tr("", ""))] + [html.Th(c.scenario.name) for c in compared])
    lines = (
        (("阈值", "Threshold"), lambda c: f"{c.scenario.threshold_m:,.0f} m"),
        (
            ("新增 / 移除", "Added / left out"),
            lambda c: f"+{len(c.scenario.added)} / −{len(c.scenario.removed)}",
        ),
        (
            (f"覆盖{who.zh}", f"{who.en.capitalize()} covered"),
            lambda c: f"{_pct(c.view.result.share)} ({c.covered:,.0f})",
        ),
        (
            ("较现有服务点", "Against the real points"),
            lambda c: tr(f"{_pp(c)} 个百分点", f"{_pp(c)} points"),
        ),
        (
            ("超负荷服务点", "Overloaded points"),
            lambda c: "—" if c.view.load is None else str(c.view.load.overloaded),
        ),
    )
    rows = [html.Tr([html.Th(tr(*label)), *(html.Td(cell(c)) for c in compared)]) for label, cell in lines]
    per_street = [html.Tr([html.Td(str(r.name)), *(html.Td(_pct(getattr(r, f"share_{i}"))) for i in range(len(compared)))])
                  for r in streets.itertuples()]  # fmt: skip
    street_head = html.Tr([html.Th(tr("街道", "Street"))] + [html.Th(c.scenario.name) for c in compared])
    return html.Div([html.Table([head, *rows]), html.H3(tr("各街道覆盖率", "Share per street")),
                     html.Table([street_head, *per_street])], className="cov-table cov-compare")  # fmt: skip


def suggested_rows(sites: Any, labels: list[str], s: Suggestion) -> list[list[Any]]:
    """[lon, lat, label, gain] per suggested site, best first (what the page keeps)."""
    return [
        [float(sites[j][0]), float(sites[j][1]), labels[j], g] for j, g in zip(s.chosen, s.gains, strict=True)
    ]
