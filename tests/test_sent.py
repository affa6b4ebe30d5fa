"""Outputs converted once to what Dash sends, and kept (layers/memo.py) for the next ask."""

import json

import numpy as np
from dash import Patch, dcc, html
from dash._utils import to_json

from dashboard.sent import as_sent
from layers.memo import Memo


def test_an_output_as_sent_encodes_exactly_as_dash_encodes_it():
    """A panel's components (nested in children and in props) become plain values and a Patch
    its operations; plain data (a figure) passes as it is, not walked. What Dash puts on the
    wire is the same byte for byte."""
    patch = Patch()
    patch["data"][0]["z"] = {"dtype": "f4", "bdata": "AAA="}
    patch["data"][1]["customdata"] = [[3, 1.5], [4, 2.5]]
    panel = html.Div(
        [html.Span("环境 <b>&", className="x", **{"data-n": 3}), dcc.Markdown("*m*"), None, 7,
         dcc.Checklist(options=[{"label": html.B("粗"), "value": "a"}], value=["a"])],
        style={"color": "red"},
    )  # fmt: skip
    figure = {"data": [{"type": "bar", "y": np.arange(3)}], "layout": {}}
    for value in (panel, [panel, html.Br()], patch, figure, "文字"):
        assert to_json(as_sent(value)) == to_json(value)
    assert json.loads(to_json(panel)) == as_sent(panel)  # plain JSON values only: nothing left to convert
    assert as_sent(patch) == patch.to_plotly_json() and as_sent(figure) is figure


def test_a_memo_makes_once_per_key_and_keeps_the_keys_used_last():
    memo, calls = Memo[str](limit=2), []

    def make(key):
        return lambda: calls.append(key) or f"made {key}"

    assert [memo.get(k, make(k)) for k in ("a", "a", "b", "a")] == ["made a", "made a", "made b", "made a"]
    assert calls == ["a", "b"]
    memo.get("c", make("c"))  # three keys: b, used longest ago, goes
    assert [memo.get(k, make(k)) for k in ("a", "c", "b")] == ["made a", "made c", "made b"]
    assert calls == ["a", "b", "c", "b"]
