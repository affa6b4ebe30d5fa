"""Feed rows kept between views while their incidents stay unchanged.

The wall screen's lists (newest, 超期, 临期) pick their incidents from the held facts and read
those rows by id (``feeds.rows_of``); under a live feed every view is made again after every
change, and most of the rows it reads are the ones it read last time. :class:`HeldRows` keeps
them and reads only the others. Which incidents changed comes from the facts' lineage
(``layers/lineage.py``): a copy of the facts newer than the one followed drops the rows its
deltas touched; a copy it cannot relate (a full reload) drops them all; an older copy (a request
that synced just before another) is served from what is held. A read that overlapped a drop is
used but not kept, so a row read before its incident changed is never kept after the change.

Hold one per row scope and per version of the boundaries (rows carry street and community names).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy.engine import Connection

from layers.facts import Facts
from layers.feeds import FeedRow, rows_of
from layers.lineage import Lineage, changes


class HeldRows:
    """Rows by incident id, at most ``max_rows`` (all dropped when full: lists are short)."""

    def __init__(self, *, max_rows: int = 4096) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, FeedRow] = {}
        self._lineage: Lineage | None = None
        self._drops = 0  # how many times rows were dropped: a read that overlapped one is not kept
        self._max = max_rows

    def rows(self, conn: Connection, facts: Facts, ids: Sequence[int]) -> list[FeedRow]:
        """The rows of ``ids`` (picked from ``facts``), in that order, as ``rows_of`` reads them."""
        with self._lock:
            self._follow(facts.lineage)
            known = {i: self._rows[i] for i in ids if i in self._rows}
            drops = self._drops
        read = {r.incident_id: r for r in rows_of(conn, [i for i in ids if i not in known])}
        with self._lock:
            if drops == self._drops:
                if len(self._rows) + len(read) > self._max:
                    self._rows.clear()
                self._rows.update(read)
        found = known | read
        return [found[i] for i in ids if i in found]

    def _follow(self, lineage: Lineage | None) -> None:
        """Drop what changed between the copy followed and ``lineage`` (under the lock)."""
        held = self._lineage
        if held is not None and lineage is not None and changes(lineage, held) is not None:
            return  # the same copy, or an older one: what is held is at least as new
        touched = None if held is None or lineage is None else changes(held, lineage)
        if touched is None:
            self._rows.clear()
        else:
            for i in touched.ids.tolist():
                self._rows.pop(i, None)
        self._lineage = lineage
        self._drops += 1
