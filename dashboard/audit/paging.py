"""Where the audit page is in the log: keyset paging, kept in the page's store. ``befores[i]``
is the id the (i+1)-th page starts below (None: the newest page); ``last`` the id of the
current page's last entry; ``more`` whether older entries exist. Everything comes back from the
browser, so ``parse`` keeps only whole ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Cursor:
    befores: tuple[int | None, ...] = (None,)
    last: int | None = None
    more: bool = False

    @property
    def page(self) -> int:
        return len(self.befores)

    @property
    def before(self) -> int | None:
        return self.befores[-1]

    @classmethod
    def parse(cls, stored: Any) -> Cursor:
        data = stored if isinstance(stored, dict) else {}
        raw = data.get("befores")
        ids = tuple(_whole(b) for b in raw) if isinstance(raw, list) else ()
        if not ids or ids[0] is not None or any(b is None for b in ids[1:]):
            ids = (None,)
        return cls(ids, _whole(data.get("last")), data.get("more") is True)

    def to_store(self) -> dict[str, Any]:
        return {"befores": list(self.befores), "last": self.last, "more": self.more}

    def older(self) -> Cursor:
        """The next page back (the same page if there is none)."""
        return Cursor((*self.befores, self.last)) if self.more and self.last is not None else self

    def newer(self) -> Cursor:
        return Cursor(self.befores[:-1]) if len(self.befores) > 1 else Cursor()

    def shown(self, ids: list[int], *, more: bool) -> Cursor:
        """This page as shown: its entries' ids (newest first) and whether older ones exist."""
        return Cursor(self.befores, ids[-1] if ids else None, more)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
