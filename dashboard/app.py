"""The Dash application factory: one app per call, everything it needs passed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import layout as map_layout
from dashboard import views as map_views
from dashboard.api import install_api
from dashboard.api._body import MAX_BYTES as API_MAX_BYTES
from dashboard.audit import layout as audit_page
from dashboard.audit.callbacks import register_audit_callbacks, shown
from dashboard.audit.paging import Cursor
from dashboard.auth import current_user, install_auth
from dashboard.auth.access import SHELL, callback_pages, may_use, page_for_path
from dashboard.auth.current import current_row_scope, may_see_street
from dashboard.bilingual import tr
from dashboard.callbacks import register_callbacks
from dashboard.case_callbacks import CasePage, register_case_callbacks
from dashboard.case_panel import MAP_MARKER
from dashboard.compare_menu import register_compare_menu
from dashboard.coverage import layout as coverage_page
from dashboard.coverage.callbacks import register_coverage_callbacks, register_scenario_callbacks
from dashboard.coverage.views import CoverageCache, type_options
from dashboard.empty import empty_state
from dashboard.figure import tile_layers
from dashboard.identity import IdentityCache
from dashboard.inspections import layout as inspections
from dashboard.inspections.callbacks import register_inspection_callbacks, today
from dashboard.inspections.solver import Solver
from dashboard.inspections.views import streets as street_options
from dashboard.layout import DEFAULT_WINDOW, page
from dashboard.monitor import layout as monitor_layout
from dashboard.monitor import page as monitor
from dashboard.monitor.callbacks import compared_filter, register_monitor_callbacks, window_period
from dashboard.monitor.page import is_kiosk, view_query
from dashboard.monitor.views import Controls, MonitorCache
from dashboard.nav import nav_items
from dashboard.ops import install_operations
from dashboard.pages import BY_KEY, PAGES
from dashboard.refusals import no_access, not_found
from dashboard.report_menu import register_report_menu, street_of_drill, street_of_value
from dashboard.results import layout as results_page
from dashboard.results.callbacks import register_results_callbacks
from dashboard.tiles import install_tiles
from dashboard.uploads import layout as uploads_page
from dashboard.uploads.callbacks import kind_options, register_upload_callbacks, upload_setup
from dashboard.views import MapCaches, shared_map_state
from geo import row_scope
from geo.campaigns import campaigns_from_file
from geo.db import database_url, make_engine
from geo.district_names import DistrictNames
from geo.errors import ConfigError
from geo.inspection_settings import InspectionSettings
from geo.service_types import ServiceType, service_types_from_file
from geo.settings import Settings
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from geo.workcal import WorkCalendar
from layers.audit import AuditFilter, accounts, kinds
from layers.basemap import TileCache
from layers.boundaries import street_list
from layers.drill import Drill
from layers.identity import Identity
from layers.inventory import Presence, presence
from layers.registry import HeldIncidents, LayerRegistry, default_registry
from layers.scope import Scope

ASSETS = Path(__file__).resolve().parent / "assets"

INDEX = """<!DOCTYPE html>
<html lang="zh-CN">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


class _Dash(Dash):
    """Dash whose HTML page is titled after the loaded district (asked on every page load)."""

    def __init__(self, *args: Any, title_of: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._title_of = title_of

    def interpolate_index(self, **kwargs: Any) -> Any:  # type: ignore[override]  # Dash names each keyword
        kwargs["title"] = escape(self._title_of())
        return super().interpolate_index(**kwargs)


def _page(
    *,
    engine: Engine,
    registry: LayerRegistry,
    tile_url: str | None,
    maps: MapCaches,
    identity: Identity,
    loaded: Presence,
) -> html.Div:
    """Built on every page load, with the current data (the map shared as the callback's is)."""
    scope = Scope.district()
    state = shared_map_state(
        maps,
        engine,
        registry,
        keys=registry.defaults(),
        scope=scope,
        window_key=DEFAULT_WINDOW,
        tile_url=tile_url,
    )
    with engine.connect() as conn:
        streets = [(code, name) for code, name in street_list(conn, scope) if may_see_street(code)]
    return page(
        registry,
        figure=state.figure,
        present=state.present,
        streets=streets,
        as_of=state.as_of,
        identity=identity,
        notice=empty_state("map", loaded),
    )


PageBuilder = Callable[[str | None], html.Div]


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    registry: LayerRegistry | None = None,
    monitor_cache: MonitorCache | None = None,
    solver: Solver | None = None,
    coverage_cache: CoverageCache | None = None,
    vocabulary: Vocabulary | None = None,
    identity_cache: IdentityCache | None = None,
    api_engine: Engine | None = None,
) -> Dash:
    """A new dashboard app reading from ``engine``; assets are served locally, no CDN. Every
    route and callback is behind the login gate (``dashboard/auth``), and every transaction
    runs in the caller's row scope (``geo/row_scope.py``) on a copy of ``engine`` that shares
    its pool (``engine`` itself is left as it was). ``vocabulary`` (default: read from the
    district file) names the categories and inspection kinds on every page. The intake API
    (``dashboard/api``) writes through ``api_engine`` (default: the owner's ``DATABASE_URL``)."""
    registry = default_registry() if registry is None else registry
    unscoped, engine = engine, engine.execution_options()
    row_scope.install(engine, current_row_scope)
    identity = (
        IdentityCache(unscoped, DistrictNames.from_file(settings.district_file))
        if identity_cache is None
        else identity_cache
    )
    app = _Dash(
        __name__,
        title_of=lambda: identity.get().title,
        update_title="",
        serve_locally=True,
        compress=True,  # flask-compress: plotly.js 4.8 MB → ~1.4 MB, figures ~5× smaller
        assets_folder=str(ASSETS),
        index_string=INDEX,
    )
    if settings.proxy_hops:  # the client's address and scheme as the trusted proxies saw them
        hops = settings.proxy_hops
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=hops, x_proto=hops)
    # before the gate: every request gets an id
    install_operations(app.server, engine=unscoped, heading=lambda: identity.last().title_zh)
    app.server.context_processor(lambda: _login_names(identity.get()))  # the login page's title
    # Dash embeds the validation layout in every HTML page: built without data, it names every
    # component id the callbacks use on any page; the same layouts tell each callback's page.
    vocabulary = Vocabulary.from_file(settings.district_file) if vocabulary is None else vocabulary
    layouts = _skeletons(registry, vocabulary)
    app.validation_layout = html.Div(list(layouts.values()))  # type: ignore[assignment]
    service_types = service_types_from_file(settings.district_file)
    app.layout = _shell()
    sla = SlaRules.from_file(settings.district_file, vocabulary=vocabulary)
    cache = MonitorCache(sla) if monitor_cache is None else monitor_cache
    maps = MapCaches(held=lambda conn: HeldIncidents(cache.facts(conn), cache.latitude(conn)))
    builders = _builders(
        settings,
        engine,
        registry=registry,
        cache=cache,
        service_types=service_types,
        maps=maps,
        vocabulary=vocabulary,
        identity=identity,
        unscoped=unscoped,
    )
    _check_pages(builders, layouts)

    @app.callback(Output(PAGE, "children"), Input(URL, "pathname"), Input(URL, "search"))
    def route(pathname: str | None, search: str | None) -> html.Div:
        """The page for the path (see ``dashboard/auth/access.PATHS``) if the account's role may
        use it; a "no access" note if not; not found otherwise."""
        page, user = page_for_path(pathname), current_user()
        role = None if user is None else user.role
        if page is None:
            return not_found(role=role)
        if role is None or not may_use(role, page):
            return no_access(BY_KEY[page], role=role)
        return builders[page](search)

    @app.callback(
        Output(PAGE, "children", allow_duplicate=True),
        Input(monitor_layout.SWITCH_LANG, "n_clicks"),
        *(State(i, p) for i, p in _MONITOR_STATE),
        prevent_initial_call=True,
    )
    def switch_language(_n: Any, lang: Any, stored: Any, *chosen: Any) -> html.Div:
        """The wall screen built again in the other language, where it was, with its choices.
        Dash calls it too when a new page brings a new button (its output, the page, was there
        before its input, so ``prevent_initial_call`` does not hold): only a press switches."""
        user = current_user()
        if not isinstance(_n, int) or _n < 1 or user is None or not may_use(user.role, "monitor"):
            raise PreventUpdate
        return builders["monitor"](_monitor_query(lang, stored, chosen, vocabulary=vocabulary))

    @app.callback(Output(NAV, "children"), Input(URL, "pathname"), Input(URL, "search"))
    def navigation(pathname: str | None, search: str | None) -> list[Component]:
        """The navigation bar for the signed-in account (none in a kiosk)."""
        kiosk = is_kiosk(parse_qs((search or "").lstrip("?")))
        current = page_for_path(pathname)
        return nav_items(current_user(), current=current, kiosk=kiosk, centre=identity.get().centre)

    register_callbacks(app, engine=engine, registry=registry, tile_url=settings.tile_url, maps=maps)
    coverage = CoverageCache() if coverage_cache is None else coverage_cache
    register_monitor_callbacks(app, engine=engine, cache=cache, vocabulary=vocabulary)
    for menu, place, street_of in (
        (monitor_layout.REPORT, (monitor_layout.DRILL, "data"), street_of_drill),
        (inspections.REPORT, (inspections.STREET, "value"), street_of_value),
    ):
        register_report_menu(app, menu, place=place, street_of=street_of, engine=engine, cache=cache, vocabulary=vocabulary,
                             types=service_types, walking=coverage.walking)  # fmt: skip
    register_compare_menu(
        app, monitor_layout.COMPARE, place=[(monitor_layout.DRILL, "data"), (monitor_layout.CATEGORY, "value"), (monitor_layout.SOURCE, "value")],
        window=(monitor_layout.WINDOW, "value"), filter_of=compared_filter(vocabulary), window_period=window_period, own_dates=True,
        lang=(monitor_layout.LANG, "data"), engine=engine, cache=cache,
    )  # fmt: skip
    register_compare_menu(app, map_layout.COMPARE, place=[(map_layout.STREET, "value")], window=(map_layout.WINDOW, "value"),
                          filter_of=map_views.compared_filter, window_period=map_views.compared_period, own_dates=False,
                          lang=None, engine=engine, cache=cache)  # fmt: skip
    for case_page in _case_pages(settings):
        register_case_callbacks(app, engine=engine, vocabulary=vocabulary, page=case_page)
    register_coverage_callbacks(app, engine=engine, cache=coverage, types=service_types, identity=identity)
    register_scenario_callbacks(app, engine=engine, cache=coverage, types=service_types)
    register_inspection_callbacks(
        app,
        engine=engine,
        networks=coverage.networks,  # one road network per process for both pages
        settings=InspectionSettings.from_file(settings.district_file),
        solver=Solver() if solver is None else solver,
        kinds=vocabulary.inspection_kinds,
    )
    install_api(
        app.server,
        settings=settings,
        engine=make_engine(database_url(settings), pool_size=settings.threads)
        if api_engine is None
        else api_engine,
        vocabulary=vocabulary,
    )
    install_tiles(app.server, engine=engine, cache=TileCache())
    register_results_callbacks(app, engine=engine, kinds=vocabulary.inspection_kinds, today=today,
                               campaigns=campaigns_from_file(settings.district_file, kinds=vocabulary.inspection_kinds))  # fmt: skip
    register_audit_callbacks(app, engine=engine)
    register_upload_callbacks(app, engine=engine, setup=upload_setup(settings, vocabulary=vocabulary))
    # an upload arrives as base64 in one callback request, an API batch as JSON: bound every body
    app.server.config["MAX_CONTENT_LENGTH"] = max(settings.upload_max_mb * 1_400_000, API_MAX_BYTES + 1)
    install_auth(
        app.server,
        settings=settings,
        engine=engine,
        callback_pages=callback_pages(app.callback_map, layouts),
        script_hashes=app.csp_hashes(),
    )
    return app


_MONITOR_STATE = (
    (monitor_layout.LANG, "data"), (monitor_layout.DRILL, "data"), (monitor_layout.WINDOW, "value"),
    (monitor_layout.CATEGORY, "value"), (monitor_layout.SOURCE, "value"), (monitor_layout.STATUS, "value"),
    (monitor_layout.MODE, "value"),
)  # fmt: skip


def _monitor_query(lang: Any, stored: Any, chosen: tuple[Any, ...], *, vocabulary: Vocabulary) -> str:
    """The query that opens the wall screen where it is, in the other language (all of it checked
    again by the page's builder)."""
    window, cats, sources, statuses, mode = chosen
    controls = Controls.parse(window=window, categories=cats, sources=sources, statuses=statuses, mode=mode,
                              lang=lang, known_categories=vocabulary.categories)  # fmt: skip
    try:
        drill = Drill.parse(stored)
    except ValueError:
        drill = Drill()
    return view_query(lang="en" if controls.lang == "zh" else "zh", drill=drill, controls=controls)


def _provisional_for_admins(calendar: WorkCalendar) -> dt.date | None:
    """For an admin: the first of the next 30 days whose deadlines are provisional (no holiday
    notice loaded for its year: WorkCalendar.provisional_from); None for others."""
    user = current_user()
    return calendar.provisional_from(today()) if user is not None and user.role == "admin" else None


def _check_pages(builders: Mapping[str, PageBuilder], layouts: Mapping[str, Component]) -> None:
    """Every registered page (``dashboard/pages.py``) has its builder and its layout."""
    keys = {page.key for page in PAGES}
    if keys != set(builders) or keys | {SHELL} != set(layouts):
        raise ConfigError(
            f"pages {sorted(keys)} vs builders {sorted(builders)} and layouts {sorted(layouts)}"
        )


def _case_pages(settings: Settings) -> list[CasePage]:
    """The pages that find one case: the wall screen (its language store) and the map (Chinese,
    its tile layer under the marker)."""
    return [
        CasePage(monitor_layout.CASE, monitor_layout.MAP, lang_store=monitor_layout.LANG),
        CasePage(
            map_layout.CASE,
            map_layout.MAP,
            base_layers=tile_layers(settings.tile_url),
            colours=MAP_MARKER,
        ),
    ]


def _skeletons(registry: LayerRegistry, vocabulary: Vocabulary) -> dict[str, Component]:
    """Each page's layout without data, by page key (see ``dashboard/auth/access.PAGE_ROLES``)."""
    return {
        SHELL: _shell(),
        "map": page(registry, figure=go.Figure(), present=[], streets=[], as_of=tr("", "")),
        "monitor": monitor.skeleton(),
        "inspections": inspections.page([], today=today(), kinds=vocabulary.inspection_kinds),
        "coverage": coverage_page.page([], default=None),
        "results": results_page.page([], today=today()),
        "audit": audit_page.page([], cursor=Cursor()),
        "data": uploads_page.page(kind_options(), max_mb=1),
    }


def _builders(
    settings: Settings,
    engine: Engine,
    *,
    registry: LayerRegistry,
    cache: MonitorCache,
    service_types: Mapping[str, ServiceType],
    maps: MapCaches,
    vocabulary: Vocabulary,
    identity: IdentityCache,
    unscoped: Engine,
) -> dict[str, PageBuilder]:
    """Each page's builder with current data, by page key; given the URL's query string. What
    is loaded is read outside the row scope (``unscoped``): a page says what to load only when
    the database lacks it."""

    def loaded() -> Presence:
        with unscoped.connect() as conn:
            return presence(conn)

    def coverage(_search: str | None) -> html.Div:
        with engine.connect() as conn:
            options = type_options(conn, service_types)
        default = options[0]["value"] if options else None
        return coverage_page.page(options, default=default, notice=empty_state("coverage", loaded()))

    def audit_log(search: str | None) -> html.Div:
        kind = audit_page.kind_from(search)
        with engine.connect() as conn:
            rows, cursor = shown(conn, AuditFilter(kind=kind), Cursor())
            return audit_page.page(rows, cursor=cursor, kinds=kinds(conn), users=accounts(conn), kind=kind)

    def planning(_search: str | None) -> html.Div:
        with engine.connect() as conn:
            allowed = current_row_scope()
            options = [(i, name) for i, name in street_options(conn) if allowed.allows(i)]
            return inspections.page(
                options,
                today=today(),
                kinds=vocabulary.inspection_kinds,
                notice=empty_state("inspections", loaded()),
            )

    def monitor_page(search: str | None) -> html.Div:
        query = parse_qs((search or "").lstrip("?"))
        return monitor.build(
            engine,
            settings,
            cache,
            query=query,
            vocabulary=vocabulary,
            identity=identity.get(),
            notice=empty_state("monitor", loaded()),
            provisional=_provisional_for_admins(cache.sla.calendar),
        )

    def results(_search: str | None) -> html.Div:
        with engine.connect() as conn:
            allowed = current_row_scope()
            return results_page.page(
                [(i, n) for i, n in street_options(conn) if allowed.allows(i)], today=today()
            )

    def map_page(_search: str | None) -> html.Div:
        return _page(engine=engine, registry=registry, tile_url=settings.tile_url, maps=maps,
                     identity=identity.get(), loaded=loaded())  # fmt: skip

    def data(_search: str | None) -> html.Div:
        return uploads_page.page(kind_options(), max_mb=settings.upload_max_mb)

    return {
        "monitor": monitor_page,
        "map": map_page,
        "coverage": coverage,
        "inspections": planning,
        "results": results,
        "audit": audit_log,
        "data": data,
    }


def _login_names(identity: Identity) -> dict[str, str]:
    """What the login page's template (dashboard/auth/templates) is titled with."""
    return {"gridgov_title_zh": identity.title_zh, "gridgov_title_en": identity.title_en}


URL, PAGE, NAV = "url", "page", "nav"


def _shell() -> html.Div:
    """The frame around every page: the router's location, the navigation bar and the page."""
    return html.Div([dcc.Location(id=URL), html.Nav(id=NAV, className="app-nav"), html.Div(id=PAGE)])
