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

    def mask(self, facts: Facts, *, with_time: bool = True) -> NDArray[np.bool_]:
        """True for each incident in ``facts`` this filter selects."""
        keep = np.ones(len(facts), dtype=bool)
        if self.drill.unit_id is not None:
            keep &= getattr(facts, self.drill.level) == self.drill.unit_id
        if with_time and self.since is not None:
            keep &= facts.reported >= self.since.timestamp()
        if with_time and self.until is not None:
            keep &= facts.reported < self.until.timestamp()
        if self.categories:
            keep &= np.isin(facts.category, facts.codes("category", self.categories))
        if self.sources:
            keep &= np.isin(facts.source, facts.codes("source", self.sources))
        if self.statuses:
            keep &= self._status(facts)
        return keep

    def _status(self, facts: Facts) -> NDArray[np.bool_]:
        is_open = np.isnan(facts.closed)
        now = self.now.timestamp() if self.now else np.nan
        overdue = is_open & (facts.deadline < now) & ~(facts.suspended <= now)
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
