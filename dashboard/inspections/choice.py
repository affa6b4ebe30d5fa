"""The street leader's choice over the plan: targets pinned in or dropped out, changed by the
grid's selection. Pure functions, unit-tested; the callback only wires them to the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PIN, DROP, CLEAR = "pin", "drop", "clear"


@dataclass(frozen=True)
class Choice:
    pinned: frozenset[int] = frozenset()
    dropped: frozenset[int] = frozenset()

    @classmethod
    def parse(cls, stored: Any) -> Choice:
        """The page's store as sent back by the browser (anything not a whole id is ignored)."""
        data = stored if isinstance(stored, dict) else {}
        return cls(_ids(data.get("pinned")), _ids(data.get("dropped")))

    def to_store(self) -> dict[str, list[int]]:
        return {"pinned": sorted(self.pinned), "dropped": sorted(self.dropped)}

    def apply(self, action: str, ids: frozenset[int]) -> Choice:
        """Pin or drop ``ids`` (pinning undoes a drop and the other way round), or clear all."""
        if action == CLEAR:
            return Choice()
        if action == PIN:
            return Choice(self.pinned | ids, self.dropped - ids)
        if action == DROP:
            return Choice(self.pinned - ids, self.dropped | ids)
        raise ValueError(f"unknown action {action!r}")


def _ids(values: Any) -> frozenset[int]:
    items = values if isinstance(values, list) else []
    return frozenset(i for i in items if isinstance(i, int) and not isinstance(i, bool))


def selected_ids(rows: Any) -> frozenset[int]:
    """The ids of the grid's selected rows (as the browser sent them)."""
    return _ids([row.get("id") for row in rows if isinstance(row, dict)] if isinstance(rows, list) else [])


def rechecks(rows: Any) -> list[str]:
    """Names of the selected rows that are rechecks due in the period: dropping them needs a yes."""
    picked = rows if isinstance(rows, list) else []
    return [str(r.get("name", "")) for r in picked if isinstance(r, dict) and r.get("recheck") is True]
