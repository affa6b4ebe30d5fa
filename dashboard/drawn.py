"""What a page drew from one shared view, kept with the view for every user shown it, and
outputs made ready to send once rather than at every response."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import numpy as np

T = TypeVar("T")


class Drawn:
    """``draw()`` once per key for as long as the view holding it is kept: the first user to
    ask draws, the next are handed it. Two threads may both draw; either result is the same.
    Past ``limit`` keys (a view asked in many ways) it draws without keeping."""

    def __init__(self, *, limit: int = 256) -> None:
        self._made: dict[Hashable, Any] = {}
        self._limit = limit

    def get(self, key: Hashable, draw: Callable[[], T]) -> T:
        if key in self._made:
            return cast(T, self._made[key])
        made = draw()
        if len(self._made) < self._limit:
            self._made[key] = made
        return made


def as_sent(value: Any) -> Any:
    """``value`` in the plain values Dash's encoder would make of it: a component as its type,
    namespace and props, a Patch as its operations, an array as a list. Dash converts them in
    Python at every response (to_plotly_json, component by component); converted once, an
    output handed to many screens is then only encoded, in C."""
    if hasattr(value, "to_plotly_json"):
        return as_sent(value.to_plotly_json())
    if isinstance(value, dict):
        return {k: as_sent(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_sent(v) for v in value]
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return value
