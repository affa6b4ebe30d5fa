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


def _ident_ok(ident: Any) -> bool:
    """A component id: a string, or a pattern-matching dict of strings and numbers."""
    if isinstance(ident, str):
        return True
    return isinstance(ident, dict) and all(
        isinstance(k, str) and isinstance(v, str | int | float) and not isinstance(v, bool)
        for k, v in ident.items()
    )


def _prop_ok(item: Any) -> bool:
    if isinstance(item, list):  # a pattern-matching group
        return all(isinstance(i, dict) and _prop_ok(i) for i in item)
    return isinstance(item, dict) and _ident_ok(item.get("id")) and isinstance(item.get("property"), str)


def _no_nul(node: Any, depth: int = 0) -> bool:
    """No NUL character in any string (PostgreSQL text cannot hold one), nesting at most 32 deep."""
    if depth > 32:
        return False
    if isinstance(node, str):
        return "\x00" not in node
    if isinstance(node, dict):
        return all(_no_nul(k, depth + 1) and _no_nul(v, depth + 1) for k, v in node.items())
    if isinstance(node, list):
        return all(_no_nul(v, depth + 1) for v in node)
    return True


def well_formed(body: Any) -> bool:
    """Whether a callback request has the shape Dash's own page sends: ``output`` a string,
    ``outputs`` one or a list of (id, property), ``inputs`` and ``state`` lists of (id,
    property, value), ``changedPropIds`` strings, and no NUL anywhere. Anything else is the
    client's error (400), refused before a callback sees it."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    outputs = body.get("outputs")
    described = outputs if isinstance(outputs, list) else [outputs]
    lists = [body.get("inputs"), body.get("state", []), body.get("changedPropIds", [])]
    return (
        all(isinstance(v, list) for v in lists)
        and all(_prop_ok(o) for o in described)
        and all(_prop_ok(i) for i in [*lists[0], *lists[1]])
        and all(isinstance(c, str) for c in lists[2])
        and _no_nul(body)
    )
