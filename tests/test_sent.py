"""Outputs converted once to what Dash sends, and kept (layers/memo.py) for the next ask."""

import json

import numpy as np
from dash import Patch, dcc, html
from dash._utils import to_json

from dashboard.sent import as_sent
from layers.memo import Memo


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


def test_a_memo_makes_once_per_key_and_keeps_the_keys_used_last():
    memo, calls = Memo[str](limit=2), []

    def make(key):
        return lambda: calls.append(key) or f"made {key}"

    assert [memo.get(k, make(k)) for k in ("a", "a", "b", "a")] == ["made a", "made a", "made b", "made a"]
    assert calls == ["a", "b"]
    memo.get("c", make("c"))  # three keys: b, used longest ago, goes
    assert [memo.get(k, make(k)) for k in ("a", "c", "b")] == ["made a", "made c", "made b"]
    assert calls == ["a", "b", "c", "b"]
