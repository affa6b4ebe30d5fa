"""Finding one case: thin callbacks over :mod:`layers.case_search` and :mod:`layers.case_detail`,
registered once per page that carries the search (:class:`CasePage`).

The page a callback belongs to is the one holding its outputs (``dashboard/auth/access.py``), so
the wall screen's search answers every role that may open the wall screen and the map's only
those who may open the map. Rows are read in the request's row scope (``geo/row_scope.py``): a
street leader finds, opens and sees linked only the cases of their streets, whatever key the
browser sends. The map is patched, not redrawn: its centre, zoom and a marker layer; the case's place is kept
in the page's ``point`` store, so a page that replaces its whole map (another view) draws the
marker again (:func:`dashboard.case_panel.with_marker`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dash import ALL, Dash, Input, Output, Patch, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Engine

from dashboard import case_panel as P
from dashboard.monitor.i18n import LANGS
from geo.errors import SearchError
from geo.vocabulary import Vocabulary
from layers.case_detail import CaseDetail, case_detail
from layers.case_search import LIMIT, CaseHit, CaseKey, search_cases

CASE_ZOOM = 16.5


@dataclass(frozen=True)
class CasePage:
    """One page's search: its ids, its map's id, its language store (None: Chinese), the map's
    own layout layers (a tile layer) and the marker's colours."""

    ids: P.CaseIds
    map_id: str
    lang_store: str | None = None
    base_layers: Sequence[dict[str, Any]] = field(default_factory=list)
    colours: tuple[str, str] = P.WALL_MARKER


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _lang(values: Sequence[Any]) -> str:
    return values[0] if values and values[0] in LANGS else "zh"


def parse_key(stored: Any) -> CaseKey | None:
    """The selected case from the page's store; None for none; ValueError if malformed."""
    if stored is None:
        return None
    if not isinstance(stored, dict) or not isinstance(stored.get("source"), str):
        raise ValueError(f"not a case: {stored!r}")
    ident = stored.get("id")
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise ValueError(f"a case id is a whole number, not {ident!r}")
    return CaseKey(stored["source"], ident)


def opens_at_once(hits: Sequence[CaseHit]) -> CaseKey | None:
    """The case to open without a click: the only one whose ticket is exactly the text."""
    exact = [h for h in hits if h.match == "ticket"]
    return exact[0].key if len(exact) == 1 else None


def marker_patch(page: CasePage, case: CaseDetail | None) -> Patch:
    """The map centred on ``case`` with its marker; without a case, the marker hidden."""
    patch = Patch()
    point = None if case is None else (case.lon, case.lat)
    patch["layout"]["map"]["layers"] = [*page.base_layers, *P.marker_layers(point, colours=page.colours)]
    if case is None:
        return patch
    patch["layout"]["map"]["center"] = {"lon": case.lon, "lat": case.lat}
    patch["layout"]["map"]["zoom"] = CASE_ZOOM
    return patch


def register_case_callbacks(app: Dash, *, engine: Engine, vocabulary: Vocabulary, page: CasePage) -> None:
    ids = page.ids
    lang_state = [State(page.lang_store, "data")] if page.lang_store else []

    @app.callback(
        Output(ids.hits, "children"),
        Output(ids.selected, "data"),
        Input(ids.query, "value"),
        Input(ids.go, "n_clicks"),
        *lang_state,
        prevent_initial_call=True,
    )
    def search(query: Any, _n: Any, *lang_value: Any) -> tuple[Any, Any]:
        lang = _lang(lang_value)
        try:
            with engine.connect() as conn:
                hits = search_cases(conn, "" if query is None else query, limit=LIMIT)
        except SearchError as error:
            return [html.Div(str(error), className="case-none")], no_update
        if not hits and not str(query or "").strip():
            return [], no_update
        chosen = opens_at_once(hits)
        if chosen is not None:  # opened at once: nothing to choose from
            return [], P.key_store(chosen)
        return P.hit_list(ids, hits, lang, vocabulary=vocabulary, limit=LIMIT), no_update

    @app.callback(
        Output(ids.selected, "data", allow_duplicate=True),
        Input({"type": ids.pick, "source": ALL, "id": ALL}, "n_clicks"),
        Input(ids.close, "n_clicks"),
        prevent_initial_call=True,
    )
    def pick(_picks: Any, _close: Any) -> Any:
        trigger = ctx.triggered_id
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            raise PreventUpdate  # buttons that just appeared (a new list of hits)
        if trigger == ids.close:
            return None
        if isinstance(trigger, dict):
            return P.key_store(parse_key({"source": trigger.get("source"), "id": trigger.get("id")}))
        raise PreventUpdate

    @app.callback(
        Output(ids.body, "children"),
        Output(ids.panel, "className"),
        Output(page.map_id, "figure", allow_duplicate=True),
        Output(ids.point, "data"),
        Input(ids.selected, "data"),
        *lang_state,
        prevent_initial_call=True,
    )
    def show(stored: Any, *lang_value: Any) -> tuple[Any, str, Patch, Any]:
        key, lang = parse_key(stored), _lang(lang_value)
        if key is None:
            return [], "case-panel hidden", marker_patch(page, None), None
        with engine.connect() as conn:
            case = case_detail(conn, key, now=now())
        if case is None:
            return P.gone_panel(lang), "case-panel", marker_patch(page, None), None
        body = P.detail_panel(ids, case, lang, vocabulary=vocabulary)
        return body, "case-panel", marker_patch(page, case), [case.lon, case.lat]
