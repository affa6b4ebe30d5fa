"""The page, as pure functions from data to Dash components (no database access here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from layers.registry import LayerRegistry

TITLE = "平城区网格治理"
MAP, LAYERS, STREET, WINDOW, PRESENT, AS_OF = "map", "layers", "street", "window", "present", "as-of"
DISTRICT = "district"  # the street picker's value for the whole district
WINDOWS = {"7": "近7天", "30": "近30天", "90": "近90天", "all": "全部"}
DEFAULT_WINDOW = "30"

DEMO_NOTE = (
    "平城区及所辖18个街道、155个社区、47个村的代码和名称，以及区界，均为真实数据"
    "（国家统计局2023年统计用区划代码）。街道、社区/村、网格、楼栋的边界和位置，以及全部事件，"
    "均为合成的演示数据，不代表实际情况；请替换为本单位的数据。"
)


def header() -> html.Header:
    return html.Header(
        [html.H1(TITLE), html.Span("大同市平城区 · 综治中心 · 网格化服务管理", className="subtitle")],
        className="header",
    )


def demo_note() -> html.Div:
    return html.Div([html.Strong("数据说明"), html.P(DEMO_NOTE)], className="note", id="demo-note")


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
    registry: LayerRegistry, *, layers: Sequence[str], streets: Sequence[tuple[str, str]], as_of: str
) -> html.Aside:
    return html.Aside(
        [
            _section("范围", street_picker(streets)),
            _section("事件时间", window_picker(), html.Div(as_of, id=AS_OF, className="as-of")),
            _section("图层", layer_checklist(registry, layers)),
            demo_note(),
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
) -> html.Div:
    """The whole page: header, controls on the left, the map filling the rest."""
    layers = [key for key, _ in present]
    return html.Div(
        [
            header(),
            html.Main(
                [side_panel(registry, layers=layers, streets=streets, as_of=as_of), map_graph(figure)],
                className="body",
            ),
            dcc.Store(id=PRESENT, data=[list(item) for item in present]),
        ],
        className="page",
    )
