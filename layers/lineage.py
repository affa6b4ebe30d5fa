"""What changed between two copies of the incident facts, so sums over them can follow a delta.

Each copy the cache makes from a full load by deltas (:func:`layers.facts.apply`) carries a
:class:`Lineage`: the :class:`Log` shared by every copy since that load and its own serial. The
log keeps, per delta, the incidents it touched and their values *before* it (columns by name,
aligned with the ids), for the last :attr:`Log.MAX` deltas. :func:`changes` walks from a later
copy back to an earlier one and combines the steps: every incident touched in between, and its
values in the earlier copy (from the oldest step that touched it). A copy from another load, a
walk that leaves the log, or a fork (a delta applied to a copy that was not the newest) gives
None: the caller counts everything again.

:class:`TimeIndex` lists the times at or after a floor at which an incident's state can change
as the clock runs (reported, due, signed for, handled, closed, suspended), so the incidents a
clock step ``[t0, t1]`` can move are found without a pass over every incident.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

Rows = dict[str, NDArray[Any]]  # column name → values, one per incident (``ids`` among them)

# the times a count can compare with the clock (layers.indicators, layers.incident_filter)
CLOCKED = ("reported", "deadline", "handled", "closed", "signed", "suspended", "sign_due")


@dataclass(frozen=True)
class Step:
    """One delta: ``ids`` (sorted) touched; ``before`` their values in the parent (where
    ``existed``), every column."""

    parent: int
    ids: NDArray[np.int64]
    existed: NDArray[np.bool_]
    before: Rows


class Log:
    """The deltas since one full load (at most ``MAX``, the oldest dropped first)."""

    MAX = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: dict[int, Step] = {}
        self._next = 1
        self.index: tuple[int, TimeIndex] | None = None  # the newest time index made, by serial

    def add(self, step: Step) -> int:
        with self._lock:
            serial, self._next = self._next, self._next + 1
            self._steps[serial] = step
            while len(self._steps) > self.MAX:
                self._steps.pop(next(iter(self._steps)))
            return serial

    def path(self, since: int, until: int) -> list[Step] | None:
        """The steps from copy ``since`` to copy ``until``, oldest first (None: not a descendant
        the log can still tell)."""
        out: list[Step] = []
        with self._lock:
            serial = until
            while serial != since:
                step = self._steps.get(serial)
                if step is None or serial < since:
                    return None
                out.append(step)
                serial = step.parent
        return out[::-1]


@dataclass(frozen=True)
class Lineage:
    log: Log = field(default_factory=Log)
    serial: int = 0  # 0: the full load

    def after(self, ids: NDArray[np.int64], existed: NDArray[np.bool_], before: Rows) -> Lineage:
        """The lineage of the copy made from this one by a delta touching ``ids``."""
        return Lineage(self.log, self.log.add(Step(self.serial, ids, existed, before)))


@dataclass(frozen=True)
class Changes:
    """The incidents touched between two copies (sorted ``ids``) and, for those present in the
    earlier copy (``existed``), their values there."""

    ids: NDArray[np.int64]
    existed: NDArray[np.bool_]
    before: Rows


def changes(earlier: Lineage, later: Lineage) -> Changes | None:
    """What changed from the copy ``earlier`` to the copy ``later`` (None: cannot tell)."""
    if earlier.log is not later.log:
        return None
    steps = earlier.log.path(earlier.serial, later.serial)
    if steps is None:
        return None
    if not steps:
        return Changes(np.zeros(0, np.int64), np.zeros(0, bool), {})
    ids = np.concatenate([s.ids for s in steps])
    unique, first = np.unique(ids, return_index=True)  # the oldest step touching each id
    before = {n: np.concatenate([s.before[n] for s in steps])[first] for n in steps[0].before}
    return Changes(unique, np.concatenate([s.existed for s in steps])[first], before)


_NO_IDS = np.zeros(0, np.int64)
_NO_TIMES = np.zeros(0)


@dataclass(frozen=True)
class TimeIndex:
    """Every clocked time at or after ``floor`` and the incident it belongs to: a base sorted by
    time and, for the incidents touched since it was made (``dropped``: their base entries no
    longer hold), their entries now (``added_*``, sorted), so a delta costs in proportion to
    the incidents it touched, not to the index (4.4 M entries for a year's window of 1 M
    incidents: 175 ms to rebuild). Folded into a new base once ``FOLD`` incidents were touched."""

    floor: float
    times: NDArray[np.float64]
    ids: NDArray[np.int64]
    dropped: NDArray[np.int64] = field(default_factory=lambda: _NO_IDS)  # sorted, unique
    added_times: NDArray[np.float64] = field(default_factory=lambda: _NO_TIMES)
    added_ids: NDArray[np.int64] = field(default_factory=lambda: _NO_IDS)

    FOLD: ClassVar[int] = 4096

    @classmethod
    def of(cls, rows: Rows, *, floor: float) -> TimeIndex:
        times, ids = _entries(rows, floor)
        order = np.argsort(times, kind="stable")
        return cls(floor, times[order], ids[order])

    def after(self, touched: NDArray[np.int64], rows: Rows) -> TimeIndex:
        """This index with the entries of the incidents ``touched`` replaced by ``rows`` (their
        values now; a touched incident missing from ``rows`` has none)."""
        keep = ~np.isin(self.added_ids, touched)
        times, ids = _entries(rows, self.floor)
        times, ids = (
            np.concatenate([self.added_times[keep], times]),
            np.concatenate([self.added_ids[keep], ids]),
        )
        order = np.argsort(times, kind="stable")
        dropped = np.union1d(self.dropped, touched)
        index = replace(self, dropped=dropped, added_times=times[order], added_ids=ids[order])
        return index if len(dropped) <= self.FOLD else index.folded()

    def folded(self) -> TimeIndex:
        """The same entries in one sorted base (the added ones merged in, in one pass)."""
        keep = ~np.isin(self.ids, self.dropped)
        times, ids = self.times[keep], self.ids[keep]
        at = np.searchsorted(times, self.added_times, side="right")
        return type(self)(
            self.floor, np.insert(times, at, self.added_times), np.insert(ids, at, self.added_ids)
        )

    def between(self, lo: float, hi: float) -> NDArray[np.int64]:
        """The incidents (sorted ids) with a clocked time in ``[lo, hi]`` (``lo >= floor``)."""
        base = self.ids[_span(self.times, lo, hi)]
        if len(self.dropped):
            base = base[~_among(base, self.dropped)]
        return np.unique(np.concatenate([base, self.added_ids[_span(self.added_times, lo, hi)]]))


def _span(times: NDArray[np.float64], lo: float, hi: float) -> slice:
    return slice(int(np.searchsorted(times, lo, side="left")), int(np.searchsorted(times, hi, side="right")))


def _among(values: NDArray[np.int64], sorted_ids: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which ``values`` are in ``sorted_ids`` (a binary search each: ``values`` are few)."""
    at = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return np.asarray(sorted_ids[at] == values)


def _entries(rows: Rows, floor: float) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    times, ids = [], []
    for name in CLOCKED:
        values = rows.get(name)
        if values is None:
            continue
        at = np.flatnonzero(values >= floor)  # NaN compares false: no time, no entry
        times.append(values[at].astype(np.float64))
        ids.append(rows["ids"][at])
    if not times:
        return np.zeros(0), np.zeros(0, np.int64)
    return np.concatenate(times), np.concatenate(ids)
