"""Toggling layers without resending the map: a Dash ``Patch`` that deletes and inserts only
the traces of the layers that changed, keeping every layer's traces in drawing order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dash import Patch
from plotly.basedatatypes import BaseTraceType

# What the figure holds, bottom layer first: [layer key, number of traces], as stored by the page.
Present = list[tuple[str, int]]
Build = Callable[[str], list[BaseTraceType]]


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


def patch_layers(
    present: Sequence[Sequence[object]], order: Sequence[str], build: Build
) -> tuple[Patch, Present]:
    """Turn a figure showing ``present`` into one showing ``order`` (bottom first); ``build``
    makes the traces of a layer that is not shown yet. Returns the patch and the new ``present``."""
    patch = Patch()
    kept = dict(_remove(patch, [(str(k), int(str(n))) for k, n in present], set(order)))
    result: Present = []
    position = 0
    for key in order:
        if key not in kept:
            traces = build(key)
            for offset, trace in enumerate(traces):
                patch["data"].insert(position + offset, trace.to_plotly_json())
            kept[key] = len(traces)
        result.append((key, kept[key]))
        position += kept[key]
    return patch, result
