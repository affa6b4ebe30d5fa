"""From what the wall screen shows (drill, controls, clock) to the data of every panel."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Protocol, TypeVar

import pandas as pd
import shapely
from sqlalchemy.engine import Connection

from dashboard.figure import view_for
from dashboard.monitor import figures
from dashboard.monitor.i18n import LANGS, short_name, text
from dashboard.shared import SharedResults
from geo.boundary_version import boundary_version
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from layers import feeds, kpis, ranking, trend
from layers.density import Density, Lattice, facts_density
from layers.drill import Drill, GridInfo, Outline, Unit, children, grid_info, grids_in, path
from layers.escaping import html_text
from layers.extent import Extent, central_latitude
from layers.facts import Facts, FactsCache
from layers.held_rows import HeldRows
from layers.hotspots import GridRates, GridWeights, grid_counter, grid_rates_of
from layers.incident_filter import STATUSES, IncidentFilter
from layers.kpis import BEIJING
from layers.ranking import Row as RankRow
from layers.tally import Counter, Sums, Tally, tally
from layers.units import current_units

T = TypeVar("T")

WINDOWS = (30, 90, 365)
MODES = ("heat", "rate", "hotspot")
CELL_M = {"district": 150.0, "street": 80.0, "community": 40.0, "grid": 25.0}
MAX_HEAT_CELLS = 8000
OVERDUE_POINTS = 800  # the longest overdue; the alert list and KPI count them all
ALERT_ROWS = 12  # rows in each alert list (超期, 临期)
RECENT = 300  # the newest incidents a view keeps to mark as new on a screen's map (at most)


@dataclass(frozen=True)
class Controls:
    """The user's choices, checked: anything unknown falls back to the default or is dropped."""

    window_days: int = 30
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    mode: str = "heat"
    lang: str = "zh"

    @classmethod
    def parse(
        cls,
        *,
        window: Any,
        categories: Any,
        sources: Any,
        statuses: Any,
        mode: Any,
        lang: Any,
        known_categories: Collection[str],
    ) -> Controls:
        days = int(window) if str(window).isdigit() and int(window) in WINDOWS else 30
        return cls(
            window_days=days,
            categories=tuple(c for c in categories or () if isinstance(c, str) and c in known_categories),
            sources=tuple(str(s) for s in sources or () if isinstance(s, str))[:20],
            statuses=tuple(s for s in statuses or () if s in STATUSES),
            mode=mode if mode in MODES else "heat",
            lang=lang if lang in LANGS else "zh",
        )

    def incident_filter(self, drill: Drill, now: dt.datetime) -> IncidentFilter:
        """The window is whole Beijing days: today and the ``window_days - 1`` days before it."""
        today = now.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
        return IncidentFilter(
            drill=drill,
            now=now,
            since=today - dt.timedelta(days=self.window_days - 1),
            until=now,
            categories=self.categories,
            sources=self.sources,
            statuses=self.statuses,
        )


# simplification tolerance of outlines drawn at each level (metres): about a pixel at its zoom
TOLERANCE_M = {"district": 25.0, "street": 10.0, "community": 5.0, "grid": 2.0}


def home_drill(conn: Connection, streets: Collection[int] | None) -> Drill:
    """Where the wall screen opens: the account's street when it has one, else the district."""
    if streets is None:
        return Drill()
    current = current_units(conn, "street", among=streets)
    return Drill("street", current[0].unit_id) if len(current) == 1 else Drill()


def _load_outlines(conn: Connection, kind: str, drill: Drill) -> list[Outline]:
    tolerance = TOLERANCE_M[drill.level]
    if kind == "children":
        return children(conn, drill, tolerance_m=tolerance)[1]
    return grids_in(conn, drill, tolerance_m=tolerance)


class HeldBoundaries:
    """What is derived from one version of the boundaries, each loaded once: the district's
    values (grid weights, central latitude), and outlines (apart, so many drills never push the
    district's values out)."""

    def __init__(self, version: tuple[Any, ...], *, max_outlines: int) -> None:
        self.version = version
        self._values = SharedResults()
        self._outlines = SharedResults(max_entries=max_outlines)

    def latitude(self, conn: Connection) -> float:
        """The district's central latitude (heat cells are laid out for it)."""
        return self._values.get("latitude", lambda: central_latitude(conn))

    def weights(self, conn: Connection) -> GridWeights:
        return self._values.get("weights", lambda: GridWeights.load(conn))

    def outlines(self, conn: Connection, kind: str, drill: Drill) -> list[Outline]:
        """``kind`` "children" (the units one level down) or "grids" (every grid inside)."""
        return self._outlines.get((kind, drill), lambda: _load_outlines(conn, kind, drill))

    def extent(self, conn: Connection, drill: Drill) -> Extent | None:
        """The box around the units one level below ``drill`` (what its map shows)."""
        return self._outlines.get(("extent", drill), lambda: _extent(self.outlines(conn, "children", drill)))

    def feed_rows(self, streets: frozenset[int] | None) -> HeldRows:
        """The list rows kept for the row scope of ``streets`` (they carry unit names)."""
        return self._values.get(("rows", streets), HeldRows)


class MonitorCache:
    """Per app: the incident facts (reloaded when incidents change), and grid weights and
    simplified outlines (kept while the current boundaries stay the same). Each is loaded once
    (single flight) and without holding up requests that need something else: under load, one
    lock around every load made all the wall screens wait for a street's outlines."""

    VIEW_SECONDS = 10.0  # how long one computed view serves every screen asking for it
    SETTLE_SECONDS = 1.0  # ... and, once incidents changed, at most this long (see shared) for a
    # wall screen; a desk's view (someone's own drill and filters) follows changes at most every
    DESK_SETTLE_SECONDS = 5.0  # ... seconds: under a continuous feed, one made every 2 s poll was
    # most of the server's work (#17), and a person at a desk acts on seconds-old figures anyway
    FOLLOWED_SETTLE_SECONDS = 0.0  # sums that follow a change in time ∝ the change (layers/tally.py)
    MAX_VIEWS = 256  # views (each holds its data and rendered panels)
    MAX_PARTS = 1024  # the parts views share (small: sums, lists; see monitor_data), kept apart so
    # that many views never push out the sums they follow
    MAX_OUTLINES = 1024  # per drill and kind (children, grids): every street and community, many grids

    def __init__(self, sla: SlaRules | None = None) -> None:
        self.sla = SlaRules() if sla is None else sla  # sign-off deadline and 临期 horizon
        self._lock = threading.Lock()
        self._views = SharedResults(max_entries=self.MAX_VIEWS)
        self._parts = SharedResults(max_entries=self.MAX_PARTS)
        self._boundaries: HeldBoundaries | None = None
        self._facts = FactsCache(self.sla)
        self._rates: tuple[GridWeights, SharedResults] | None = None

    def follow(
        self,
        key: Hashable,
        step: Callable[[T | None], T],
        *,
        version: Hashable = None,
        followed: bool = False,
    ) -> T:
        """As :meth:`shared`, for a value made from the one it replaces; one that ``followed``
        the change cheaply (a tally) is brought up to date whenever the counter moved."""
        settle = self.FOLLOWED_SETTLE_SECONDS if followed else self.SETTLE_SECONDS
        return self._parts.follow(key, step, max_age=self.VIEW_SECONDS, version=version, settle=settle)

    def shared(
        self, key: Hashable, compute: Callable[[], T], *, version: Hashable = None, wall: bool = True
    ) -> T:
        """``compute()``'s result for ``key``, computed at most once per ``VIEW_SECONDS``: the
        wall screens of a centre (and its desks) mostly ask for the same view, and a view is
        the costliest thing the server makes; screens asking while it is being made wait for it
        rather than make it again. The key must hold the caller's row scope. ``version`` is
        what the view is made from (the change counter): once it moved, the held view still
        serves for up to ``SETTLE_SECONDS`` after it was started, so a continuous feed makes
        each view at most once a second rather than on every change (a screen that got an
        older view than the counter asks again at its next poll: see callbacks.poll); a desk
        (not ``wall``) takes a held view for up to ``DESK_SETTLE_SECONDS``."""
        settle = self.SETTLE_SECONDS if wall else self.DESK_SETTLE_SECONDS
        return self._views.get(key, compute, max_age=self.VIEW_SECONDS, version=version, settle=settle)

    def facts(self, conn: Connection, *, known: tuple[str, str] | None = None) -> Facts:
        """``known``: the row scope's setting and change token, read before (FactsCache.get)."""
        return self._facts.get(conn, known=known)

    def fact_scopes(self) -> list[str]:
        return self._facts.scopes()

    def rates(self, facts: Facts, f: IncidentFilter, *, weights: GridWeights) -> GridRates:
        """Grid rates and Gi* for ``f`` over the whole district, kept for the same window and
        filters and followed as incidents change and the clock runs (layers/tally.py)."""
        with self._lock:
            held = self._rates
            if held is None or held[0] is not weights:
                held = self._rates = (weights, SharedResults(max_entries=32))  # held: ids never reused
        assert f.now is not None
        clock, counter = f.now.timestamp(), grid_counter(f)

        def step(previous: tuple[Tally, GridRates] | None) -> tuple[Tally, GridRates]:
            counted = tally(counter, facts, clock, previous[0] if previous else None)
            return counted, grid_rates_of(counted.sums, weights)

        key = (f.since, f.categories, f.sources, f.statuses)
        version = (facts.lineage.serial if facts.lineage else id(facts), clock)
        return held[1].follow(key, step, version=version)[1]

    def boundaries(self, conn: Connection) -> HeldBoundaries:
        """What is kept for the boundaries ``conn`` sees (nothing yet if they changed): one round
        trip to learn their version, so a view asks once, not for every outline it draws."""
        version = boundary_version(conn)  # outside the lock: a round trip
        with self._lock:
            if self._boundaries is None or self._boundaries.version != version:
                self._boundaries = HeldBoundaries(version, max_outlines=self.MAX_OUTLINES)
            return self._boundaries

    def latitude(self, conn: Connection) -> float:
        return self.boundaries(conn).latitude(conn)

    def weights(self, conn: Connection) -> GridWeights:
        return self.boundaries(conn).weights(conn)

    def outlines(self, conn: Connection, kind: str, drill: Drill) -> list[Outline]:
        return self.boundaries(conn).outlines(conn, kind, drill)

    def warm(self, conn: Connection) -> None:
        """Load what screens ask for first, before a worker takes requests: the facts, grid
        weights, and the outlines of the district and of every street (kiosk mode visits them all)."""
        self.facts(conn)
        self.weights(conn)
        self.latitude(conn)
        for drill in [Drill(), *(Drill("street", u.unit_id) for u in current_units(conn, "street"))]:
            self.outlines(conn, "children", drill)
            self.outlines(conn, "grids", drill)


@dataclass(frozen=True)
class MapData:
    units: list[Outline]
    unit_labels: list[str]
    grids: list[Outline]
    rates: GridRates | None
    density: Density
    overdue: list[tuple[float, float, str, int]]
    extent: Extent | None


@dataclass(frozen=True)
class MonitorData:
    now: dt.datetime
    drill: Drill
    controls: Controls
    crumbs: list[Unit]
    tiles: list[kpis.Tile]
    ranking: list[ranking.Row]
    latest: list[feeds.FeedRow]
    alerts: list[feeds.FeedRow]
    daily: pd.DataFrame
    grid: GridInfo | None
    map: MapData = field(repr=False)
    vocabulary: Vocabulary = field(default_factory=Vocabulary, repr=False)  # category names, colours
    due_soon: list[feeds.FeedRow] = field(default_factory=list)  # 临期: due within warn_hours
    warn_hours: float = 0.0  # the district's 临期 horizon, in working hours
    departments: list[RankRow] = field(default_factory=list)  # ranking by 承办单位
    recent: feeds.Recent | None = None  # the newest incidents it counts: marked when new to a screen


class Share(Protocol):
    """Hands out ``step(previous)``'s value for ``key``, maybe one computed earlier for another
    view; ``previous`` is the value for ``key`` it replaces (None: none held); ``followed``:
    ``step`` brings ``previous`` up to date in time ∝ the change (see MonitorCache.follow)."""

    def __call__(self, key: Hashable, step: Callable[[T | None], T], *, followed: bool = False) -> T: ...


def unshared(key: Hashable, step: Callable[[T | None], T], *, followed: bool = False) -> T:
    return step(None)


R = TypeVar("R")


class Part(Protocol):
    """A counter's result, its sums followed from the ones held for ``key`` (see :func:`_followed`)."""

    def __call__(self, key: Hashable, counter: Counter, result: Callable[[Sums], R]) -> R: ...


def _followed(share: Share, key: Hashable, counter: Counter, result: Callable[[Sums], R], *, facts: Facts, clock: float) -> R:  # fmt: skip
    """``result`` of the counter's sums over ``facts`` at ``clock``, the sums followed from the
    ones ``share`` held for ``key`` (see layers/tally.py)."""

    def step(previous: tuple[Tally, R] | None) -> tuple[Tally, R]:
        counted = tally(counter, facts, clock, previous[0] if previous else None)
        return counted, result(counted.sums)

    return share(key, step, followed=True)[1]


def monitor_data(
    conn: Connection,
    *,
    drill: Drill,
    controls: Controls,
    now: dt.datetime,
    cache: MonitorCache,
    vocabulary: Vocabulary,
    share: Share = unshared,
    streets: frozenset[int] | None = None,
    known: tuple[str, str] | None = None,
) -> MonitorData:
    """Everything the wall screen shows for one drill and set of controls at ``now``: counts from
    the cached facts (numpy), names, lists and outlines from PostGIS. The parts that do not
    depend on every control come from ``share`` by what they depend on (the tiles are the same
    for every window and map mode; the ranking and trend for every map mode). ``streets``: the
    account's street ids (None: every street), the others ranked last as not the account's;
    ``known``: the row scope's setting and change token read before (see FactsCache.get)."""
    f = controls.incident_filter(drill, now)
    since, clock = f.since, now.timestamp()
    assert since is not None
    facts = cache.facts(conn, known=known)
    windowed, untimed = replace(f, until=None, now=None), replace(f, since=None, until=None, now=None)
    part = partial(_followed, share, facts=facts, clock=clock)
    bounds = cache.boundaries(conn)
    rows_of = partial(bounds.feed_rows(streets).rows, conn, facts)  # ids from ``facts`` → rows
    alerts = share(
        ("alerts", untimed), lambda _: _alerts(rows_of, facts, f, warn_until=cache.sla.warn_until(now))
    )
    rows = (
        part(("ranking", windowed), ranking.unit_counter(f, since=since),
             lambda sums: ranking.ranked_units(conn, sums, f, streets=streets))
        if drill.child_level is not None else []
    )  # fmt: skip
    return MonitorData(
        now=now,
        drill=drill,
        controls=controls,
        crumbs=path(conn, drill),
        tiles=part(("tiles", untimed), kpis.tile_counter(f, now=now), lambda sums: kpis.tiles_of(sums, f)),
        ranking=rows,
        latest=share(
            ("latest", windowed),
            lambda _: rows_of(facts.ids[feeds.held_latest(facts, f)].tolist()),
        ),
        alerts=alerts.overdue,
        daily=part(
            ("daily", windowed), trend.daily_counter(f), lambda sums: trend.daily_frame(facts, sums, f)
        ),
        grid=grid_info(conn, drill.unit_id) if drill.level == "grid" and drill.unit_id else None,
        map=_map_data(
            conn,
            facts,
            f,
            controls,
            cache,
            bounds,
            {r.unit_id: r.ind.reported for r in rows if r.allowed},
            part,
            alerts,
        ),
        vocabulary=vocabulary,
        due_soon=alerts.due_soon,
        warn_hours=cache.sla.warn_working_hours,
        departments=part(
            ("departments", windowed),
            ranking.department_counter(f, since=since),
            lambda sums: ranking.ranked_departments(facts, sums),
        ),
        recent=feeds.held_recent(facts, f, limit=RECENT),
    )


@dataclass(frozen=True)
class Alerts:
    """What the alert lists and the map's overdue markers show: the same for every window and
    map mode (shared by those views)."""

    overdue: list[feeds.FeedRow]
    due_soon: list[feeds.FeedRow]
    points: list[tuple[float, float, str, int]]


def _alerts(
    rows_of: Callable[[list[int]], list[feeds.FeedRow]],
    facts: Facts,
    f: IncidentFilter,
    *,
    warn_until: dt.datetime,
) -> Alerts:
    """The lists' incidents picked from the held facts (no scan in the database), their rows
    then read by id (``rows_of``)."""
    late = feeds.held_overdue(facts, f, limit=OVERDUE_POINTS)
    soon = feeds.held_due_soon(facts, f, until=warn_until, limit=ALERT_ROWS)
    return Alerts(
        overdue=rows_of(facts.ids[late[:ALERT_ROWS]].tolist()),
        due_soon=rows_of(facts.ids[soon].tolist()),
        points=feeds.points_at(facts, late),
    )


def _map_data(
    conn: Connection,
    facts: Facts,
    f: IncidentFilter,
    controls: Controls,
    cache: MonitorCache,
    bounds: HeldBoundaries,
    volumes: dict[int, int],
    part: Part,
    alerts: Alerts,
) -> MapData:
    units = bounds.outlines(conn, "children", f.drill)
    box = bounds.extent(conn, f.drill)
    want_grids = controls.mode in ("rate", "hotspot")
    rates = cache.rates(facts, f, weights=bounds.weights(conn)) if want_grids else None
    grids = bounds.outlines(conn, "grids", f.drill) if rates is not None else []
    if rates is not None and controls.mode == "hotspot":  # only the significant grids are drawn
        significant = set(rates.table.index[rates.table["cluster"] != ""])
        grids = [g for g in grids if g.unit_id in significant]
    return MapData(
        units=units,
        unit_labels=unit_labels(units, volumes),
        grids=grids,
        rates=rates,
        density=_heat(part, facts, f, lat0=bounds.latitude(conn), box=box),
        overdue=alerts.points,
        extent=box,
    )


def unit_labels(units: Sequence[Outline], volumes: dict[int, int]) -> list[str]:
    """Each unit's hover text: its short name and incident count, escaped (Plotly reads a few
    HTML tags in hover text; the names come from the data)."""
    return [
        html_text(
            f"{short_name(u.name)} · {volumes[u.unit_id]}" if u.unit_id in volumes else short_name(u.name)
        )
        for u in units
    ]


def _heat(part: Part, facts: Facts, f: IncidentFilter, *, lat0: float, box: Extent | None) -> Density:
    """Heat cells for the level: on a lattice over the drill's box, the counts followed as
    incidents change (layers/tally.py); else (a grid's drill, an incident off the box, too many
    cells) counted afresh, coarsened (×1.5 at a time) until at most MAX_HEAT_CELLS remain, so
    a year of a whole district stays a small payload."""
    cell = CELL_M[f.drill.level]
    if box is not None:
        lattice = Lattice.over(box, cell_m=cell, lat0=lat0)
        density = part(("heat", f.unclocked()), lattice.counter(f), lattice.density)
        if density is not None and len(density.count) <= MAX_HEAT_CELLS:
            return density
    density = facts_density(facts, f, cell_m=cell, lat0=lat0)
    while len(density.count) > MAX_HEAT_CELLS and cell < 1000:
        cell *= 1.5
        density = facts_density(facts, f, cell_m=cell, lat0=lat0)
    return density


def _extent(units: list[Outline]) -> Extent | None:
    if not units:
        return None
    geoms = [shapely.geometry.shape(u.geometry) for u in units]
    west, south, east, north = shapely.total_bounds(geoms)
    return Extent(float(west), float(south), float(east), float(north))


def map_traces(data: MonitorData) -> list[figures.Trace]:
    m, lang, mode = data.map, data.controls.lang, data.controls.mode
    values = (
        m.rates.table if m.rates is not None else pd.DataFrame(columns=["n", "rate", "z", "p", "cluster"])
    )
    return [
        figures.grid_trace(m.grids, values, mode=mode, lang=lang),
        figures.heat_trace(m.density, visible=mode == "heat"),
        figures.units_trace(m.units, m.unit_labels),
        figures.overdue_trace(m.overdue, text(lang, "overdue_s"), mode=mode),
        figures.new_trace([], text(lang, "new_s")),  # each screen's own (dashboard/monitor/callbacks.py)
        figures.names_trace(m.units),
    ]


def map_figure(data: MonitorData) -> Any:
    revision = f"{data.drill.level}:{data.drill.unit_id}"
    return figures.map_figure(
        map_traces(data), view=view_for(data.map.extent, size_px=(1400, 540)), revision=revision
    )
