"""Values made once per key and kept with what they were made from (a shared view, a road
network), for every request that asks for them again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    """``make()`` once per key; the ``limit`` keys used last are kept. Two threads asking for a
    key not kept yet may both make it (either result is the same): nothing waits on a lock
    while something is made."""

    def __init__(self, *, limit: int) -> None:
        self._kept: OrderedDict[Hashable, T] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        made = make()
        with self._lock:
            self._kept[key] = made
            while len(self._kept) > self._limit:
                self._kept.popitem(last=False)
        return made


def drawings() -> Memo[object]:
    """What a page drew from one shared view (figures, tables, panels as sent, and their
    variants for screens in other states), kept with the view for everyone shown it. Sixty-four:
    ten panels, and variants for a few dozen screens' states."""
    return Memo(limit=64)
