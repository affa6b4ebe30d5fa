"""The page, as pure functions from data to Dash components (no database access here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from dashboard import case_panel
from dashboard.case_panel import CaseIds
from layers.identity import Identity
from layers.registry import LayerRegistry

MAP, LAYERS, STREET, WINDOW, PRESENT, AS_OF = "map", "layers", "street", "window", "present", "as-of"
DISTRICT = "district"  # the street picker's value for the whole district
WINDOWS = {"7": "近7天", "30": "近30天", "90": "近90天", "all": "全部"}
DEFAULT_WINDOW = "30"
CASE = CaseIds("case")  # finding one case (dashboard/case_panel.py); the page is in Chinese

# shown only while the demo (`gridgov demo`) is what is loaded
DEMO_NOTE = (
    "{name}及所辖{streets}个街道、{communities}个社区、{villages}个村的代码和名称，以及区界，均为真实数据"
    "（国家统计局2023年统计用区划代码）。街道、社区/村、网格、楼栋的边界和位置，以及全部事件，"
    "均为合成的演示数据，不代表实际情况；请替换为本单位的数据。"
)


def demo_note_text(identity: Identity) -> str:
    streets, communities, villages = identity.units
    return DEMO_NOTE.format(name=identity.name, streets=streets, communities=communities, villages=villages)


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
        [html.Strong("数据说明"), html.P(demo_note_text(identity))], className="note", id="demo-note"
    )


def layer_checklist(registry: LayerRegistry, value: Sequence[str]) -> dcc.Checklist:
    """One box per registered layer, top layer first; the English name is the tooltip."""
    options: list[Any] = [
        {"label": html.Span(layer.label_zh, title=layer.label_en), "value": layer.key} for layer in registry
    ]
    return dcc.Checklist(id=LAYERS, options=options, value=list(value), className="layers")


def street_picker(streets: Sequence[tuple[str, str]]) -> dcc.Dropdown:
    """全区 or one street; names are data, and Dash renders them as text, never as HTML."""
    options = [{"label": "全区", "value": DISTRICT}] + [{"label": n, "value": c} for c, n in streets]
    return dcc.Dropdown(id=STREET, options=options, value=DISTRICT, clearable=False, searchable=True)


def window_picker() -> dcc.RadioItems:
    options = [{"label": label, "value": key} for key, label in WINDOWS.items()]
    return dcc.RadioItems(id=WINDOW, options=options, value=DEFAULT_WINDOW, className="windows")


def _section(title: str, *children: Any) -> html.Section:
    return html.Section([html.H2(title), *children], className="panel-section")


def side_panel(
    registry: LayerRegistry,
    *,
    layers: Sequence[str],
    streets: Sequence[tuple[str, str]],
    as_of: str,
    identity: Identity,
    notice: html.Div | None = None,
) -> html.Aside:
    return html.Aside(
        [
            notice,
            _section("查找事件", case_panel.search_box(CASE, "zh")),
            _section("范围", street_picker(streets)),
            _section("事件时间", window_picker(), html.Div(as_of, id=AS_OF, className="as-of")),
            _section("图层", layer_checklist(registry, layers)),
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
    as_of: str,
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
