"""Outputs made ready to send once, rather than at every response: a view's panels handed to
many screens."""

from __future__ import annotations

from typing import Any

from dash import Patch
from dash.development.base_component import Component


def as_sent(value: Any) -> Any:
    """``value`` as Dash's encoder would write it: a component as its type, namespace and props
    (walked: the components in them too), a Patch as its operations. Dash converts components in
    Python at every response (to_plotly_json, component by component); converted once, an output
    handed to many screens is then only encoded, in C. Plain data (a figure, the values a Patch
    sets, text) is not walked: a figure's outlines are tens of thousands of numbers."""
    if isinstance(value, Patch):
        return value.to_plotly_json()
    if isinstance(value, Component):
        sent = value.to_plotly_json()
        return {**sent, "props": {k: _in_props(v) for k, v in sent["props"].items()}}
    if isinstance(value, list | tuple):  # children
        return [as_sent(v) for v in value]
    return value


def _in_props(value: Any) -> Any:
    """A prop's value: components anywhere in it (children, an option's label) converted."""
    if isinstance(value, dict):
        return {k: _in_props(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_in_props(v) for v in value]
    return as_sent(value)
