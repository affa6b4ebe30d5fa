"""Wall-screen callbacks: thin wrappers that check their inputs, ask ``views`` and send only what
changed (unchanged panels get ``no_update``; the map is patched unless the view changed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import pickle
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from dash import ALL, Dash, Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Connection, Engine

from dashboard.auth.current import current_row_scope, current_user
from dashboard.case_panel import WALL_MARKER, with_marker
from dashboard.compare_menu import last_days
from dashboard.monitor import layout as L
from dashboard.monitor.figures import GRID, HEAT, NEW, OVERDUE, UNITS, trend_figure
from dashboard.monitor.i18n import text
from dashboard.monitor.views import (
    RECENT,
    Controls,
    MonitorCache,
    MonitorData,
    Share,
    map_figure,
    map_traces,
    monitor_data,
)
from dashboard.sent import as_sent
from geo.vocabulary import Vocabulary
from layers import feeds
from layers.changes import change_token, newly_shown
from layers.drill import CHILD, Drill, path, unit_of_grid
from layers.incident_filter import IncidentFilter
from layers.memo import Memo, drawings
from layers.report_period import ReportPeriod
from layers.units import current_units

# what the update callback sets, in order (tests and benchmarks post to it over HTTP)
UPDATE_OUTPUTS = (
    (L.KPIS, "children"), (L.CRUMBS, "children"), (L.GRID_CARD, "children"), (L.RANK_TITLE, "children"),
    (L.RANKING, "children"), (L.ALERTS, "children"), (L.LATEST, "children"), (L.TREND, "figure"),
    (L.LEGEND, "children"), (L.MAP, "figure"), (L.AS_OF, "children"), (L.HASHES, "data"), (L.VIEW, "data"),
    (L.NOW, "data"), (L.SEEN, "data"), (L.FLASH, "data"), (L.SHOWN, "data"),
)  # fmt: skip

T = TypeVar("T")
_PANELS = ("kpis", "crumbs", "grid", "rank_title", "ranking", "alerts", "latest", "trend", "legend", "map")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _digest(value: Any) -> str:
    """A digest of a panel's content (components, figures' dicts, arrays): equal for equal
    content, made in one pass of the C pickler (a third of the time of a JSON dump of the
    components). ``fast`` keeps no memo, so equal content that happens to share objects (a
    string used twice) pickles the same as content that does not."""
    blob = io.BytesIO()
    pickler = pickle.Pickler(blob, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on the values only (content is never cyclic)
    pickler.dump(value)
    return hashlib.sha1(blob.getbuffer(), usedforsecurity=False).hexdigest()


def panels(data: MonitorData) -> dict[str, Any]:
    """Every updatable panel's new content (the map as its traces)."""
    lang = data.controls.lang
    level = data.drill.child_level or "grid"
    return {
        "kpis": L.kpi_tiles(data.tiles, lang),
        "crumbs": L.crumbs(data.crumbs, lang),
        "grid": L.grid_card(data),
        "rank_title": text(lang, f"ranking_{level}"),
        "ranking": L.rankings(data),
        "alerts": L.alert_lists(data),
        "latest": L.latest_list(data),
        "trend": trend_figure(data.daily, lang=lang, vocabulary=data.vocabulary),
        "legend": L.legend(data),
        "map": map_traces(data),
    }


# per map trace: what a patch sends when its numbers changed, and where they are (sent only
# when those moved too: the grids drawn, the heat's cells, most of a patch's bytes otherwise)
_PATCHED = {GRID: ("z", "customdata", "zmax"), HEAT: ("z", "zmax"), UNITS: ("customdata",), OVERDUE: ("lon", "lat", "customdata")}  # fmt: skip
_PLACES = {GRID: ("locations", "text"), HEAT: ("lon", "lat")}  # a grid's name goes with it
_SHAPES = {GRID: ("geojson",)}  # not digested: they follow from the view and the grids drawn
# the digests a patch compares with the screen's (those equal or not decide it): screens for
# which the same ones are equal share it (a key from the browser's values would let a forged
# store fill the view's memo)
_MAP_KEYS = tuple(f"{part}{index}" for index in _PATCHED for part in ("map", "places"))


def map_patch(traces: list[Any], *, digests: dict[str, str], hashes: dict[str, str]) -> Patch:
    """The new numbers of the traces that changed (their places only when those changed)."""
    patch = Patch()
    for index, keys in _PATCHED.items():
        if digests[f"map{index}"] == hashes.get(f"map{index}"):
            continue
        if index in _PLACES and digests[f"places{index}"] != hashes.get(f"places{index}"):
            keys = (*keys, *_PLACES[index], *_SHAPES.get(index, ()))
        for key in keys:
            patch["data"][index][key] = traces[index].get(key)
    return patch


def digests_of(content: dict[str, Any]) -> dict[str, str]:
    """A digest per panel, per map trace and per trace's places (see _PLACES); outlines are left
    out (they follow from the view and the grids drawn)."""
    out = {k: _digest(v) for k, v in content.items() if k != "map"}
    traces = [{k: v for k, v in trace.items() if k != "geojson"} for trace in content["map"]]
    out |= {f"map{index}": _digest(trace) for index, trace in enumerate(traces)}
    out["map"] = _digest(sorted(out[f"map{index}"] for index in range(len(traces))))
    for index, keys in _PLACES.items():
        if index < len(traces):
            out[f"places{index}"] = _digest([traces[index].get(k) for k in keys])
    return out


@dataclass(frozen=True)
class View:
    """One computed wall-screen view: its data, its panels and their digests."""

    data: MonitorData
    content: dict[str, Any]
    digests: dict[str, str]
    version: str = ""  # the change counter read before it was computed: it is at least that new
    drawn: Memo[object] = field(default_factory=drawings, compare=False, repr=False)

    def sent(self, key: Hashable, draw: Callable[[], Any]) -> Any:
        """An output drawn from this view, as sent (``as_sent``): once for every screen shown
        the view (a panel; a panel with the same items flashing; a patch from the same figures)."""
        return self.drawn.get(key, lambda: as_sent(draw()))

    @classmethod
    def of(cls, data: MonitorData, *, version: str = "") -> View:
        content = panels(data)
        return cls(data, content, digests_of(content), version)


def changed_outputs(view: View, *, hashes: dict[str, str], same_view: bool, case_point: Any = None) -> list[Any]:  # fmt: skip
    """Outputs in _PANELS order (``no_update`` where nothing changed; a new map keeps the open
    case's marker, ``case_point``)."""
    data, content, digests = view.data, view.content, view.digests
    out: list[Any] = []
    for key in _PANELS:
        if same_view and digests[key] == hashes.get(key):
            out.append(no_update)
        elif key == "map" and same_view:
            patch = partial(map_patch, content["map"], digests=digests, hashes=hashes)
            held = tuple(digests.get(k) == hashes.get(k) for k in _MAP_KEYS)  # all a patch follows from
            out.append(view.sent(("map", held), patch))
        elif key == "map":
            out.append(with_marker(map_figure(data), case_point, colours=WALL_MARKER))
        else:
            out.append(view.sent(key, partial(content.get, key)))
    return out


# the panels holding feeds, and how each is drawn with some items flashing
_FEED_PANELS = {"alerts": L.alert_lists, "latest": L.latest_list}
_PANEL_OF = {"alerts": "alerts", "due_soon": "alerts", "latest": "latest"}


def flash_new_items(view: View, outputs: list[Any], seen: Any) -> tuple[dict[str, Any], int]:
    """Make the feed items this screen had not shown (``seen``, recorded for the same view and
    controls) and the tiles whose count went up (new today, overdue) flash in ``outputs``: what
    it shows now, and how many things are new."""
    data, now_seen = view.data, L.seen(view.data)
    before = seen if isinstance(seen, dict) and seen.get("key") == now_seen["key"] else {}
    fresh = {}
    for feed in L.FEEDS:
        prior = before.get(feed)
        fresh[feed] = newly_shown(now_seen[feed], prior if isinstance(prior, list) else None)
    flashing = tuple(sorted((feed, tuple(sorted(ids))) for feed, ids in fresh.items()))
    for panel in {_PANEL_OF[feed] for feed, ids in fresh.items() if ids}:
        draw = partial(_FEED_PANELS[panel], data, fresh=fresh)
        outputs[_PANELS.index(panel)] = view.sent((panel, flashing), draw)
    count = sum(len(ids) for ids in fresh.values())
    rising = _risen(now_seen["tiles"], before.get("tiles"))
    if rising:
        tiles = partial(L.kpi_tiles, data.tiles, data.controls.lang, fresh=rising)
        outputs[_PANELS.index("kpis")] = view.sent(("kpis", tuple(sorted(rising))), tiles)
    return now_seen, count + len(rising)


MARK_SECONDS = 60.0  # how long a new incident stays marked on a screen's map


def new_marks(data: MonitorData, seen: Any, *, stored: list[list[float]]) -> list[list[float]]:
    """``[incident id, marked until]`` of the incidents a screen marks as new: those above the
    newest id it had been shown (ids only grow) that its view counts, each for MARK_SECONDS,
    with the marks of its last figures not yet run out; none on a first figure or another view."""
    recent = data.recent
    if recent is None or not isinstance(seen, dict) or seen.get("key") != L.seen_key(data):
        return []
    clock, last = data.now.timestamp(), seen.get("last_id")
    marks = [m for m in stored if m[1] > clock]
    if isinstance(last, int) and not isinstance(last, bool):
        marks += [[i, clock + MARK_SECONDS] for i in recent.newer(last)]
    return marks[-RECENT:]


def stored_marks(seen: Any) -> list[list[float]]:
    """The ``[id, until]`` pairs of a screen's store, each two finite numbers under 2**53 (not
    booleans, not text: the store comes from the browser; anything else is left out). Up to
    RECENT pairs on every redraw under a feed, so one pass of plain comparisons (a NaN fails
    them as an infinity does): checked a value at a time, they were a sixth of a redraw."""
    stored = seen.get("marks") if isinstance(seen, dict) else None
    out: list[list[float]] = []
    for pair in stored if isinstance(stored, list) else ():
        if type(pair) is list and len(pair) == 2:
            at, until = pair
            if type(at) in _NUMBER and type(until) in _NUMBER and -_BOUND < at < _BOUND and -_BOUND < until < _BOUND:  # fmt: skip
                out.append([int(at), float(until)])
    return out


_NUMBER = (int, float)  # exactly: type(True) is bool
_BOUND = 2**53


def marked_points(data: MonitorData, marks: list[list[float]]) -> list[feeds.Point]:
    """Where the marked incidents are (one no longer among the view's newest is left out)."""
    return [] if data.recent is None else data.recent.where([int(m[0]) for m in marks])


def mark_new(map_output: Any, points: list[feeds.Point], *, marked_before: int) -> Any:
    """The map output with the new incidents' markers (a screen's own, not in the shared view):
    in a new figure, or patched in (also to take away the markers of the last refresh) after
    the operations of the view's patch (sent, shared: not changed)."""
    lon, lat, grid = [p[0] for p in points], [p[1] for p in points], [p[3] for p in points]
    if isinstance(map_output, dict) and "data" in map_output:  # a new figure, made for this request
        if points:
            trace = map_output["data"][NEW]
            map_output["data"][NEW] = {**trace, "lon": lon, "lat": lat, "customdata": grid}
        return map_output
    if not points and not marked_before:
        return map_output
    own = Patch()
    own["data"][NEW]["lon"], own["data"][NEW]["lat"], own["data"][NEW]["customdata"] = lon, lat, grid
    if not isinstance(map_output, dict):  # no_update: the view's figures had not changed
        return own
    return {**map_output, "operations": [*map_output["operations"], *own.to_plotly_json()["operations"]]}


def _risen(now: dict[str, Any], before: Any) -> set[str]:
    """The tiles whose count is higher than the screen showed (none on its first figures)."""
    if not isinstance(before, dict):
        return set()
    return {
        k
        for k, v in now.items()
        if isinstance(before.get(k), int | float) and v is not None and v > before[k]
    }


def _next_street(conn: Connection, kiosk: dict[str, Any]) -> tuple[Drill, dict[str, Any], tuple[str, str]]:
    """The tour's next stop (each street in code order, then the whole district once, round
    again; a street leader's streets only), the kiosk state after it, and the names of that
    stop and the one after."""
    mine = current_row_scope().street_ids  # a street leader's tour: their streets only
    streets = current_units(conn, "street", among=mine)
    names = [path(conn, Drill())[0].name, *(u.name for u in streets)]  # stop i is name i + 1
    i = int(kiosk.get("i", -1)) + 1
    i = -1 if i >= len(streets) else i
    after = i + 1 if i + 1 < len(streets) else -1
    shown = Drill() if i == -1 else Drill("street", streets[i].unit_id)
    return shown, {**kiosk, "i": i}, (names[i + 1], names[after + 1])


def yours(drill: Drill) -> bool:
    """Whether this request's account may open ``drill``: a street leader only their streets
    (below a street, the incidents are scoped anyway)."""
    streets = current_row_scope().street_ids
    return streets is None or drill.level != "street" or drill.unit_id in streets


def your_drill(stored: Any) -> Drill:
    """The drill a screen's store holds, if this request's account may open it (else
    PreventUpdate: a made-up store, or another street than a leader's)."""
    try:
        drill = Drill.parse(stored)
    except ValueError:
        raise PreventUpdate from None
    if not yours(drill):
        raise PreventUpdate
    return drill


def compared_filter(vocabulary: Vocabulary) -> Callable[[Connection, Any, Any, Any], IncidentFilter]:
    """What the wall screen's 对比 menu compares: the drill shown (one of the account's), its
    categories and sources."""

    def of(_conn: Connection, stored: Any, cats: Any, sources: Any) -> IncidentFilter:
        drill = your_drill(stored)
        c = Controls.parse(window=None, categories=cats, sources=sources, statuses=(), mode=None, lang=None,
                           known_categories=vocabulary.categories)  # fmt: skip
        return IncidentFilter(drill=drill, categories=c.categories, sources=c.sources)

    return of


def window_period(_conn: Connection, window: Any, today: dt.date) -> ReportPeriod:
    """The wall screen's window: its days to today."""
    days = Controls.parse(window=window, categories=(), sources=(), statuses=(), mode=None, lang=None, known_categories=()).window_days  # fmt: skip
    return last_days(days, today=today)


def _clicked(conn: Connection, click: Any, current: Drill) -> Drill:
    """The unit one level down that was clicked (PreventUpdate if none, or already at a grid)."""
    level = current.child_level
    try:
        point = click["points"][0]
        curve = int(point["curveNumber"])
        unit = int(point["customdata"] if curve == OVERDUE else point["location"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise PreventUpdate from None
    if level is None or curve not in (GRID, UNITS, OVERDUE):
        raise PreventUpdate
    target = unit if curve == UNITS else unit_of_grid(conn, unit, level)
    if target is None:
        raise PreventUpdate
    return Drill(level, target)


def register_monitor_callbacks(
    app: Dash, *, engine: Engine, cache: MonitorCache, vocabulary: Vocabulary
) -> None:
    @app.callback(
        Output(L.DRILL, "data"),
        Output(L.KIOSK, "data"),
        Output(L.KIOSK_STATUS, "children"),
        Input(L.MAP, "clickData"),
        Input({"type": L.CRUMB, "level": ALL, "id": ALL}, "n_clicks"),
        Input(L.KIOSK_TICK, "n_intervals"),
        State(L.DRILL, "data"),
        State(L.KIOSK, "data"),
        State(L.LANG, "data"),
        prevent_initial_call=True,
    )
    def drill(
        click: Any, _crumbs: Any, _tick: Any, stored: Any, kiosk: Any, lang: Any
    ) -> tuple[Any, Any, Any]:
        try:
            current = Drill.parse(stored)
        except ValueError:
            current = Drill()
        trigger = ctx.triggered_id
        with engine.connect() as conn:
            if trigger == L.KIOSK_TICK and isinstance(kiosk, dict) and kiosk.get("on"):
                new, kiosk, (shown, following) = _next_street(conn, kiosk)
                return new.to_store(), kiosk, L.kiosk_status(str(lang), shown, following)
            if isinstance(trigger, dict) and ctx.triggered[0]["value"]:
                level, unit = trigger.get("level"), trigger.get("id")
                if level not in CHILD or not isinstance(unit, int):
                    raise PreventUpdate
                return Drill(level, None if level == "district" else unit).to_store(), no_update, no_update
            if trigger == L.MAP:
                target = _clicked(conn, click, current)
                if not yours(target):  # another street than the leader's: marked 无权限, not opened
                    raise PreventUpdate
                return target.to_store(), no_update, no_update
        raise PreventUpdate

    @app.callback(
        *(Output(ident, prop) for ident, prop in UPDATE_OUTPUTS),
        Input(L.DRILL, "data"),
        Input(L.WINDOW, "value"),
        Input(L.CATEGORY, "value"),
        Input(L.SOURCE, "value"),
        Input(L.STATUS, "value"),
        Input(L.MODE, "value"),
        Input(L.REFRESH, "n_intervals"),
        Input(L.CHANGES, "data"),
        State(L.LANG, "data"),
        State(L.HASHES, "data"),
        State(L.VIEW, "data"),
        State(L.SEEN, "data"),
        State(L.CASE.point, "data"),
        State(L.SHOWN, "data"),
        prevent_initial_call=True,
    )
    def update(stored: Any, window: Any, cats: Any, sources: Any, statuses: Any, mode: Any, _n: Any, _changes: Any, lang: Any, hashes: Any, view: Any, seen: Any, case_point: Any, on_screen: Any) -> tuple[Any, ...]:  # fmt: skip
        drill = your_drill(stored)
        controls = Controls.parse(window=window, categories=cats, sources=sources, statuses=statuses, mode=mode, lang=lang, known_categories=vocabulary.categories)  # fmt: skip
        shared = shared_view(engine, cache, drill=drill, controls=controls, vocabulary=vocabulary)
        key = L.view_key(shared.data)
        if ctx.triggered_id == L.CHANGES and key == view and shared.version == on_screen:
            raise PreventUpdate  # the change is not in a view yet (a desk's: DESK_SETTLE_SECONDS)
        outputs = changed_outputs(
            shared,
            hashes=hashes if isinstance(hashes, dict) else {},
            same_view=key == view,
            case_point=case_point,
        )
        shown, fresh = flash_new_items(shared, outputs, seen)
        stored = stored_marks(seen)  # the marks of the screen's last figures
        marks, at = new_marks(shared.data, seen, stored=stored), _PANELS.index("map")
        outputs[at] = mark_new(outputs[at], marked_points(shared.data, marks), marked_before=len(stored))
        shown["marks"] = marks
        clock = shared.data.now
        return (*outputs, L.as_of(clock, controls.lang), shared.digests, key, clock.isoformat(), shown, {"n": fresh, "at": clock.isoformat()} if fresh else no_update, shared.version)  # fmt: skip

    @app.callback(
        Output(L.CHANGES, "data"),
        Input(L.POLL, "n_intervals"),
        State(L.SHOWN, "data"),
        State(L.NOW, "data"),
        prevent_initial_call=True,
    )
    def poll(n: Any, shown: Any, made: Any) -> dict[str, Any]:
        """The change counter of this request's row scope, when it is not the one the figures on
        the screen were made at (their refresh follows; asked again at the next poll if the
        refresh got a view made just before the change: see MonitorCache.shared). A desk's
        figures made less than DESK_SETTLE_SECONDS ago stand: its refresh would get them again."""
        if settling(made, wall=is_wall_screen(), now=now()):
            raise PreventUpdate
        with engine.connect() as conn:
            token = change_token(conn)
        if token == shown:
            raise PreventUpdate
        return {"token": token, "poll": n if isinstance(n, int) else 0}


def is_wall_screen() -> bool:
    """Whether this request's account is a wall screen (its figures follow a change within a
    second; any other account's are a desk's: MonitorCache.DESK_SETTLE_SECONDS)."""
    user = current_user()
    return user is not None and user.role == "wall_screen"


def settling(made: Any, *, wall: bool, now: dt.datetime) -> bool:
    """Whether a desk's figures, made at ``made`` (the screen's clock store), are younger than
    DESK_SETTLE_SECONDS: a refresh now would be handed the same held view."""
    if wall or not isinstance(made, str):
        return False
    try:
        age = (now - dt.datetime.fromisoformat(made)).total_seconds()
    except (TypeError, ValueError):  # not a time, or one without its zone
        return False
    return 0 <= age < MonitorCache.DESK_SETTLE_SECONDS


def shared_view(
    engine: Engine, cache: MonitorCache, *, drill: Drill, controls: Controls, vocabulary: Vocabulary
) -> View:
    """The view for ``drill`` and ``controls`` in this request's row scope, computed at most once
    per ``MonitorCache.VIEW_SECONDS`` for every screen asking for it (the app's one vocabulary),
    and again once incidents in that scope changed (the change counter is its version)."""
    with engine.connect() as conn:
        changes = change_token(conn)
    scope = current_row_scope()
    rows = scope.setting
    streets = None if scope.street_ids is None else frozenset(scope.street_ids)

    def part(
        key: Hashable, step: Callable[[T | None], T], *, followed: bool = False
    ) -> T:  # shared by views with other controls
        return cache.follow((rows, key), step, version=changes, followed=followed)

    def data() -> MonitorData:
        known = (rows, changes)
        return _monitor_data(
            engine, drill, controls, cache, vocabulary, share=part, streets=streets, known=known
        )

    return cache.shared((rows, drill, controls), lambda: View.of(data(), version=changes), version=changes, wall=is_wall_screen())  # fmt: skip


def _monitor_data(
    engine: Engine,
    drill: Drill,
    controls: Controls,
    cache: MonitorCache,
    vocabulary: Vocabulary,
    *,
    share: Share,
    streets: frozenset[int] | None,
    known: tuple[str, str],
) -> MonitorData:
    clock = now()
    with engine.connect() as conn:
        try:
            return monitor_data(
                conn,
                drill=drill,
                controls=controls,
                now=clock,
                cache=cache,
                vocabulary=vocabulary,
                share=share,
                streets=streets,
                known=known,
            )
        except ValueError:  # a unit that no longer exists (boundaries reloaded): back to the top
            return monitor_data(
                conn,
                drill=Drill(),
                controls=controls,
                now=clock,
                cache=cache,
                vocabulary=vocabulary,
                share=share,
                streets=streets,
                known=known,
            )
