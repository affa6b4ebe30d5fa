"""Toggling layers without resending the map: a Dash ``Patch`` that deletes and inserts only
the traces of the layers that changed, keeping every layer's traces in drawing order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go
from dash import Patch
from plotly.basedatatypes import BaseTraceType

from dashboard.figure import detached

# What the figure holds, bottom layer first: [layer key, number of traces], as stored by the page.
Present = list[tuple[str, int]]
Build = Callable[[str], list[BaseTraceType]]


def _encoded(traces: list[BaseTraceType]) -> list[dict[str, Any]]:
    """Traces as dicts with numeric arrays base64-encoded, as in a whole figure (half the size)."""
    data: list[dict[str, Any]] = go.Figure(data=detached(traces)).to_dict()["data"]
    return data


def _remove(patch: Patch, present: Present, wanted: set[str]) -> Present:
    kept: Present = []
    start = 0
    for key, n in present:
        if key in wanted:
            kept.append((key, n))
            start += n
            continue
        for _ in range(n):
            del patch["data"][start]
    return kept


def parse_present(raw: object) -> Present:
    """The page's record of what the figure holds; ValueError if it is not a list of [key, n]."""
    if not isinstance(raw, list):
        raise ValueError("the layer record is not a list")
    present: Present = []
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise ValueError(f"bad layer record entry {item!r}")
        key, n = item
        if not isinstance(key, str) or not isinstance(n, int) or n < 0:
            raise ValueError(f"bad layer record entry {item!r}")
        present.append((key, n))
    return present


def patch_layers(present: Present, order: Sequence[str], build: Build) -> tuple[Patch, Present]:
    """Turn a figure showing ``present`` into one showing ``order`` (bottom first); ``build``
    makes the traces of a layer that is not shown yet. Returns the patch and the new ``present``."""
    patch = Patch()
    kept = dict(_remove(patch, present, set(order)))
    result: Present = []
    position = 0
    for key in order:
        if key not in kept:
            traces = _encoded(build(key))
            for offset, trace in enumerate(traces):
                patch["data"].insert(position + offset, trace)
            kept[key] = len(traces)
        result.append((key, kept[key]))
        position += kept[key]
    return patch, result
