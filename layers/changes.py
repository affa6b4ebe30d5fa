"""The wall screen's change counter, and which feed items are new to a screen.

A screen polls :func:`change_token` every few seconds (``GRIDGOV_CHANGE_POLL_SECONDS``) and
refreshes its figures only when the token moved. The token is the count and the sum of the ids
of the ``incident_change`` rows (one per statement that changed incidents, migration 0017)
that concern the transaction's row scope: rows naming one of its streets, or no street list at
all (a TRUNCATE, a statement of over 100,000 rows). ``max(id)`` alone would not do: a transaction that
took a lower id but committed later adds a row without moving the maximum; it does move the
count and the sum. Pruning old rows moves them too (a spurious refresh, every 1,000 changes).
The table holds a few thousand small rows, so the token costs one short scan, no incident row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_TOKEN = sa.text(
    """
SELECT count(*), coalesce(sum(id), 0) FROM incident_change c
WHERE (SELECT gridgov_scope_all()) OR c.streets IS NULL
   OR c.streets && (SELECT gridgov_scope_streets())"""
)


def change_token(conn: Connection) -> str:
    """A short text that changes whenever incidents this transaction's row scope may see change."""
    count, total = conn.execute(_TOKEN).one()
    return f"{count}.{total}"


def newly_shown(shown: Sequence[int], seen: Collection[int] | None) -> frozenset[int]:
    """The ids of ``shown`` a screen had not shown before (``seen``; None: nothing shown yet, so
    nothing is new: a page's first figures do not flash)."""
    if seen is None:
        return frozenset()
    return frozenset(shown) - frozenset(seen)
