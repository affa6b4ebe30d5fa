"""Sums over the incidents that follow the facts' deltas and the clock, instead of a pass over
every incident each time something changed.

A :class:`Counter` says what a set of incidents adds to some per-bucket sums at a clock (a
unit's indicators, a day's reports per category, a grid's incidents): each incident's share
depends on its own values and the clock alone, so the sums over all of them are the sums over
any split. A :class:`Tally` holds such sums for one copy of the facts at one clock;
:func:`tally` brings an earlier one to a later copy and clock by taking away what the incidents
that may differ added then and adding what they add now. Those are the incidents a delta
touched in between (their earlier values come from the lineage, ``layers/lineage.py``) and the
incidents with a clocked time between the two clocks (their state may have moved as time
passed: newly overdue, a sign-off deadline gone by). The result equals counting everything
again (a Hypothesis test compares them), in time proportional to the change.

Everything is counted again for the first tally, when the counter's epoch changed (the day, for
periods such as "today"), a list of names or the sources reporting 签收 changed, more than
``MAX_CHANGED`` incidents changed, the clock went back, or the lineage cannot tell (a reload).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from layers.facts import DERIVED, Facts, columns
from layers.lineage import CLOCKED, Changes, Lineage, TimeIndex, changes

Sums = dict[str, NDArray[np.float64]]
# facts, the positions of the incidents to count (None: all of them), the clock (epoch seconds)
Count = Callable[[Facts, NDArray[np.intp] | None, float], Sums]

MAX_CHANGED = 20_000  # incidents changed since a tally beyond which counting again is cheaper
INDEX_SLACK_S = 3600.0  # a new time index reaches this far below the earliest clock asked for


@dataclass(frozen=True)
class Counter:
    count: Count
    # what the counting depends on besides the clock (the filter, the window, the day): sums
    # made with another epoch are counted again
    epoch: Hashable = None
    offsets: tuple[float, ...] = (0.0,)  # the clocks a count looks at, relative to its own


@dataclass(frozen=True)
class Tally:
    sums: Sums
    clock: float
    epoch: Hashable
    lineage: Lineage | None  # of the facts counted
    names: tuple[tuple[str, ...], ...]  # their categories, sources and departments
    signing: bytes  # their sources that report 签收
    followed: int = 0  # steps followed since everything was last counted


def tally(counter: Counter, facts: Facts, clock: float, previous: Tally | None = None) -> Tally:
    """The counter's sums over ``facts`` at ``clock``, from ``previous`` when it can be followed."""
    if previous is not None:
        followed = _follow(previous, counter, facts, clock)
        if followed is not None:
            return followed
    return Tally(counter.count(facts, None, clock), clock, counter.epoch, facts.lineage, *_marks(facts))


def _marks(facts: Facts) -> tuple[tuple[tuple[str, ...], ...], bytes]:
    return (facts.categories, facts.sources, facts.departments), facts.signing_sources.tobytes()


def _follow(previous: Tally, counter: Counter, facts: Facts, clock: float) -> Tally | None:
    if previous.epoch != counter.epoch or clock < previous.clock or previous.lineage is None:
        return None
    if facts.lineage is None or (previous.names, previous.signing) != _marks(facts):
        return None
    changed = changes(previous.lineage, facts.lineage)
    if changed is None or len(changed.ids) > MAX_CHANGED:
        return None
    index = time_index(facts, floor=previous.clock + min(counter.offsets))
    if index is None:
        return None
    moved = np.unique(np.concatenate([index.between(previous.clock + o, clock + o) for o in counter.offsets]))
    moved = np.setdiff1d(moved, changed.ids, assume_unique=True)
    moved_at, now_at = _positions(facts, moved), _positions(facts, np.union1d(changed.ids, moved))
    sums = previous.sums
    if len(changed.ids):
        sums = _plus(sums, counter.count(_before(facts, changed), None, previous.clock), -1)
    sums = _plus(sums, counter.count(facts, moved_at, previous.clock), -1)
    sums = _plus(sums, counter.count(facts, now_at, clock), +1)
    return replace(previous, sums=sums, clock=clock, lineage=facts.lineage, followed=previous.followed + 1)


def _positions(facts: Facts, ids: NDArray[np.int64]) -> NDArray[np.intp]:
    """Where the incidents ``ids`` (sorted) are in ``facts`` (those not there left out)."""
    at = np.searchsorted(facts.ids, ids)
    inside = at < len(facts.ids)
    inside[inside] = facts.ids[at[inside]] == ids[inside]
    return at[inside]


def _before(facts: Facts, changed: Changes) -> Facts:
    """The changed incidents as they were, as facts with ``facts``' names."""
    rows = {n: v[changed.existed] for n, v in changed.before.items()}
    return rows_like(facts, rows)


def rows_like(facts: Facts, rows: dict[str, NDArray[Any]]) -> Facts:
    """Facts of just ``rows`` (every column), with the names and the 签收 sources of ``facts``."""
    missing = [n for n in (*columns(), *DERIVED) if n not in rows and getattr(facts, n) is not None]
    if missing:
        raise ValueError(f"rows lack {missing}")
    part: Facts = replace(cast(Any, facts), **rows, room=None, lineage=None)
    part.__dict__["signing_sources"] = facts.signing_sources  # a property of the whole table
    return part


def _plus(a: Sums, b: Sums, sign: int) -> Sums:
    """``a + sign × b``, key by key (a shorter array counts as zeros past its end)."""
    out = dict(a)
    for key, y in b.items():
        x = a.get(key, np.zeros(0))
        x = np.concatenate([x, np.zeros(len(y) - len(x))]) if len(y) > len(x) else x.copy()
        x[: len(y)] += sign * y
        out[key] = x
    return out


def time_index(facts: Facts, *, floor: float) -> TimeIndex | None:
    """The clocked times of ``facts`` from ``floor`` on, derived from the last index made for
    an earlier copy of the same load when there is one (∝ the change), else made (one pass)."""
    if facts.lineage is None:
        return None
    log, serial = facts.lineage.log, facts.lineage.serial
    held = log.index
    index = None
    if held is not None and held[1].floor <= floor:
        if held[0] == serial:
            return held[1]
        steps = log.path(held[0], serial)
        if steps is not None:
            touched = np.unique(np.concatenate([s.ids for s in steps])) if steps else np.zeros(0, np.int64)
            index = held[1].after(touched, _rows(facts, _positions(facts, touched)))
    if index is None:
        index = TimeIndex.of(_rows(facts, None), floor=floor - INDEX_SLACK_S)
    if held is None or held[0] <= serial:
        log.index = (serial, index)
    return index


def _rows(facts: Facts, at: NDArray[np.intp] | None) -> dict[str, NDArray[Any]]:
    out = {}
    for name in ("ids", *CLOCKED):
        values = getattr(facts, name)
        if values is not None:
            out[name] = values if at is None else values[at]
    return out
