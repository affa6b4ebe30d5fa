"""The wall screen as pure functions from :class:`MonitorData` to Dash components.

Every string from the data (names, descriptions, addresses) goes in as a component's text,
which React escapes; nothing is ever rendered as HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dash import dcc, html

from dashboard import case_panel
from dashboard.case_panel import CaseIds
from dashboard.compare_menu import CompareIds, compare_menu
from dashboard.empty import calendar_texts
from dashboard.monitor.figures import HEAT_SCALE, NEW_COLOUR, RATE_SCALE, overdue_colour, trend_figure
from dashboard.monitor.i18n import short_name, source_name, text
from dashboard.monitor.views import WINDOWS, Controls, MonitorData, map_figure
from dashboard.report_menu import MenuIds, report_menu
from geo.vocabulary import Vocabulary
from layers.drill import Unit
from layers.feeds import FeedRow
from layers.identity import Identity
from layers.kpis import BEIJING, Tile
from layers.ranking import Row

# component ids
DRILL, KIOSK, LANG, HASHES, VIEW, NOW = "m-drill", "m-kiosk", "m-lang", "m-hashes", "m-view", "m-now"
SWITCH_LANG = "m-switch-lang"  # the language button: the page is built again in the other language, in place
REFRESH, KIOSK_TICK, KIOSK_STATUS = "m-refresh", "m-kiosk-tick", "m-kiosk-status"
# the change counter (polled), the feed items and counts shown, how many things are new
CHANGES, POLL, SEEN, FLASH, SHOWN = "m-changes", "m-poll", "m-seen", "m-flash", "m-shown"
REPORT = MenuIds.of("m")  # the 报告 menu (dashboard/report_menu.py)
COMPARE = CompareIds.of("m")  # the 对比 menu (dashboard/compare_menu.py)
FEEDS = ("alerts", "due_soon", "latest")  # the lists whose new items flash (newly overdue, 临期; new)
RISING = ("new_today", "overdue")  # the tiles that flash when their count went up
WINDOW, CATEGORY, SOURCE, STATUS, MODE = "m-window", "m-category", "m-source", "m-status", "m-mode"
KPIS, MAP, CRUMBS, GRID_CARD, RANKING, ALERTS, LATEST, TREND, AS_OF = (
    "m-kpis", "m-map", "m-crumbs", "m-grid-card", "m-ranking", "m-alerts", "m-latest", "m-trend", "m-as-of",
)  # fmt: skip
RANK_TITLE, LEGEND = "m-rank-title", "m-legend"
CRUMB = "m-crumb"  # pattern-matching id type of breadcrumb buttons
CASE = CaseIds("m-case")  # finding one case (dashboard/case_panel.py)
# how each kind of KPI value and its change read (layers.kpis.Kpi.shows)
_VALUE: dict[str, Callable[[float], str]] = {
    "count": lambda v: f"{int(v):,}",
    "rate": lambda v: f"{v:.1%}",
    "hours": lambda v: f"{v:.1f}",
}
_DELTA: dict[str, Callable[[float], str]] = {
    "count": lambda d: f"{abs(d):,.0f}",
    "rate": lambda d: f"{abs(d):.1%}".replace("%", " pt"),
    "hours": lambda d: f"{abs(d):,.1f}".removesuffix(".0"),
}


def _change(tile: Tile, lang: str) -> html.Div:
    label = text(lang, tile.kpi.compared)
    delta = tile.change
    if delta is None:
        return html.Div(f"{label} —", className="kpi-change")
    good = (delta > 0) == (tile.kpi.better == "up") if delta else None
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "■"
    tone = "flat" if good is None else "good" if good else "bad"
    return html.Div(
        [html.Span(f"{arrow} {_DELTA[tile.kpi.shows](delta)}", className=f"delta {tone}"), f" {label}"],
        className="kpi-change",
    )


def kpi_tiles(tiles: Sequence[Tile], lang: str, *, fresh: Collection[str] = ()) -> list[html.Div]:
    """The KPI tiles; those in ``fresh`` (their count went up since the screen's last refresh) flash."""
    out = []
    for tile in tiles:
        unit = text(lang, tile.kpi.unit) if tile.kpi.unit else ""
        value = "—" if tile.value is None else _VALUE[tile.kpi.shows](tile.value)
        out.append(
            html.Div(
                [
                    html.Div(text(lang, tile.key), className="kpi-label"),
                    html.Div([value, html.Small(unit)], className="kpi-value", id=f"kpi-{tile.key}"),
                    _change(tile, lang),
                ],
                className=f"kpi kpi-{tile.key}" + (" flash" if tile.key in fresh else ""),
                title=text(lang, "withheld") if tile.withheld else None,
            )
        )
    return out


def crumbs(units: Sequence[Unit], lang: str) -> list[Any]:
    out: list[Any] = []
    for k, unit in enumerate(units):
        last = k == len(units) - 1
        ident = {"type": CRUMB, "level": unit.level, "id": unit.unit_id if unit.unit_id is not None else 0}
        out.append(
            html.Button(unit.name, id=ident, className="crumb current" if last else "crumb", disabled=last)
        )
        if not last:
            out.append(html.Span("›", className="crumb-sep"))
    return out


def grid_card(data: MonitorData) -> list[Any]:
    g, lang = data.grid, data.controls.lang
    if g is None:
        return []
    facts = [
        (text(lang, "grid_code"), g.code),
        (text(lang, "worker"), g.worker or "—"),
        (text(lang, "households"), f"{g.households:,}"),
        (text(lang, "residents"), f"{g.residents:,}"),
    ]
    return [html.Dl([x for k, v in facts for x in (html.Dt(k), html.Dd(v))])]


def _last_cell(row: Row, *, satisfaction: bool) -> html.Td:
    if satisfaction:
        rate = row.ind.satisfaction_rate
        return html.Td(_pct(rate), className=_rate_class(rate))
    hours = row.ind.handling_work_hours
    return html.Td("—" if hours is None else f"{hours:.0f}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def ranking_table(rows: Sequence[Row], lang: str, *, satisfaction: bool = False) -> html.Table:
    keys = ("unit", "volume", "on_time", "overdue_n", "satisfied_short" if satisfaction else "avg_h")
    head = html.Tr([html.Th(text(lang, k)) for k in keys])
    body = [_rank_row(r, lang, satisfaction=satisfaction) for r in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="ranking")


@functools.lru_cache(maxsize=4096)
def _rank_row(r: Row, lang: str, *, satisfaction: bool) -> html.Tr:
    """One unit's row (kept for the same row and language: a refresh redraws mostly the same
    rows, and the components are never changed once made)."""
    if not r.allowed:  # another street than the account's: "not yours", never a row of zeros
        cells = [html.Td(text(lang, "not_yours"), colSpan=4, className="not-yours")]
        return html.Tr([html.Td(short_name(r.name), className="name"), *cells], className="not-yours")
    return html.Tr(
        [
            html.Td(short_name(r.name), className="name"),
            html.Td(f"{r.ind.reported:,}"),
            html.Td(_pct(r.ind.on_time_closure_rate), className=_rate_class(r.ind.on_time_closure_rate)),
            html.Td(f"{r.ind.overdue:,}", className="bad" if r.ind.overdue else ""),
            _last_cell(r, satisfaction=satisfaction),
        ]
    )


def rankings(data: MonitorData) -> html.Table | html.Div:
    """The ranking of the units below the drill and, where cases name one, of the departments
    (承办单位) they were dispatched to, with their satisfaction rate."""
    lang = data.controls.lang
    places = ranking_table(data.ranking, lang)
    if not data.departments:
        return places
    head = html.H3(text(lang, "ranking_department"))
    departments = ranking_table(data.departments, lang, satisfaction=True)
    parts = [html.Div(places, className="rank-part"), head, html.Div(departments, className="rank-part")]
    return html.Div(parts, className="rank-split")


def alert_lists(
    data: MonitorData, *, fresh: Mapping[str, Collection[int]] = MappingProxyType({})
) -> html.Div:
    """超期 beside 临期 (open, not overdue, due within the district's warning horizon); the items
    in ``fresh`` (per feed) flash."""
    lang, empty = data.controls.lang, frozenset[int]()
    hours = f"{data.warn_hours:g}"
    overdue = feed_list(
        data.alerts, lang, vocabulary=data.vocabulary, now=data.now, fresh=fresh.get("alerts", empty)
    )
    soon = feed_list(
        data.due_soon,
        lang,
        vocabulary=data.vocabulary,
        now=data.now,
        ahead=True,
        fresh=fresh.get("due_soon", empty),
    )
    return html.Div(
        [
            html.Div([html.H3(text(lang, "overdue_s")), overdue], className="alert-col"),
            html.Div([html.H3(text(lang, "due_soon", h=hours)), soon], className="alert-col due-soon"),
        ],
        className="alert-cols",
    )


def _rate_class(rate: float | None) -> str:
    return "" if rate is None else "good" if rate >= 0.9 else "bad" if rate < 0.75 else "warn"


def _when(value: dt.datetime) -> str:
    return f"{value.astimezone(BEIJING):%m-%d %H:%M}"


def _late(r: FeedRow, lang: str, now: dt.datetime | None, *, ahead: bool) -> str:
    """How long overdue (or, ``ahead``, until due) the row is at ``now``."""
    if now is None or r.deadline_at is None:
        return ""
    if ahead:
        return text(lang, "due_in", h=f"{(r.deadline_at - now).total_seconds() / 3600:.1f}")
    hours = int((now - r.deadline_at).total_seconds() // 3600)
    return text(lang, "overdue_by", h=hours) if hours < 48 else text(lang, "overdue_days", d=hours // 24)


def feed_list(
    rows: Sequence[FeedRow],
    lang: str,
    *,
    vocabulary: Vocabulary,
    now: dt.datetime | None = None,
    ahead: bool = False,
    fresh: Collection[int] = frozenset(),
) -> html.Ul | html.Div:
    """The items of a feed; those in ``fresh`` (new to this screen since its last refresh) flash."""
    if not rows:
        return html.Div(text(lang, "none"), className="empty")
    items = [
        _feed_item(r, vocabulary.label(r.category, lang), _late(r, lang, now, ahead=ahead), flash=r.incident_id in fresh)
        for r in rows
    ]  # fmt: skip
    return html.Ul(items, className="feed")


@functools.lru_cache(maxsize=4096)
def _feed_item(r: FeedRow, category: str, late: str, *, flash: bool) -> html.Li:
    """One item (kept for the same row and texts: the lists of every view and refresh show
    mostly the same items, and the components are never changed once made)."""
    where = " · ".join(short_name(x) for x in (r.street, r.community) if x)
    return html.Li(
        [
            html.Div([html.Span(_when(r.reported_at), className="when"), html.Span(category, className="cat"), html.Span(late, className="late")], className="feed-top"),
            html.Div(r.description or "", className="desc", title=r.description or None),  # its first line; all of it on hover
            html.Div([where, html.Span(r.phone or "", className="phone")], className="where"),
        ],
        className="flash" if flash else None,
    )  # fmt: skip


def latest_list(
    data: MonitorData, *, fresh: Mapping[str, Collection[int]] = MappingProxyType({})
) -> html.Ul | html.Div:
    """The newest incidents; those in ``fresh["latest"]`` flash."""
    return feed_list(
        data.latest, data.controls.lang, vocabulary=data.vocabulary, fresh=fresh.get("latest", ())
    )


def as_of(now: dt.datetime, lang: str) -> str:
    return f"{text(lang, 'as_of')} {now.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}"


def _pick_many(
    ident: str, labels: dict[str, str], value: Sequence[str], *, kind: str, lang: str
) -> dcc.Dropdown:
    """A multi-select of ``labels`` (value → label) whose empty state reads e.g. "事件类型: 全部"."""
    return dcc.Dropdown(
        id=ident,
        options=[{"label": label, "value": key} for key, label in labels.items()],
        value=list(value),
        multi=True,
        placeholder=f"{text(lang, kind)}: {text(lang, 'all')}",
        className="dd",
    )


def filter_bar(
    controls: Controls, sources: Sequence[str], vocabulary: Vocabulary, *, today: dt.date
) -> html.Div:
    lang = controls.lang
    return html.Div(
        [
            dcc.RadioItems(
                id=WINDOW,
                options=[{"label": text(lang, "days", n=n), "value": n} for n in WINDOWS],
                value=controls.window_days,
                className="seg",
            ),
            compare_menu(COMPARE, today=today, lang=lang),
            _pick_many(
                CATEGORY,
                {k: vocabulary.label(k, lang) for k in vocabulary.categories},
                controls.categories,
                kind="category",
                lang=lang,
            ),
            _pick_many(
                SOURCE, {s: source_name(lang, s) for s in sources}, controls.sources, kind="source", lang=lang
            ),
            dcc.Checklist(
                id=STATUS,
                options=[{"label": text(lang, f"{s}_s"), "value": s} for s in ("open", "overdue", "closed")],
                value=list(controls.statuses),
                className="seg",
            ),
            dcc.RadioItems(
                id=MODE,
                options=[{"label": text(lang, m), "value": m} for m in ("heat", "rate", "hotspot")],
                value=controls.mode,
                className="seg mode",
            ),
            report_menu(REPORT, lang=lang),
        ],
        className="filters",
    )


def _panel(
    title: str, body: Any, *, ident: str, extra: str = "", title_id: str | None = None
) -> html.Section:
    heading = html.H2(title, id=title_id) if title_id else html.H2(title)
    return html.Section(
        [heading, html.Div(body, id=ident, className="panel-body")], className=f"panel {extra}"
    )


def legend(data: MonitorData) -> list[Any]:
    """What the map's colours mean in the current mode."""
    lang, mode = data.controls.lang, data.controls.mode
    if mode == "heat":
        heat = text(lang, "heat_legend", m=f"{data.map.density.cell_m:.0f}")
        return [html.Div(heat), _ramp(HEAT_SCALE, lang), _markers(lang, mode)]
    if mode == "rate":
        return [html.Div(text(lang, "rate_legend")), _ramp(RATE_SCALE, lang), _markers(lang, mode)]
    swatches = [("hot99", "#d7191c"), ("hot95", "#f46d43"), ("hot90", "#fdae61"), ("cold90", "#abd9e9"), ("cold95", "#74add1"), ("cold99", "#2c7bb6")]  # fmt: skip
    items = [
        html.Span([html.I(style={"background": c}), f"{text(lang, k[:-2])} {k[-2:]}%"]) for k, c in swatches
    ]
    none = [html.Div(text(lang, "no_clusters"), className="legend-note")] if not data.map.grids else []
    return [
        html.Div(text(lang, "significance")),
        html.Div(items, className="swatches"),
        *none,
        _markers(lang, mode),
    ]


def _ramp(scale: list[list[Any]], lang: str) -> html.Div:
    """A colour scale as a bar from few to many."""
    stops = ", ".join(f"{colour} {float(at) * 100:.0f}%" for at, colour in scale)
    bar = html.I(className="ramp-bar", style={"background": f"linear-gradient(90deg, {stops})"})
    return html.Div([html.Span(text(lang, "few")), bar, html.Span(text(lang, "many"))], className="ramp")


def _markers(lang: str, mode: str) -> html.Div:
    """The pulsing markers, in every mode: overdue cases and incidents new since the last figures."""
    dots = ((overdue_colour(mode), "overdue_s"), (NEW_COLOUR, "new_s"))
    return html.Div(
        [html.Span([html.I(className="dot", style={"background": c}), text(lang, k)]) for c, k in dots],
        className="swatches markers",
    )


@dataclass(frozen=True)
class Live:
    """How the page keeps up: the change counter it starts from, how often it polls it (ms),
    and whether kiosk mode sounds a tone for new items."""

    changes: str = ""  # the counter the page's figures were made at
    poll_ms: int = 3000
    sound: bool = False


def seen(data: MonitorData) -> dict[str, Any]:
    """What a screen records of the feed items it shows, and for which view and controls (new
    items flash only when both are unchanged since)."""
    return {
        "key": seen_key(data),
        **{feed: [r.incident_id for r in getattr(data, feed)] for feed in FEEDS},
        "tiles": {t.key: t.value for t in data.tiles if t.key in RISING},
        "last_id": data.recent.newest if data.recent is not None else None,
    }


def seen_key(data: MonitorData) -> str:
    c = data.controls
    return repr((data.drill.level, data.drill.unit_id, c.window_days, c.categories, c.sources, c.statuses))


def monitor_page(
    data: MonitorData,
    *,
    sources: Sequence[str],
    refresh_ms: int,
    kiosk_ms: int,
    kiosk: bool,
    digests: dict[str, str],
    identity: Identity,
    notice: html.Div | None = None,
    live: Live = Live(),
    provisional: dt.date | None = None,
) -> html.Div:
    """The whole wall screen for ``data``, headed for ``identity`` (built on page load;
    callbacks update its parts); ``notice``, what is still to load, under the header; a mark in
    the header when deadlines from ``provisional`` are provisional (its title says what to do)."""
    lang = data.controls.lang
    level = data.drill.child_level or "grid"
    header = html.Header(
        [
            html.H1(text(lang, "title", centre=identity.centre if lang == "zh" else identity.centre_en)),
            html.Nav(crumbs(data.crumbs, lang), id=CRUMBS, className="crumbs"),
            case_panel.search_box(CASE, lang),
            _kiosk_bar(lang, kiosk_ms=kiosk_ms, shown=kiosk),
            html.Div(as_of(data.now, lang), id=AS_OF, className="as-of"),
            provisional_mark(provisional, lang),
            html.Button(text(lang, "switch"), id=SWITCH_LANG, n_clicks=0, className="lang"),
        ],
        className="m-header",
    )
    map_box = html.Div(
        [
            dcc.Graph(id=MAP, figure=map_figure(data), config={"displayModeBar": False, "scrollZoom": True}, className="m-map"),
            html.Div(text(lang, "map_hint"), className="hint"),
            html.Div(legend(data), id=LEGEND, className="legend"),
            html.Div(grid_card(data), id=GRID_CARD, className="grid-card"),
        ],
        className="map-box",
    )  # fmt: skip
    trend = dcc.Graph(
        id=TREND,
        figure=trend_figure(data.daily, lang=lang, vocabulary=data.vocabulary),
        config={"displayModeBar": False},
        className="m-trend",
    )
    body = html.Main(
        [
            map_box,
            _panel(text(lang, f"ranking_{level}"), rankings(data), ident=RANKING, extra="rank", title_id=RANK_TITLE),
            _panel(text(lang, "alerts"), alert_lists(data), ident=ALERTS, extra="alerts"),
            html.Section([html.H2(text(lang, "trend")), trend], className="panel trend"),
            _panel(text(lang, "latest"), latest_list(data), ident=LATEST, extra="latest"),
            case_panel.panel(CASE, lang),  # over the right-hand column when a case is open
        ],
        className="m-body",
    )  # fmt: skip
    stores = [
        dcc.Store(id=DRILL, data=data.drill.to_store()),
        dcc.Store(id=LANG, data=lang),
        dcc.Store(id=KIOSK, data={"on": kiosk, "i": -1}),
        dcc.Store(id=HASHES, data=digests),
        dcc.Store(id=VIEW, data=view_key(data)),
        dcc.Store(id=NOW, data=data.now.isoformat()),
        dcc.Interval(id=REFRESH, interval=refresh_ms),
        dcc.Interval(id=KIOSK_TICK, interval=kiosk_ms, disabled=not kiosk),
        dcc.Store(id=CHANGES),
        dcc.Store(id=SHOWN, data=live.changes),
        dcc.Interval(id=POLL, interval=live.poll_ms),
        dcc.Store(id=SEEN, data=seen(data)),
        dcc.Store(id=FLASH, data=0),
    ]
    classes = ("monitor kiosk" + (" sound" if live.sound else "")) if kiosk else "monitor"
    return html.Div([header, notice, filter_bar(data.controls, sources, data.vocabulary, today=data.now.astimezone(BEIJING).date()), html.Div(kpi_tiles(data.tiles, lang), id=KPIS, className="kpis"), body, *stores], className=classes, lang="en" if lang == "en" else "zh-CN")  # fmt: skip


def provisional_mark(first: dt.date | None, lang: str) -> html.Span | None:
    """ "⚠ 2027节假日暂定": a short mark that fits the header; the whole instruction is its title."""
    if first is None:
        return None
    zh, en = calendar_texts(first)
    label = f"⚠ {first.year} holidays provisional" if lang == "en" else f"⚠ {first.year}节假日暂定"
    return html.Span(label, title=en if lang == "en" else zh, className="m-provisional")


def _kiosk_bar(lang: str, *, kiosk_ms: int, shown: bool) -> html.Div:
    """Kiosk mode's street tour: the street shown and the next (set as it moves on), the
    seconds until it does and a clock (both counted in the browser: assets/monitor.js)."""
    period: dict[str, Any] = {"data-seconds": str(kiosk_ms // 1000)}  # a data-* attribute
    parts = [
        html.Span(text(lang, "kiosk_touring"), id=KIOSK_STATUS, className="kiosk-status"),
        html.Span(className="kiosk-countdown", **period),
        html.Span(className="kiosk-clock"),
    ]
    return html.Div(parts, className="kiosk-bar", hidden=not shown)


def kiosk_status(lang: str, current: str, following: str) -> str:
    return text(lang, "kiosk_status", current=short_name(current), following=short_name(following))


def view_key(data: MonitorData) -> str:
    """What the map's traces are built for: a change of it redraws the map, else it is patched."""
    return f"{data.drill.level}:{data.drill.unit_id}:{data.controls.mode}:{data.controls.lang}"
