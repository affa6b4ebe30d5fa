"""Building the wall screen on page load, from the URL's query (``lang``, ``kiosk``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from dash import html
from sqlalchemy.engine import Engine

from dashboard.auth.current import current_row_scope
from dashboard.monitor.callbacks import shared_view
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
) -> html.Div:
    """The wall screen with current data, headed for ``identity``, ``notice`` (what is still to
    load) under the header; ``?lang=en`` for English, ``?kiosk=1`` cycles the streets."""
    controls = Controls.parse(
        window=30, categories=(), sources=(), statuses=(), mode="heat", lang=_first(query, "lang"),
        known_categories=vocabulary.categories,
    )  # fmt: skip
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
