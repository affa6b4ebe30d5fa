"""Hover text for map traces. Plotly renders a subset of HTML in hover labels, so every value
that came from data (names, addresses, people) is escaped; only our own markup survives."""

from __future__ import annotations

import html
from collections.abc import Iterable


def esc(value: object) -> str:
    """``value`` as text that Plotly shows literally (``<``, ``>`` and ``&`` escaped)."""
    return html.escape("" if value is None else str(value), quote=False)


def hover_text(title: object, rows: Iterable[tuple[str, object]]) -> str:
    """A bold title and ``label value`` lines; labels are ours, titles and values are escaped."""
    lines = [f"<b>{esc(title)}</b>"]
    lines += [f"{label} {esc(value)}" for label, value in rows if value not in (None, "")]
    return "<br>".join(lines)
