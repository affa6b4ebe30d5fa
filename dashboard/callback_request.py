"""The body of Dash's own callback request (``POST /_dash-update-component``), built one way for
the workers' warm-up, the tests and the benchmarks, which all drive callbacks over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PATH = "/_dash-update-component"
Prop = tuple[str, str]  # (component id, property)


def _prop(item: Any) -> Any:
    """``(id, property, value)`` → Dash's input dict; a list (a pattern-matching group) as is."""
    if isinstance(item, list):
        return item
    ident, prop, value = item
    return {"id": ident, "property": prop, "value": value}


def callback_body(
    outputs: Sequence[Prop],
    inputs: Sequence[Any],
    state: Sequence[Any] = (),
    *,
    changed: str,
    single: bool = False,
) -> dict[str, Any]:
    """``single``: the callback was declared with one ``Output``, not a list of them."""
    described: Any = [{"id": i, "property": p} for i, p in outputs]
    output = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    if single:
        (described,), output = described, output.strip(".")
    return {
        "output": output,
        "outputs": described,
        "inputs": [_prop(x) for x in inputs],
        "state": [_prop(x) for x in state],
        "changedPropIds": [changed],
    }


def route_body(path: str, search: str = "") -> dict[str, Any]:
    """The request that puts the page for ``path`` in the app's shell."""
    inputs = [("url", "pathname", path), ("url", "search", search)]
    return callback_body([("page", "children")], inputs, changed="url.pathname", single=True)
