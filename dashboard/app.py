"""The Dash application factory: one app per call, everything it needs passed in."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html
from sqlalchemy.engine import Engine

from dashboard.callbacks import register_callbacks
from dashboard.coverage import layout as coverage_page
from dashboard.coverage.callbacks import register_coverage_callbacks
from dashboard.coverage.views import CoverageCache, type_options
from dashboard.inspections import layout as inspections
from dashboard.inspections.callbacks import register_inspection_callbacks, today
from dashboard.inspections.views import streets as street_options
from dashboard.layout import DEFAULT_WINDOW, TITLE, page
from dashboard.monitor import page as monitor
from dashboard.monitor.callbacks import register_monitor_callbacks
from dashboard.monitor.views import MonitorCache
from dashboard.views import map_state
from geo.inspection_settings import InspectionSettings
from geo.service_types import service_types_from_file
from geo.settings import Settings
from layers.boundaries import street_list
from layers.network import NetworkCache
from layers.registry import LayerRegistry, default_registry
from layers.scope import Scope

ASSETS = Path(__file__).resolve().parent / "assets"

INDEX = """<!DOCTYPE html>
<html lang="zh-CN">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def _page(*, engine: Engine, registry: LayerRegistry, tile_url: str | None) -> html.Div:
    """Built on every page load, so the page always shows the current data."""
    scope = Scope.district()
    with engine.connect() as conn:
        state = map_state(
            conn,
            registry,
            keys=registry.defaults(),
            scope=scope,
            window_key=DEFAULT_WINDOW,
            tile_url=tile_url,
        )
        streets = street_list(conn, scope)
    return page(registry, figure=state.figure, present=state.present, streets=streets, as_of=state.as_of)


def create_app(settings: Settings, engine: Engine, *, registry: LayerRegistry | None = None) -> Dash:
    """A new dashboard app reading from ``engine``; assets are served locally, no CDN."""
    registry = default_registry() if registry is None else registry
    app = Dash(
        __name__,
        title=TITLE,
        update_title="",
        serve_locally=True,
        compress=True,  # flask-compress: plotly.js 4.8 MB → ~1.4 MB, figures ~5× smaller
        assets_folder=str(ASSETS),
        index_string=INDEX,
    )
    # Dash embeds the validation layout in every HTML page: built without data, it names every
    # component id the callbacks use on either page.
    map_page = page(registry, figure=go.Figure(), present=[], streets=[], as_of="")
    planning_page = inspections.page([], today=today())
    coverage = coverage_page.page([], default=None)
    app.validation_layout = html.Div([_shell(), map_page, monitor.skeleton(), planning_page, coverage])  # type: ignore[assignment]
    service_types = service_types_from_file(settings.district_file)
    app.layout = _shell()
    cache = MonitorCache()

    @app.callback(Output(PAGE, "children"), Input(URL, "pathname"), Input(URL, "search"))
    def route(pathname: str | None, search: str | None) -> html.Div:
        """``/`` and ``/monitor``: the wall screen; ``/map``: the layer map; ``/inspections``: the
        street leader's planning page; ``/coverage``: the planners' coverage page; else not found."""
        if pathname in (None, "/", "/monitor"):
            return monitor.build(engine, settings, cache, query=parse_qs((search or "").lstrip("?")))
        if pathname == "/map":
            return _page(engine=engine, registry=registry, tile_url=settings.tile_url)
        if pathname == "/coverage":
            with engine.connect() as conn:
                options = type_options(conn, service_types)
            return coverage_page.page(options, default=options[0]["value"] if options else None)
        if pathname == "/inspections":
            with engine.connect() as conn:
                return inspections.page(street_options(conn), today=today())
        return html.Div(
            [html.H1("404"), dcc.Link("平城区综治中心 / monitor", href="/monitor")], className="not-found"
        )

    register_callbacks(app, engine=engine, registry=registry, tile_url=settings.tile_url)
    register_monitor_callbacks(app, engine=engine, cache=cache)
    register_coverage_callbacks(app, engine=engine, cache=CoverageCache(), types=service_types)
    register_inspection_callbacks(
        app,
        engine=engine,
        networks=NetworkCache(),
        settings=InspectionSettings.from_file(settings.district_file),
    )
    return app


URL, PAGE = "url", "page"


def _shell() -> html.Div:
    return html.Div([dcc.Location(id=URL), html.Div(id=PAGE)])
