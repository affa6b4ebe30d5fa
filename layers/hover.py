"""Hover labels for map traces.

Plotly renders a subset of HTML in hover labels, so every value that comes from data (names,
addresses, people) is escaped, and only our own markup (``<b>``, ``<br>``) survives. The text
is a per-trace ``hovertemplate`` filled from ``customdata``, so labels are sent once per trace
rather than once per point.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable

MISSING = "—"


def esc(value: object) -> str:
    """``value`` as text that Plotly shows literally (``<``, ``>`` and ``&`` escaped)."""
    return MISSING if value is None else html.escape(str(value), quote=False)


def hover_row(values: Iterable[object]) -> list[object]:
    """One point's ``customdata``: strings escaped, None shown as a dash, numbers kept."""
    return [v if isinstance(v, int | float) and not isinstance(v, bool) else esc(v) for v in values]


def hover_template(*lines: str) -> str:
    """A template whose bold title is ``customdata[0]``; each ``{}`` in ``lines`` takes the
    next ``customdata`` field. ``lines`` are our own text and are used as given."""
    index = itertools.count(1)
    filled = [line.replace("{}", "\0").split("\0") for line in lines]
    body = ["".join(_join(parts, index)) for parts in filled]
    return "<br>".join(["<b>%{customdata[0]}</b>", *body]) + "<extra></extra>"


def _join(parts: list[str], index: itertools.count[int]) -> Iterable[str]:
    yield parts[0]
    for part in parts[1:]:
        yield f"%{{customdata[{next(index)}]}}{part}"
