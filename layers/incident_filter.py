"""Which incidents a wall-screen panel counts: place (drill), time, category, source and status.

:meth:`IncidentFilter.where` gives a SQL condition on ``incident i`` built only from fixed
fragments, with every value a bind parameter; a condition that does not apply is left out
rather than written as ``param IS NULL OR …``, so PostgreSQL plans each query for what it is.
Probable duplicates (``duplicate_of``) are never counted twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from layers.drill import INCIDENT_KEY, Drill
from layers.facts import Facts

STATUSES = ("open", "overdue", "closed")  # what the status filter offers
_STATUS_SQL = {
    "open": "i.closed_at IS NULL",
    "overdue": "(i.closed_at IS NULL AND i.deadline_at < :now AND i.suspended_at IS NULL)",  # 挂起: clock stands
    "closed": "i.closed_at IS NOT NULL",
}


@dataclass(frozen=True)
class IncidentFilter:
    drill: Drill = field(default_factory=Drill)
    now: dt.datetime | None = None  # the clock "overdue" is judged by (required for that status)
    since: dt.datetime | None = None  # reported at or after
    until: dt.datetime | None = None  # reported before
    categories: tuple[str, ...] = ()  # empty: every category
    sources: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.statuses) - set(STATUSES)
        if unknown:
            raise ValueError(f"unknown status {sorted(unknown)}; use {', '.join(STATUSES)}")
        for value in (self.now, self.since, self.until):
            if value is not None and value.tzinfo is None:
                raise ValueError("filter times must be timezone-aware")

    def at(self, drill: Drill) -> IncidentFilter:
        return replace(self, drill=drill)

    def window(self, since: dt.datetime | None, until: dt.datetime | None) -> IncidentFilter:
        return replace(self, since=since, until=until)

    def rows(self, facts: Facts, *, with_time: bool = True) -> NDArray[np.intp]:
        """Positions in ``facts`` of the incidents this filter selects (the same rows as :meth:`where`)."""
        return np.flatnonzero(self.mask(facts, with_time=with_time))

    def mask(
        self, facts: Facts, *, with_time: bool = True, idx: NDArray[np.intp] | None = None
    ) -> NDArray[np.bool_]:
        """True for each incident in ``facts`` (or of those at positions ``idx``) this filter selects."""
        col = (lambda n: getattr(facts, n)) if idx is None else (lambda n: getattr(facts, n)[idx])
        keep = np.ones(len(facts) if idx is None else len(idx), dtype=bool)
        if self.drill.unit_id is not None:
            keep &= col(self.drill.level) == self.drill.unit_id
        if with_time and self.since is not None:
            keep &= col("reported") >= self.since.timestamp()
        if with_time and self.until is not None:
            keep &= col("reported") < self.until.timestamp()
        if self.categories:
            keep &= np.isin(col("category"), facts.codes("category", self.categories))
        if self.sources:
            keep &= np.isin(col("source"), facts.codes("source", self.sources))
        if self.statuses:
            keep &= self._status(col("closed"), col("deadline"), col("suspended"))
        return keep

    def select(
        self, facts: Facts, idx: NDArray[np.intp] | None, *, with_time: bool = True
    ) -> NDArray[np.intp]:
        """Positions of the incidents this filter selects, of all (``idx`` None) or of ``idx``."""
        if idx is None:
            return self.rows(facts, with_time=with_time)
        return idx[self.mask(facts, with_time=with_time, idx=idx)]

    def at_clock(self, clock: float) -> IncidentFilter:
        """This filter judged at ``clock`` (epoch seconds): reported before it, overdue by it."""
        moment = dt.datetime.fromtimestamp(clock, dt.UTC)
        return replace(self, now=moment, until=moment)

    def unclocked(self) -> IncidentFilter:
        """This filter without its clock (``now``, ``until``): what it selects apart from time."""
        return replace(self, now=None, until=None)

    def _status(self, closed: NDArray[np.float64], deadline: NDArray[np.float64], suspended: NDArray[np.float64]) -> NDArray[np.bool_]:  # fmt: skip
        is_open = np.isnan(closed)
        now = self.now.timestamp() if self.now else np.nan
        overdue = is_open & (deadline < now) & ~(suspended <= now)
        masks = {"open": is_open, "overdue": overdue, "closed": ~is_open}
        return np.logical_or.reduce([masks[s] for s in self.statuses])

    def where(self, *, with_time: bool = True) -> tuple[str, dict[str, Any]]:
        """``(sql, params)``: the condition on ``incident i``; ``with_time=False`` ignores the window."""
        parts, params = ["i.duplicate_of IS NULL"], dict[str, Any](now=self.now)
        if self.drill.unit_id is not None:
            parts.append(f"i.{INCIDENT_KEY[self.drill.level]} = :unit_id")
            params["unit_id"] = self.drill.unit_id
        if with_time and self.since is not None:
            parts.append("i.reported_at >= :since")
            params["since"] = self.since
        if with_time and self.until is not None:
            parts.append("i.reported_at < :until")
            params["until"] = self.until
        if self.categories:
            parts.append("i.category = ANY(:categories)")
            params["categories"] = list(self.categories)
        if self.sources:
            parts.append("i.source = ANY(:sources)")
            params["sources"] = list(self.sources)
        if self.statuses:
            parts.append("(" + " OR ".join(_STATUS_SQL[s] for s in STATUSES if s in self.statuses) + ")")
        return " AND ".join(parts), params
