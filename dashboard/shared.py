"""Results that every request of a process asking for the same thing shares.

Under load many users ask for the same thing at about the same time (the wall screens of a
centre refresh together; a leader presses Plan twice). :class:`SharedResults` computes a key's
value once and hands it to everyone asking while it is fresh; requests arriving while it is
being computed wait for that computation instead of starting their own ("single flight"), so
an expired view is rebuilt once, not once per screen.

The key must hold everything the value depends on, the caller's row scope included: a value
computed for one street leader must never reach another account. What it was computed *from*
may instead be its ``version`` (the wall screen's change counter): a value of another version
is still served while it is younger than ``settle`` seconds, so under a continuous feed a view
is made at most once per ``settle`` seconds however often incidents change.

:meth:`SharedResults.follow` hands the computation the value it replaces, for values that are
cheaper to bring up to date than to make (``layers/tally.py``). A value of :meth:`get` is
let go once older than its ``max_age`` (it would never be served again, and a server whose
screens ask for many views would otherwise hold ``max_entries`` of them); one of
:meth:`follow` is kept until pushed out, since the next computation starts from it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

T = TypeVar("T")


@dataclass
class _Entry:
    started: float
    version: Hashable = None
    expires: float = math.inf  # when it may be let go (a value of ``follow``: never)
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    failed: bool = False


class SharedResults:
    """Per app: values by key, at most ``max_entries`` (the oldest go first)."""

    def __init__(self, *, max_entries: int = 64, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}
        self._max = max_entries
        self._clock = clock

    def get(
        self,
        key: Hashable,
        compute: Callable[[], T],
        *,
        max_age: float | None = None,
        version: Hashable = None,
        settle: float = 0.0,
    ) -> T:
        """``compute()``'s value for ``key``, computed again only when the held one started more
        than ``max_age`` seconds ago (None: held until pushed out; the key says when it is stale)
        or, if it was computed for another ``version``, more than ``settle`` seconds ago."""
        return self._make(
            key, lambda _: compute(), max_age=max_age, version=version, settle=settle, keep=False
        )

    def follow(
        self,
        key: Hashable,
        step: Callable[[T | None], T],
        *,
        max_age: float | None = None,
        version: Hashable = None,
        settle: float = 0.0,
    ) -> T:
        """As :meth:`get`, computing ``step(previous)``: ``previous`` is the value it replaces
        (None when there is none, or it failed or is still being made)."""
        return self._make(key, step, max_age=max_age, version=version, settle=settle, keep=True)

    def _make(
        self,
        key: Hashable,
        step: Callable[[T | None], T],
        *,
        max_age: float | None,
        version: Hashable,
        settle: float,
        keep: bool,
    ) -> T:
        entry, mine, previous = self._claim(key, max_age=max_age, version=version, settle=settle, keep=keep)
        if not mine:
            entry.done.wait()
            if not entry.failed:
                return cast(T, entry.value)
            return step(None)  # the computation we waited for raised: try on our own
        try:
            entry.value = step(previous)
        except BaseException:
            entry.failed = True
            self._forget(key, entry)
            raise
        finally:
            entry.done.set()
        return cast(T, entry.value)

    def _claim(
        self, key: Hashable, *, max_age: float | None, version: Hashable, settle: float, keep: bool
    ) -> tuple[_Entry, bool, Any]:
        """The entry to use, whether this caller must compute it, and the value it replaces."""
        now = self._clock()
        with self._lock:
            self._let_go(now)
            held = self._entries.get(key)
            if held is not None and not held.failed:
                age = now - held.started
                if (max_age is None or age < max_age) and (held.version == version or age < settle):
                    return held, False, None
            previous = held.value if held is not None and held.done.is_set() and not held.failed else None
            self._entries.pop(key, None)  # a stale one: its replacement goes to the end
            if len(self._entries) >= self._max:
                self._entries.pop(next(iter(self._entries)))
            expires = math.inf if keep or max_age is None else now + max_age
            entry = self._entries[key] = _Entry(now, version, expires)
            return entry, True, previous

    def _let_go(self, now: float) -> None:
        """Drop the oldest values while they are past their ``expires`` (the entries are in the
        order they were started, and one instance's callers pass one ``max_age``)."""
        while self._entries:
            key, oldest = next(iter(self._entries.items()))
            if oldest.expires > now or not oldest.done.is_set():
                return
            del self._entries[key]

    def _forget(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
