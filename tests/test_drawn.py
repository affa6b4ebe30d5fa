"""Outputs drawn once per shared view and converted once to what Dash sends."""

import json

import numpy as np
from dash import Patch, dcc, html
from dash._utils import to_json

from dashboard.drawn import Drawn, as_sent


def test_an_output_as_sent_encodes_exactly_as_dash_encodes_it():
    """Components nested in children and props, a Patch, numpy arrays and numbers: what Dash
    puts on the wire is the same byte for byte, and none of them is left to convert."""
    patch = Patch()
    patch["data"][0]["z"] = np.array([1.5, 2.0])
    patch["data"][1]["customdata"] = [[3, 1.5], [np.int64(4), 2.5]]
    panel = html.Div(
        [html.Span("环境 <b>&", className="x", **{"data-n": 3}), dcc.Markdown("*m*"), None, 7,
         dcc.Checklist(options=[{"label": html.B("粗"), "value": "a"}], value=["a"])],
        style={"color": "red"},
    )  # fmt: skip
    value = {"panel": panel, "patch": patch, "array": np.arange(3), "flag": np.bool_(True)}
    sent = as_sent(value)
    assert to_json(sent) == to_json(value)
    assert json.loads(to_json(sent)) == sent  # plain JSON values only: nothing left to convert

    def plain(v):
        return all(map(plain, v.values() if isinstance(v, dict) else v)) if isinstance(v, dict | list) else isinstance(v, str | int | float | type(None))  # fmt: skip

    assert plain(sent)


def test_drawn_draws_once_per_key_and_keeps_no_more_than_its_limit():
    drawn, calls = Drawn(limit=2), []

    def draw(key):
        return lambda: calls.append(key) or f"drawn {key}"

    assert [drawn.get(k, draw(k)) for k in ("a", "a", "b", "a", "b")] == ["drawn a", "drawn a", "drawn b", "drawn a", "drawn b"]  # fmt: skip
    assert calls == ["a", "b"]
    assert [drawn.get("c", draw("c")), drawn.get("c", draw("c"))] == ["drawn c", "drawn c"]
    assert calls == ["a", "b", "c", "c"]  # past its limit it draws without keeping
