"""Building the wall screen on page load, from the URL's query (``lang``, ``kiosk``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from dash import html
from sqlalchemy.engine import Engine

from dashboard.auth.current import current_row_scope
from dashboard.monitor.callbacks import shared_view, yours
from dashboard.monitor.layout import Live, monitor_page
from dashboard.monitor.views import Controls, MapData, MonitorCache, MonitorData, home_drill
from geo.settings import Settings
from geo.vocabulary import Vocabulary
from layers.density import Density
from layers.drill import Drill
from layers.identity import Identity


def _first(query: Mapping[str, Sequence[str]], key: str) -> str:
    values = query.get(key) or [""]
    return values[0]


def _drill(value: str) -> Drill | None:
    """``level:id`` (``district`` alone) as a place, or None if it names none."""
    if not value:
        return None
    level, _, unit = value.partition(":")
    try:
        return Drill.parse({"level": level, "id": int(unit)} if unit else {"level": level})
    except ValueError:
        return None


def view_query(*, lang: str, drill: Drill, controls: Controls) -> str:
    """The query that opens the wall screen at ``drill`` with ``controls`` in ``lang``."""
    pairs = [("lang", lang), ("window", str(controls.window_days)), ("mode", controls.mode)]
    pairs += [("drill", f"{drill.level}:{drill.unit_id}" if drill.unit_id is not None else drill.level)]
    pairs += [("category", c) for c in controls.categories] + [("source", s) for s in controls.sources]
    pairs += [("status", s) for s in controls.statuses]
    return "?" + urlencode(pairs)


def is_kiosk(query: Mapping[str, Sequence[str]]) -> bool:
    """``?kiosk=1`` (or true / yes): the wall screen tours the streets, with no controls."""
    return _first(query, "kiosk") in ("1", "true", "yes")


def build(
    engine: Engine,
    settings: Settings,
    cache: MonitorCache,
    *,
    query: Mapping[str, Sequence[str]],
    vocabulary: Vocabulary,
    identity: Identity,
    notice: html.Div | None = None,
    provisional: dt.date | None = None,
) -> html.Div:
    """The wall screen with current data, headed for ``identity``, ``notice`` (what is still to
    load) under the header, and for admins a mark when deadlines from ``provisional`` count
    holidays no notice has fixed yet. The query (checked here: it comes from a browser) says how it opens:
    ``lang=en``, ``kiosk=1`` (the streets in turn), ``window``, ``category``/``source``/``status``
    (repeated), ``mode`` and ``drill=street:ID`` (a place this account may open; else its home)."""
    controls = Controls.parse(
        window=_first(query, "window") or 30, categories=query.get("category", ()), sources=query.get("source", ()),
        statuses=query.get("status", ()), mode=_first(query, "mode"), lang=_first(query, "lang"),
        known_categories=vocabulary.categories,
    )  # fmt: skip
    drill = _drill(_first(query, "drill"))
    try:
        if drill is None or not yours(drill):
            raise ValueError("no place asked for, or not this account's")
        view = shared_view(engine, cache, drill=drill, controls=controls, vocabulary=vocabulary)
    except ValueError:  # opens at home instead (a place asked for may also no longer exist)
        with engine.connect() as conn:
            drill = home_drill(conn, current_row_scope().street_ids)
        view = shared_view(engine, cache, drill=drill, controls=controls, vocabulary=vocabulary)
    with engine.connect() as conn:
        cache.outlines(conn, "grids", Drill())  # ready for the first switch to a grid map (cached)
        sources = cache.facts(conn).sources  # already loaded: no scan of the incident table
    return monitor_page(
        view.data,
        sources=sources,
        refresh_ms=settings.refresh_seconds * 1000,
        kiosk_ms=settings.kiosk_seconds * 1000,
        kiosk=is_kiosk(query),
        digests=view.digests,
        identity=identity,
        notice=notice,
        provisional=provisional,
        live=Live(view.version, poll_ms=settings.change_poll_seconds * 1000, sound=settings.kiosk_sound),
    )


def skeleton() -> html.Div:
    """The page with no data: Dash's validation layout (every id the callbacks name)."""
    empty = Density(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), 100.0)
    data = MonitorData(
        now=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), drill=Drill(), controls=Controls(), crumbs=[], tiles=[],
        ranking=[], latest=[], alerts=[], daily=pd.DataFrame(), grid=None,
        map=MapData(units=[], unit_labels=[], grids=[], rates=None, density=empty, overdue=[], extent=None),
    )  # fmt: skip
    return monitor_page(
        data, sources=[], refresh_ms=60_000, kiosk_ms=20_000, kiosk=False, digests={}, identity=Identity()
    )
