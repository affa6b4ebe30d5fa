"""Finding one case on a page: the search box, the list of hits and the detail panel, as pure
functions from :mod:`layers.case_search` / :mod:`layers.case_detail` data to Dash components.

Both the wall screen and the layer map carry them, each with ids of its own (:class:`CaseIds`).
Every text from the data (tickets, addresses, descriptions, notes, names) goes in as a
component's text, which React escapes; nothing is rendered as HTML. Words come from the wall
screen's i18n (``dashboard/monitor/i18n.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from dashboard.monitor.i18n import label, short_name, source_name, text
from geo.vocabulary import Vocabulary
from layers.case_detail import CaseDetail, LinkedCase
from layers.case_search import MAX_CHARS, CaseHit, CaseKey
from layers.case_timeline import Step
from layers.kpis import BEIJING


@dataclass(frozen=True)
class CaseIds:
    """The component ids of one page's search and panel, all starting with ``prefix``."""

    prefix: str

    def __getattr__(self, name: str) -> str:
        if name in ("query", "go", "hits", "panel", "body", "selected", "point", "close", "pick"):
            return f"{self.prefix}-{name}"
        raise AttributeError(name)


def _when(value: dt.datetime | None) -> str:
    return "—" if value is None else f"{value.astimezone(BEIJING):%Y-%m-%d %H:%M}"


WALL_MARKER = ("#ffd166", "#ff3b3b")  # the wall screen's marker: halo, dot (over a dark map)
MAP_MARKER = ("#1d4ed8", "#e63946")  # the layer map's (over a light map)


def key_store(key: CaseKey | None) -> dict[str, Any] | None:
    return None if key is None else {"source": key.source, "id": key.incident_id}


def search_box(ids: CaseIds, lang: str) -> html.Div:
    """The box (Enter or the button searches) and the list of hits under it."""
    return html.Div(
        [
            html.Div(
                [
                    dcc.Input(id=ids.query, type="search", placeholder=text(lang, "find_placeholder"),
                              maxLength=MAX_CHARS, debounce=True, autoComplete="off", className="case-query"),
                    html.Button(text(lang, "find"), id=ids.go, className="case-go", n_clicks=0),
                ],
                className="case-form",
            ),
            html.Div(id=ids.hits, className="case-hits"),
            dcc.Store(id=ids.selected),
            dcc.Store(id=ids.point),  # the open case's [lon, lat]: a redrawn map draws its marker again
        ],
        className="case-search",
    )  # fmt: skip


def _pick(ids: CaseIds, key: CaseKey, children: Any, *, className: str) -> html.Button:
    ident = {"type": ids.pick, "source": key.source, "id": key.incident_id}
    return html.Button(children, id=ident, className=className, n_clicks=0)


def hit_list(
    ids: CaseIds, hits: Sequence[CaseHit], lang: str, *, vocabulary: Vocabulary, limit: int
) -> list[Any]:
    """One button per hit (ticket, category, address, street); a note when none or when cut."""
    if not hits:
        return [html.Div(text(lang, "find_none"), className="case-none")]
    items: list[Any] = []
    for hit in hits:
        line = [
            html.Span(hit.ticket, className="case-ticket"),
            html.Span(vocabulary.label(hit.category, lang), className="case-cat"),
            html.Span(label(lang, "status", hit.status), className=f"case-status s-{hit.status}"),
            html.Span(hit.address or "", className="case-address"),
            html.Span(short_name(hit.street) if hit.street else "", className="case-street"),
        ]
        items.append(_pick(ids, hit.key, line, className=f"case-hit m-{hit.match}"))
    if len(hits) >= limit:
        items.append(html.Div(text(lang, "find_more", n=limit), className="case-none"))
    return items


def _facts(case: CaseDetail, lang: str, vocabulary: Vocabulary) -> html.Dl:
    place = " / ".join(x for x in (short_name(case.street or "") or None, short_name(case.community or "") or None, case.grid) if x)  # fmt: skip
    deadline = [_when(case.deadline_at), " ", html.Span(label(lang, "deadline", case.deadline_state), className=f"deadline d-{case.deadline_state}")]  # fmt: skip
    facts: list[tuple[str, Any]] = [
        ("case_category", vocabulary.label(case.category, lang)),
        ("case_source", source_name(lang, case.key.source)),
        ("case_status", label(lang, "status", case.status)),
        ("case_reported", _when(case.reported_at)),
        ("case_deadline", deadline),
        ("case_address", case.address or "—"),
        ("case_building", case.building_address or "—"),
        ("case_place", place or "—"),
        ("case_phone", case.phone or "—"),
    ]
    if case.rework_count:
        facts.append(("case_rework", str(case.rework_count)))
    description = case.description or "—"  # at most three lines; the whole text on hover
    facts.append(("case_description", html.Span(description, title=description, className="clamp")))
    return html.Dl(
        [x for k, v in facts for x in (html.Dt(text(lang, k)), html.Dd(v))], className="case-facts"
    )


def _step_text(step: Step, lang: str) -> list[str]:
    extra = []
    if step.department:
        extra.append(text(lang, "step_department", d=step.department))
    if step.satisfaction:
        extra.append(label(lang, "satisfaction", step.satisfaction))
    if step.resolved is not None:
        extra.append(label(lang, "resolved", step.resolved))
    if step.deadline_at is not None:
        extra.append(text(lang, "step_deadline", t=_when(step.deadline_at)))
    if step.note:
        extra.append(step.note)
    return extra


def timeline_list(steps: Sequence[Step], lang: str) -> html.Ol:
    return html.Ol(
        [
            html.Li(
                [html.Span(_when(s.at), className="step-at"), html.Span(label(lang, "step", s.kind), className="step-kind"),
                 *(html.Span(x, className="step-extra") for x in _step_text(s, lang))],
                className=f"step k-{s.kind}",
            )
            for s in steps
        ],
        className="case-timeline",
    )  # fmt: skip


def _linked(ids: CaseIds, linked: Sequence[LinkedCase], lang: str) -> list[Any]:
    if not linked:
        return [html.Div(text(lang, "none"), className="case-none")]
    return [
        _pick(
            ids,
            c.key,
            [html.Span(c.ticket, className="case-ticket"), html.Span(source_name(lang, c.key.source)),
             html.Span(_when(c.reported_at)), html.Span(label(lang, "status", c.status)),
             html.Span(text(lang, "linked_original" if c.original else "linked_duplicate"), className="case-role")],
            className="case-hit linked",
        )
        for c in linked
    ]  # fmt: skip


def detail_panel(ids: CaseIds, case: CaseDetail, lang: str, *, vocabulary: Vocabulary) -> list[Any]:
    """The panel's contents for ``case``: title, facts, timeline, linked duplicates."""
    return [
        html.H3(text(lang, "case_title", ticket=case.ticket)),
        _facts(case, lang, vocabulary),
        html.H4(text(lang, "case_timeline")),
        timeline_list(case.timeline, lang),
        html.H4(text(lang, "case_linked")),
        html.Div(_linked(ids, case.linked, lang), className="case-linked"),
    ]


def gone_panel(lang: str) -> list[Any]:
    """What the panel says for a case that is not there or not the account's to see."""
    return [html.H3(text(lang, "find_gone"))]


def panel(ids: CaseIds, lang: str) -> html.Aside:
    """The (hidden) detail panel with its close button; the page puts it over its map."""
    close = html.Button("×", id=ids.close, title=text(lang, "close"), className="case-close", n_clicks=0)
    return html.Aside(
        [close, html.Div(id=ids.body, className="case-body")], id=ids.panel, className="case-panel hidden"
    )


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def parse_point(stored: Any) -> tuple[float, float] | None:
    """The open case's place from the page's store (None: no case, or not a pair of finite numbers)."""
    if not isinstance(stored, list | tuple) or len(stored) != 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in stored):
        return None
    return float(stored[0]), float(stored[1])


def with_marker(figure: dict[str, Any], stored: Any, *, colours: tuple[str, str], base: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:  # fmt: skip
    """``figure`` (a new one, replacing the map's) with the open case's marker over ``base``'s
    layers; as it is when no case is open. A shallow copy: shared figures stay untouched."""
    point = parse_point(stored)
    if point is None:
        return figure
    layout = figure.get("layout", {})
    layers = [*base, *marker_layers(point, colours=colours)]
    return {**figure, "layout": {**layout, "map": {**layout.get("map", {}), "layers": layers}}}


def marker_layers(point: tuple[float, float] | None, *, colours: tuple[str, str]) -> list[dict[str, Any]]:
    """The case's marker as two map layout layers over every trace (a halo and a dot): layout
    layers stay when a refresh patches the traces. Without a point, the same two layers empty
    and hidden (replacing them in place, as Plotly does reliably, rather than removing them)."""
    features = [] if point is None else [_point(*point)]
    source = {"type": "FeatureCollection", "features": features}
    shown = point is not None
    halo, dot = colours
    return [
        {"sourcetype": "geojson", "source": source, "type": "circle", "circle": {"radius": 18}, "color": halo, "opacity": 0.45, "visible": shown, "name": "case-halo"},
        {"sourcetype": "geojson", "source": source, "type": "circle", "circle": {"radius": 7}, "color": dot, "opacity": 1.0, "visible": shown, "name": "case-marker"},
    ]  # fmt: skip
