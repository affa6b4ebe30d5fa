"""The 对比 menu of the wall screen and the map: any period — the dates picked, else the page's
own window — against 环比 (as many days just before) and 同比 (the same days a year earlier),
for every measure of the place shown and every unit below it (``layers/compare.py``). Built on
the server for the account asking: a street leader's units are their own streets; a wall
screen account (kiosk) gets none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Connection, Engine

from dashboard.auth.current import current_row_scope, current_user
from dashboard.dates import CHINESE_DATES
from dashboard.report_menu import in_lang
from layers.compare import Comparison, UnitRow, change_text, compare, kpi_line, value_text
from layers.incident_filter import IncidentFilter
from layers.report_period import BEIJING, ReportPeriod

if TYPE_CHECKING:
    from dashboard.monitor.views import MonitorCache

MAX_DAYS = 366 * 3  # a longer period is refused (its 同比 would reach before any district's data)
UNIT_WORDS = {"street": ("街道", "Street"), "community": ("社区", "Community"), "grid": ("网格", "Grid")}


@dataclass(frozen=True)
class CompareIds:
    menu: str
    dates: str
    body: str

    @property
    def summary(self) -> str:
        """The menu's heading: its clicks open and close it (Dash does not report a details
        element's ``open`` as it toggles)."""
        return f"{self.menu}-summary"

    @classmethod
    def of(cls, prefix: str) -> CompareIds:
        return cls(f"{prefix}-compare", f"{prefix}-compare-dates", f"{prefix}-compare-body")


def compare_menu(ids: CompareIds, *, today: dt.date | None, lang: str | None = None, picker: bool = True) -> html.Details:  # fmt: skip
    """A closed 对比 menu: its own date-range picker (``picker``; empty: the page's window; else
    the page's window is the period, a picker of its own setting it) and the tables."""
    parts: list[Any] = [html.Div(id=ids.body, className="compare-body")]
    if picker:
        parts.insert(0, date_range(ids.dates, today=today, lang=lang))
    return html.Details(
        [
            html.Summary(in_lang("对比", "Compare", lang), id=ids.summary, n_clicks=0),
            html.Div(parts, className="report-choices"),
        ],
        id=ids.menu,
        className="report-menu compare-menu",
    )


def date_range(ident: str, *, today: dt.date | None, lang: str | None) -> dcc.DatePickerRange:
    """Any days up to ``today``, cleared to go back to the window (placeholders are plain text:
    Chinese on a work page, whose pickers read Chinese too: dashboard/dates.py)."""
    return dcc.DatePickerRange(id=ident, max_date_allowed=None if today is None else today.isoformat(), clearable=True,
                               start_date_id=f"{ident}-start", end_date_id=f"{ident}-end",
                               start_date_placeholder_text=in_lang("开始日期", "From", lang or "zh"),
                               end_date_placeholder_text=in_lang("结束日期", "To", lang or "zh"), **CHINESE_DATES)  # fmt: skip


def dates_period(start: Any, end: Any, *, today: dt.date) -> ReportPeriod | None:
    """The days from ``start`` to ``end`` as a picker sends them (None unless both are dates);
    PreventUpdate for days out of order, after ``today`` or more than MAX_DAYS."""
    try:
        first, last = dt.date.fromisoformat(str(start)[:10]), dt.date.fromisoformat(str(end)[:10])
    except ValueError:
        return None
    if last > today or not comparable(first, last):
        raise PreventUpdate
    return ReportPeriod(first, last)


def comparable(first: dt.date, last: dt.date) -> bool:
    """Days in order, at most MAX_DAYS, whose 同比 and 环比 are dates too."""
    return first <= last and (last - first).days < MAX_DAYS and first.year > 2 and last.year < 9999


def last_days(days: int, *, today: dt.date) -> ReportPeriod:
    """``days`` days to ``today`` (both included)."""
    return ReportPeriod(today - dt.timedelta(days=days - 1), today)


def _unit_line(r: UnitRow, *, lang: str) -> list[str]:
    reported, on_time = r.measure("reported"), r.measure("on_time_closure")
    return [r.name, value_text(reported.value, ""), change_text(reported.vs_previous, "", lang=lang),
            change_text(reported.vs_last_year, "", lang=lang), value_text(on_time.value, "%"),
            change_text(on_time.vs_previous, "%", lang=lang), change_text(on_time.vs_last_year, "%", lang=lang),
            value_text(r.now.overdue, "")]  # fmt: skip


def _table(headers: list[Any], zh: list[list[str]], en: list[list[str]], lang: str | None) -> html.Table:
    """Rows written in both languages; a cell reads the same in both (a number) or is shown in
    ``lang`` (None: both, the page showing one)."""
    cell = lambda a, b: a if a == b else in_lang(a, b, lang)  # noqa: E731
    body = [
        html.Tr([html.Td(cell(a, b)) for a, b in zip(x, y, strict=True)]) for x, y in zip(zh, en, strict=True)
    ]
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)], className="compare"
    )


_KPI_HEADERS = (("指标", "Measure"), ("本期", "This period"), ("上期", "Previous"), ("环比", "vs previous"),
                ("去年同期", "Last year"), ("同比", "vs last year"))  # fmt: skip
_UNIT_HEADERS = (("受理量", "Reported"), ("环比", "vs previous"), ("同比", "vs last year"), ("按期办结率", "On time"),
                 ("环比", "vs previous"), ("同比", "vs last year"), ("期末超期", "Overdue at the end"))  # fmt: skip


def comparison_view(c: Comparison, *, lang: str | None) -> list[Any]:
    """What the menu shows: the periods compared, the measures, and the units below (``lang``:
    the wall screen's language; None: both, for a work page)."""
    p, before, year = c.period, c.period.previous(), c.period.last_year()
    said = in_lang(f"本期 {p.start} 至 {p.end}；环比 {before.start} 至 {before.end}；同比 {year.start} 至 {year.end}",
                   f"{p.start} – {p.end}; previous {before.start} – {before.end}; last year {year.start} – {year.end}", lang)  # fmt: skip
    heads = [in_lang(zh, en, lang) for zh, en in _KPI_HEADERS]
    kpis = _table(heads, [kpi_line(r) for r in c.kpis], [kpi_line(r, lang="en") for r in c.kpis], lang)
    out: list[Any] = [html.P(said, className="compare-period"), kpis]
    if c.level is not None:
        heads = [in_lang(*UNIT_WORDS[c.level], lang), *(in_lang(zh, en, lang) for zh, en in _UNIT_HEADERS)]
        zh, en = ([_unit_line(r, lang=x) for r in c.units] for x in ("zh", "en"))
        out.append(_table(heads, zh, en, lang))
    return out


def register_compare_menu(
    app: Dash,
    ids: CompareIds,
    *,
    place: Sequence[tuple[str, str]],
    window: tuple[str, str],
    filter_of: Callable[..., IncidentFilter],
    window_period: Callable[[Connection, Any, dt.date], ReportPeriod | None],
    own_dates: bool,
    lang: tuple[str, str] | None,
    engine: Engine,
    cache: MonitorCache,
) -> None:
    """The menu's tables, made when it is open (and again as what it compares changes): ``place`` are the component properties saying
    where the page is and what it filters, and ``filter_of(conn, *values)`` the incidents they
    select (raising PreventUpdate for a place the account may not see); ``window`` the page's
    window control, its value read by ``window_period`` (None: no period to compare); the
    menu's own dates (``own_dates``) before it; ``lang`` the page's language store (None: a
    work page, in both)."""
    language = [State(*lang)] if lang else [State(ids.menu, "id")]
    dates = [Input(ids.dates, "start_date"), Input(ids.dates, "end_date")] if own_dates else []

    @app.callback(
        Output(ids.body, "children"),
        Input(ids.summary, "n_clicks"),
        Input(*window),
        *dates,
        *(Input(*p) for p in place),
        *language,
        prevent_initial_call=True,
    )
    def show(clicks: Any, chosen: Any, *values: Any) -> list[Any]:
        user = current_user()
        is_open = isinstance(clicks, int) and clicks % 2 == 1  # closed at first
        if not is_open or user is None or user.role == "wall_screen":
            raise PreventUpdate
        now = dt.datetime.now(BEIJING)
        picked = dates_period(*values[:2], today=now.date()) if own_dates else None
        shown = None if lang is None else ("en" if values[-1] == "en" else "zh")
        with engine.connect() as conn:
            period = picked or window_period(conn, chosen, now.date())
            if period is None:
                return [
                    html.P(
                        in_lang("选择起止日期即可对比。", "Pick the first and last day to compare.", shown)
                    )
                ]
            f = filter_of(conn, *values[2 if own_dates else 0 : -1])
            result = compare(
                conn, cache.facts(conn), period, f=f, allowed=current_row_scope().street_ids, now=now
            )
        return comparison_view(result, lang=shown)
