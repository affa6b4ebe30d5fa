"""A time window over incidents: [since, until), either end open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TimeWindow:
    """Incidents reported at or after ``since`` and before ``until`` (None: unbounded)."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def __post_init__(self) -> None:
        for value in (self.since, self.until):
            if value is not None and value.tzinfo is None:
                raise ValueError("time window ends must be timezone-aware datetimes")
        if self.since and self.until and self.since >= self.until:
            raise ValueError("a time window must end after it starts")

    @classmethod
    def last_days(cls, days: int, *, end: dt.datetime) -> TimeWindow:
        """The ``days`` days up to ``end`` (inclusive of ``end`` itself)."""
        until = end + dt.timedelta(microseconds=1)
        return cls(since=until - dt.timedelta(days=days), until=until)

    def params(self) -> dict[str, Any]:
        """Bind parameters ``since``/``until``; a NULL end is unbounded."""
        return {"since": self.since, "until": self.until}


ALL_TIME = TimeWindow()
