"""The page, as pure functions from data to Dash components (no database access here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from dashboard import case_panel
from dashboard.bilingual import tr
from dashboard.case_panel import CaseIds
from dashboard.compare_menu import CompareIds, compare_menu, date_range
from layers.identity import Identity
from layers.registry import LayerRegistry

MAP, LAYERS, STREET, WINDOW, PRESENT, AS_OF = "map", "layers", "street", "window", "present", "as-of"
DISTRICT = "district"  # the street picker's value for the whole district
WINDOWS = {
    "7": ("近7天", "last 7 days"),
    "30": ("近30天", "last 30 days"),
    "90": ("近90天", "last 90 days"),
    "all": ("全部", "all"),
}
DEFAULT_WINDOW = "30"
CASE = CaseIds("case")  # finding one case (dashboard/case_panel.py), in Chinese
COMPARE = CompareIds("map-compare", "map-dates", "map-compare-body")  # its dates set the window

# shown only while the demo (`gridgov demo`) is what is loaded
DEMO_NOTE = (
    "{name}及所辖{streets}个街道、{communities}个社区、{villages}个村的代码和名称，以及区界，均为真实数据"
    "（国家统计局2023年统计用区划代码）。街道、社区/村、网格、楼栋的边界和位置，以及全部事件，"
    "均为合成的演示数据，不代表实际情况；请替换为本单位的数据。"
)
DEMO_NOTE_EN = (
    "The codes and names of {name} and its {streets} streets, {communities} communities and {villages} villages, "
    "and the district outline, are real (the National Bureau of Statistics' 2023 division codes). The outlines and "
    "places of streets, communities and villages, grids and buildings, and every incident, are synthetic demo data "
    "that describe nothing real: replace them with your own."
)


def demo_note_text(identity: Identity, *, lang: str = "zh") -> str:
    streets, communities, villages = identity.units
    note = DEMO_NOTE_EN if lang == "en" else DEMO_NOTE
    return note.format(name=identity.name, streets=streets, communities=communities, villages=villages)


def header(identity: Identity) -> html.Header:
    subtitle = f"{identity.centre} · 网格化服务管理 · {identity.title_en}"
    return html.Header(
        [html.H1(identity.title_zh), html.Span(subtitle, className="subtitle")], className="header"
    )


def demo_note(identity: Identity) -> html.Div | None:
    """The note that says what is real and what synthetic, when the demo is what is loaded."""
    if not identity.demo:
        return None
    return html.Div(
        [
            html.Strong(tr("数据说明", "About the data")),
            html.P(tr(demo_note_text(identity), demo_note_text(identity, lang="en"))),
        ],
        className="note",
        id="demo-note",
    )


def layer_checklist(registry: LayerRegistry, value: Sequence[str]) -> dcc.Checklist:
    """One box per registered layer, top layer first, named in the page's language."""
    options: list[Any] = [
        {"label": tr(layer.label_zh, layer.label_en), "value": layer.key} for layer in registry
    ]
    return dcc.Checklist(id=LAYERS, options=options, value=list(value), className="layers")


def street_picker(streets: Sequence[tuple[str, str]]) -> dcc.Dropdown:
    """全区 or one street; names are data, and Dash renders them as text, never as HTML."""
    whole = {"label": tr("全区", "Whole district"), "value": DISTRICT, "search": "全区 whole district"}
    options = [whole] + [{"label": n, "value": c} for c, n in streets]
    return dcc.Dropdown(id=STREET, options=options, value=DISTRICT, clearable=False, searchable=True)


def window_picker() -> dcc.RadioItems:
    options = [{"label": tr(*label), "value": key} for key, label in WINDOWS.items()]
    return dcc.RadioItems(id=WINDOW, options=options, value=DEFAULT_WINDOW, className="windows")


def _section(title: html.Span, *children: Any) -> html.Section:
    return html.Section([html.H2(title), *children], className="panel-section")


def side_panel(
    registry: LayerRegistry,
    *,
    layers: Sequence[str],
    streets: Sequence[tuple[str, str]],
    as_of: html.Span,
    identity: Identity,
    notice: html.Div | None = None,
) -> html.Aside:
    return html.Aside(
        [
            notice,
            _section(tr("查找事件", "Find a case"), case_panel.search_box(CASE, "zh")),
            _section(tr("范围", "Area"), street_picker(streets)),
            _section(
                tr("事件时间", "Reported"),
                window_picker(),
                date_range(COMPARE.dates, today=None, lang=None),
                compare_menu(COMPARE, today=None, picker=False),
                html.Div(as_of, id=AS_OF, className="as-of"),
            ),
            _section(tr("图层", "Layers"), layer_checklist(registry, layers)),
            demo_note(identity),
        ],
        className="side-panel",
    )


def map_graph(figure: go.Figure) -> dcc.Graph:
    config = dcc.Graph.Config(displaylogo=False, scrollZoom=True, displayModeBar=False)
    return dcc.Graph(id=MAP, figure=figure, config=config, className="map")


def page(
    registry: LayerRegistry,
    *,
    figure: go.Figure,
    present: Sequence[tuple[str, int]],
    streets: Sequence[tuple[str, str]],
    as_of: html.Span,
    identity: Identity | None = None,
    notice: html.Div | None = None,
) -> html.Div:
    """The whole page: header, controls on the left (what is still to load on top), the map
    filling the rest."""
    layers = [key for key, _ in present]
    identity = Identity() if identity is None else identity
    panel = side_panel(
        registry, layers=layers, streets=streets, as_of=as_of, identity=identity, notice=notice
    )
    return html.Div(
        [
            header(identity),
            html.Main([panel, map_graph(figure), case_panel.panel(CASE, "zh")], className="body"),
            dcc.Store(id=PRESENT, data=[list(item) for item in present]),
        ],
        className="page",
    )
