"""The district's identity for one process: read from the database when first asked, then again
at most every ``SECONDS`` (a newly loaded district shows within that), and kept through a
database outage (the "database unavailable" page still names the district)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from dashboard.ops.db_down import UNAVAILABLE
from geo.district_names import DistrictNames
from layers.identity import Identity, read_identity


class IdentityCache:
    """Per app; ``engine`` is read outside any row scope (names and extents are not scoped)."""

    SECONDS = 30.0

    def __init__(
        self, engine: Engine, names: DistrictNames, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._engine, self._names, self._clock = engine, names, clock
        self._lock = threading.Lock()
        self._held: tuple[float, Identity] | None = None

    def get(self) -> Identity:
        """The identity, read again when older than ``SECONDS``; while the database cannot be
        reached, the last one read (the neutral one if none was)."""
        with self._lock:  # a few milliseconds of SQL: one reader at a time is enough
            now = self._clock()
            if self._held is not None and now - self._held[0] < self.SECONDS:
                return self._held[1]
            try:
                with self._engine.connect() as conn:
                    self._held = (now, read_identity(conn, self._names))
            except UNAVAILABLE:
                return self.last()
            return self._held[1]

    def last(self) -> Identity:
        """The identity last read, without asking the database (neutral if never read)."""
        held = self._held
        return Identity(names=self._names) if held is None else held[1]
