"""The results page's layout (排查成效): pure functions of what they show (no database here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from dashboard.bilingual import tr
from dashboard.dates import CHINESE_DATES
from dashboard.grids import COLUMN_DEFAULTS
from geo.inspection_kinds import InspectionKind
from layers.campaigns import STATES, CampaignProgress
from layers.cycles import RoundTally
from layers.inspection_results import Period

P = "res-"
DATES, STREET, CAMPAIGNS, WEEKLY, ABOUT, TABLE, EXPORT, DOWNLOAD, MESSAGE = (
    P + k
    for k in ("dates", "street", "campaigns", "weekly", "about", "table", "export", "download", "message")
)
COLUMNS = (  # the results table: column, heading
    ("sites", ("对象数", "Sites")), ("visited", ("已检查", "Visited")), ("visits", ("检查次数", "Visits")),
    ("problems", ("发现问题", "Problems")), ("fixed", ("当场整改", "Fixed on the spot")),
    ("closed", ("取缔关停", "Closed down")), ("referred", ("移交执法", "Referred")),
    ("rectified", ("已整改", "Rectified")), ("overdue", ("整改逾期", "Overdue")),
)  # fmt: skip


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _kind_name(kinds: Mapping[str, InspectionKind], key: str) -> html.Span:
    kind = kinds.get(key)
    return tr(kind.zh, kind.en) if kind else tr(key, key)


def campaign_card(p: CampaignProgress, kinds: Mapping[str, InspectionKind]) -> html.Div:
    """One campaign: its period and kinds, how far it is against the time gone by, what its
    visits found, and the streets' progress."""
    c, done = p.campaign, p.share_done
    elapsed = c.elapsed(p.today)
    head = html.Div([html.H3(c.name), html.Span(tr(*STATES[p.state]), className=f"res-state res-{p.state}")],
                    className="res-card-head")  # fmt: skip
    about = html.P([f"{c.start} – {c.end} · ", *_joined([_kind_name(kinds, k) for k in c.kinds]),
                    " · ", tr(f"每处 {c.visits} 次", f"{c.visits} visit(s) a site")], className="muted")  # fmt: skip
    bars = html.Div(
        [_bar(tr("完成", "Done"), done, "res-done"), _bar(tr("时间", "Time"), elapsed, "res-time")]
    )
    figures = html.P([tr("对象", "Sites"), f" {p.total('sites')} · ", tr("已完成", "done"), f" {p.total('done')} · ",
                      tr("发现问题", "problems"), f" {p.total('problems')} · ", tr("已整改", "rectified"),
                      f" {p.total('rectified')} · ", tr("整改逾期", "overdue"), f" {p.total('overdue')}"])  # fmt: skip
    parts: list[Any] = [head, about, bars, figures, _street_table(p.by_street)]
    if p.unknown_streets:
        parts.append(html.P(tr(f"未找到的街道：{'、'.join(p.unknown_streets)}", f"Streets not found: {', '.join(p.unknown_streets)}"), className="note"))  # fmt: skip
    return html.Div(parts, className="res-card")


def _joined(items: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for i, item in enumerate(items):
        out += ["、", item] if i else [item]
    return out


def _bar(label: html.Span, share: float | None, kind: str) -> html.Div:
    width = f"{min(1.0, share or 0.0):.0%}"
    return html.Div([html.Span(label, className="res-bar-label"),
                     html.Div(html.Div(className=f"res-bar-fill {kind}", style={"width": width}), className="res-bar"),
                     html.Span(_pct(share), className="res-bar-value")], className="res-bar-row")  # fmt: skip


def _street_table(frame: pd.DataFrame) -> html.Table:
    """The streets' progress, the furthest behind first."""
    frame = frame.assign(share=frame.done / frame.sites.where(frame.sites > 0)).sort_values(
        "share", na_position="last"
    )
    rows = [html.Tr([html.Td(r.street or "—"), html.Td(r.sites), html.Td(r.done),
                     html.Td(_pct(r.done / r.sites if r.sites else None))]) for r in frame.itertuples()]  # fmt: skip
    head = html.Tr([html.Th(tr(*h)) for h in (("街道", "Street"), ("对象", "Sites"), ("已完成", "Done"), ("完成率", "Share"))])  # fmt: skip
    return html.Table([html.Thead(head), html.Tbody(rows)], className="res-table res-small")


def campaigns(progress: Sequence[CampaignProgress], kinds: Mapping[str, InspectionKind]) -> list[Any]:
    if not progress:
        return [html.P(tr("本期间没有专项行动（在区设置文件的 [[campaigns]] 中添加）",
                          "No campaign runs in this period (add one as [[campaigns]] in the district file)"), className="muted")]  # fmt: skip
    return [campaign_card(p, kinds) for p in progress]


def weekly(rounds: Sequence[tuple[InspectionKind, list[RoundTally]]]) -> list[Any]:
    """Per weekly kind (每周探访), its weeks in the period: sites, visited and the share (a past
    week short of every household in red; this week's so far)."""
    out: list[Any] = []
    for kind, tallies in rounds:
        head = html.Tr([html.Th(tr(*h)) for h in (("周次", "Week"), ("应访", "Due"), ("已访", "Visited"), ("完成率", "Share"))])  # fmt: skip
        rows = [html.Tr([html.Td([f"{t.start:%m-%d} – {t.end:%m-%d}", tr("（本周）", " (this week)") if t.ongoing else ""]),
                         html.Td(t.due), html.Td(t.visited), html.Td(_pct(t.share))],
                        className="res-short" if t.share is not None and t.share < 1 and not t.ongoing else None)
                for t in tallies]  # fmt: skip
        out += [html.H3(tr(kind.zh, kind.en)), html.Table([html.Thead(head), html.Tbody(rows)], className="res-table res-small")]  # fmt: skip
    return out or [html.P(tr("没有每周一轮的检查类型", "No kind is inspected weekly"), className="muted")]


GRID_COLUMNS: list[dict[str, Any]] = [
    {"field": "street", "headerName": "街道 Street", "width": 130, "pinned": "left"},
    {"field": "community", "headerName": "社区/村 Community", "minWidth": 170, "pinned": "left"},
    {"field": "kind", "headerName": "类型 Kind", "minWidth": 150},
    *({"field": c, "headerName": f"{zh} {en}", "width": 110, "type": "numericColumn"} for c, (zh, en) in COLUMNS),
]  # fmt: skip


def results_grid() -> dag.AgGrid:
    """The table by street, community and kind (thousands of rows: a grid that draws only what
    is in view, sortable and filterable)."""
    return dag.AgGrid(
        id=TABLE,
        columnDefs=GRID_COLUMNS,
        rowData=[],
        defaultColDef=COLUMN_DEFAULTS,
        dashGridOptions={"localeText": {"noRowsToShow": "本期间没有检查对象 · No sites in this period"}},
        style={"height": "460px"},
        className="ag-theme-alpine",
    )


def _name(value: object) -> str:
    return value if isinstance(value, str) and value else "—"


def grid_rows(frame: pd.DataFrame, kinds: Mapping[str, InspectionKind]) -> list[dict[str, Any]]:
    """The grid's rows: names as text (the grid never renders HTML), counts as numbers."""
    return [
        {"street": _name(r["street"]), "community": _name(r["community"]),
         "kind": kinds[r["kind"]].zh if r["kind"] in kinds else str(r["kind"]), **{c: int(r[c]) for c, _ in COLUMNS}}
        for r in frame.to_dict("records")
    ]  # fmt: skip


def summary(period: Period, frame: pd.DataFrame) -> list[Any]:
    """The period, and the table's totals in words."""
    sums = {c: int(frame[c].sum()) for c, _ in COLUMNS}
    totals = [tr(f"合计：{' · '.join(f'{zh} {sums[c]}' for c, (zh, _) in COLUMNS)}",
                 f"Total: {' · '.join(f'{en} {sums[c]}' for c, (_, en) in COLUMNS)}")]  # fmt: skip
    return [about(period), html.P(totals, className="res-totals")]


def refused(message: str) -> html.P:
    return html.P(f"⚠ {message}", className="note")


def about(period: Period) -> html.P:
    return html.P(tr(f"统计期间 {period.start} 至 {period.end}（含）", f"Period {period.start} to {period.end} (inclusive)"),
                  className="muted")  # fmt: skip


def page(streets: Sequence[tuple[int, str]], *, today: dt.date) -> html.Div:
    """The controls (period, street) and the three sections the callback fills."""
    first = today.replace(day=1)
    street_options: list[Any] = [{"label": n, "value": i} for i, n in streets]
    return html.Div(
        [
            html.H1(tr("排查成效", "Inspection results")),
            html.Div([
                html.Label([tr("期间", "Period"), dcc.DatePickerRange(id=DATES, start_date=first.isoformat(), end_date=today.isoformat(), **CHINESE_DATES)]),
                html.Label([tr("街道", "Street"), dcc.Dropdown(id=STREET, options=street_options, placeholder="全部 all")]),
                html.Button(tr("导出 Excel", "Export Excel"), id=EXPORT, n_clicks=0, className="audit-export"),
            ], className="audit-filters"),
            html.Div(id=MESSAGE, role="status"),
            html.H2(tr("专项行动", "Special campaigns")), html.Div(id=CAMPAIGNS, className="res-cards"),
            html.H2(tr("每周探访", "Weekly visits")), html.Div(id=WEEKLY, className="res-weekly"),
            html.H2(tr("检查与整改", "Visits and rectifications")), html.Div(id=ABOUT), results_grid(),
            dcc.Download(id=DOWNLOAD),
        ],
        className="audit-page res-page",
    )  # fmt: skip
