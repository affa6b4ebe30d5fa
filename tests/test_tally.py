"""Sums followed through deltas and a running clock (layers/tally.py) equal counting every
incident again, for every counter the wall screen uses, on generated sequences of new
incidents, changed ones (closed, signed for, suspended, moved), incidents leaving, copies made
from superseded ones, and clock steps across deadlines and midnight."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from layers import hotspots, kpis, ranking, trend
from layers.density import Lattice, facts_density
from layers.drill import Drill
from layers.extent import Extent
from layers.facts import Facts, apply
from layers.incident_filter import IncidentFilter
from layers.kpis import BEIJING
from layers.lineage import Lineage, TimeIndex
from layers.tally import tally

LATTICE = Lattice.over(Extent(113.25, 40.05, 113.35, 40.15), cell_m=800.0, lat0=40.1)  # some incidents off it
START = dt.datetime(2026, 6, 1, 2, 30, tzinfo=dt.UTC)  # 10:30 in Beijing
HOUR = 3600.0
NAMES = dict(categories=("a", "b", "c"), sources=("x", "y", "z"), departments=("d", "e", "f"))


def _rows(ids: list[int], *, clock: float, seed: int) -> dict[str, np.ndarray]:
    """Incidents around ``clock``: reported in the last 40 days or just now, many open with
    deadlines and sign-off deadlines due within hours, some closed, signed for or suspended."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    gaps = lambda lo, hi: rng.uniform(lo * HOUR, hi * HOUR, n)  # noqa: E731
    maybe = lambda values, share: np.where(rng.random(n) < share, values, np.nan)  # noqa: E731
    reported = clock - np.where(rng.random(n) < 0.5, gaps(0, 6), gaps(0, 960))
    out = {
        "ids": np.array(ids, dtype=np.int64),
        "reported": reported,
        "registered": maybe(reported + gaps(0, 1), 0.7),
        "deadline": maybe(reported + gaps(1, 12), 0.9),
        "handled": maybe(reported + gaps(0, 10), 0.4),
        "closed": maybe(reported + gaps(0, 12), 0.4),
        "signed": maybe(reported + gaps(0, 4), 0.5),
        "suspended": maybe(reported + gaps(0, 8), 0.15),
        "sign_due": reported + 2 * HOUR,
        "lon": rng.uniform(113.2, 113.4, n).astype(np.float32),
        "lat": rng.uniform(40.0, 40.2, n).astype(np.float32),
    }
    ints = {"rework": (0, 3), "category": (-1, 3), "source": (0, 3), "street": (0, 4), "community": (0, 6),
            "grid": (0, 9), "department": (-1, 3), "satisfaction": (-1, 4), "resolved": (-1, 2)}  # fmt: skip
    out |= {k: rng.integers(lo, hi, n).astype(np.int32) for k, (lo, hi) in ints.items()}
    return out


def _counters(now: dt.datetime, statuses: tuple[str, ...], categories: tuple[str, ...]):
    """Every counter the wall screen follows, for a filter built at ``now`` as a view builds it."""
    since = _day(now) - dt.timedelta(days=29)  # a 30-day window, as the wall screen's
    district = IncidentFilter(now=now, since=since, until=now, statuses=statuses, categories=categories)
    street = district.at(Drill("street", 2))
    return {
        "streets": ranking.unit_counter(district, since=since),
        "communities": ranking.unit_counter(street, since=since),
        "departments": ranking.department_counter(district, since=since),
        "tiles": kpis.tile_counter(street, now=now),
        "daily": trend.daily_counter(district),
        "grids": hotspots.grid_counter(street),
        "heat": LATTICE.counter(district),
    }


def _day(now: dt.datetime) -> dt.datetime:
    return now.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    differ = []
    for key in a.keys() | b.keys():
        x, y = a.get(key, np.zeros(0)), b.get(key, np.zeros(0))
        size = max(len(x), len(y))
        x, y = np.pad(x, (0, size - len(x))), np.pad(y, (0, size - len(y)))
        if not np.allclose(x, y, rtol=1e-9, atol=1e-6):
            differ.append(key)
    return differ


# a step: new incidents, held ones changed, held ones leaving, how far back the copy it starts
# from is (0: the newest), hours the clock moves on, the seed of the values
_STEP = st.tuples(
    st.integers(0, 6), st.integers(0, 5), st.integers(0, 2), st.sampled_from([0, 0, 0, 1]),
    st.floats(0, 20), st.integers(0, 10_000),
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    st.lists(_STEP, min_size=1, max_size=10),
    st.sampled_from([(), ("overdue",), ("open",), ("closed", "overdue")]),
    st.sampled_from([(), ("b",), ("a", "c")]),
)
def test_followed_sums_equal_counting_everything_again(steps, statuses, categories):
    clock = START.timestamp()
    first = Facts(**_rows(list(range(10, 50)), clock=clock, seed=1), **NAMES, lineage=Lineage())
    copies = [first]
    held = {name: tally(c, first, clock) for name, c in _counters(START, statuses, categories).items()}
    for new, changed, leaving, back, hours, seed in steps:
        facts = copies[max(0, len(copies) - 1 - back)]
        day, clock = _day(dt.datetime.fromtimestamp(clock, dt.UTC)), clock + hours * HOUR
        last = int(facts.ids[-1])
        picks = (
            facts.ids[np.linspace(0, len(facts) - 1, changed + leaving).astype(int)]
            if changed + leaving
            else []
        )
        kept, gone = (
            sorted({int(i) for i in picks[:changed]}),
            sorted({int(i) for i in picks[changed:]} - set(map(int, picks[:changed]))),
        )
        ids = sorted({*kept, *range(last + 1, last + 1 + new)})
        rows = _rows(ids, clock=clock, seed=seed)
        facts = apply(facts, np.array(sorted({*ids, *gone}), dtype=np.int64), rows)
        copies.append(facts)
        now = dt.datetime.fromtimestamp(clock, dt.UTC)
        for name, counter in _counters(now, statuses, categories).items():
            held[name] = tally(counter, facts, clock, held[name])
            again = tally(counter, facts, clock)
            assert _same(held[name].sums, again.sums) == [], (name, held[name].followed)
        if back == 0 and _day(now) == day:  # along the lineage, the same day: followed, not counted again
            assert all(held[n].followed for n in ("streets", "communities", "departments", "grids"))


def test_a_step_along_the_lineage_is_followed_and_a_fork_or_another_load_counted_again():
    clock = START.timestamp()
    first = Facts(**_rows(list(range(1, 201)), clock=clock, seed=3), **NAMES, lineage=Lineage())
    counter = ranking.unit_counter(IncidentFilter(now=START), since=START - dt.timedelta(days=30))
    base = tally(counter, first, clock)
    second = apply(first, np.array([5, 300]), _rows([5, 300], clock=clock, seed=4))
    step = tally(counter, second, clock + 60, base)
    assert step.followed == 1 and _same(step.sums, tally(counter, second, clock + 60).sums) == []
    fork = apply(first, np.array([7]), _rows([7], clock=clock, seed=5))  # from a superseded copy
    assert tally(counter, fork, clock + 60, step).followed == 0
    reloaded = Facts(**_rows(list(range(1, 201)), clock=clock, seed=3), **NAMES, lineage=Lineage())
    assert tally(counter, reloaded, clock + 60, step).followed == 0
    assert tally(counter, second, clock - 1, step).followed == 0  # the clock went back


def test_the_lattice_gives_the_cells_counting_afresh_gives_or_says_an_incident_is_off_it():
    clock = START.timestamp()
    facts = Facts(**_rows(list(range(1, 3001)), clock=clock, seed=8), **NAMES)
    f = IncidentFilter(now=START, since=START - dt.timedelta(days=20), until=START)
    wide = Lattice.over(Extent(113.2, 40.0, 113.4, 40.2), cell_m=300.0, lat0=40.1)
    held = wide.density(tally(wide.counter(f), facts, clock).sums)
    fresh = facts_density(facts, f, cell_m=300.0, lat0=40.1)
    assert held is not None and len(held.count) > 100
    for name in ("lon", "lat", "count"):
        assert np.array_equal(getattr(held, name), getattr(fresh, name)), name
    assert LATTICE.density(tally(LATTICE.counter(f), facts, clock).sums) is None


class _FoldingSoon(TimeIndex):
    FOLD = 7  # folds within a few steps, as a busy day's index does after thousands


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.lists(st.integers(0, 59), max_size=12), st.integers(0, 2**16)), max_size=8),
    st.lists(st.tuples(st.floats(-50, 50), st.floats(0, 30)), min_size=1, max_size=6),
)
def test_a_time_index_followed_through_deltas_finds_what_one_made_afresh_finds(steps, spans):
    """Each step touches some incidents (new ones, changed ones, ones that left: ids 40-59 are
    not in every step's rows), the index follows it, and every clock span asked gives the same
    incidents as an index made from the rows as they now are."""
    clock = START.timestamp()
    rows = _rows(list(range(40)), clock=clock, seed=0)
    index = _FoldingSoon.of(rows, floor=clock - 30 * HOUR)
    for touched, seed in steps:
        ids = np.unique(np.array(touched, dtype=np.int64))
        now = _rows(list(ids), clock=clock, seed=seed)
        present = ids < 40 + seed % 20  # some touched incidents left the table
        current = {k: v[present] for k, v in now.items()}
        rows = _merged(rows, ids, current)
        index = index.after(ids, current)
        fresh = TimeIndex.of(rows, floor=index.floor)
        for start, length in spans:
            lo = max(index.floor, clock + start * HOUR)
            assert (
                index.between(lo, lo + length * HOUR).tolist()
                == fresh.between(lo, lo + length * HOUR).tolist()
            )


def _merged(
    rows: dict[str, np.ndarray], touched: np.ndarray, current: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """``rows`` without the incidents ``touched``, then ``current`` (their values now) added."""
    keep = ~np.isin(rows["ids"], touched)
    return {k: np.concatenate([v[keep], current[k]]) for k, v in rows.items()}
