"""Outputs made ready to send once, rather than at every response: a view's panels handed to
many screens."""

from __future__ import annotations

from typing import Any

import numpy as np


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
