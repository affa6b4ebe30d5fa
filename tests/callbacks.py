"""Dash callbacks called as the browser calls them, through Flask's test client: the router
(what a page shows), any callback with its inputs taken from the page, the wall screen's refresh."""

from __future__ import annotations

from dashboard.callback_request import PATH, callback_body, route_body
from dashboard.monitor import layout as L
from dashboard.monitor.callbacks import UPDATE_OUTPUTS


def route(client, path, search=""):
    """What the router callback puts on the page for ``path`` (Dash's own request)."""
    response = client.post(PATH, json=route_body(path, search))
    assert response.status_code == 200, response.text
    return response.get_json()["response"]["page"]["children"], len(response.data)


def components(node, found):
    """(id, property) → value of every component in a layout's JSON."""
    if isinstance(node, list):
        for item in node:
            components(item, found)
    elif isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props.get("id"), str):
            found.update({(props["id"], k): v for k, v in props.items() if k not in ("id", "children")})
        for value in props.values():
            components(value, found)
    return found


def page_values(client, path):
    """(id, property) → value of every component on the page at ``path``."""
    response = client.post(PATH, json=route_body(path))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return components(response.get_json()["response"]["page"]["children"], {})


def callback_request(key, spec, values, overrides, *, changed=None):
    """The request Dash sends for the callback ``key`` (``spec`` from ``app.callback_map``), its
    inputs and state taken from the page's ``values``, or from ``overrides`` where given;
    ``changed`` ("id.property", default the first input) is the input that fired it."""

    def prop(item):
        if item["id"].startswith("{"):
            return []  # a pattern-matching group: none on the page
        ident, name = item["id"], item["property"]
        value = overrides.get((ident, name), values.get((ident, name)))
        if name == "n_clicks":
            value = 1
        return {"id": ident, "property": name, "value": value}

    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in key.strip(".").split("...")
    ]
    inputs = [prop(i) for i in spec["inputs"]]
    changed = changed or next((f"{i['id']}.{i['property']}" for i in inputs if isinstance(i, dict)), "")
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": inputs,
        "state": [prop(s) for s in spec.get("state", [])],
        "changedPropIds": [changed],
    }


def call(client, outputs, inputs, state, changed):
    return client.post(PATH, json=callback_body(outputs, inputs, state, changed=changed))


def monitor_update(
    client,
    *,
    drill,
    mode="heat",
    window=30,
    cats=(),
    view="",
    hashes=None,
    lang="zh",
    seen=None,
    case_point=None,
    shown=None,
    changes=False,
):
    """The wall screen's refresh callback, as its timer fires it (``changes``: as the change
    counter's poll fires it, the screen showing the figures of counter ``shown``)."""
    inputs = [
        (L.DRILL, "data", drill), (L.WINDOW, "value", window), (L.CATEGORY, "value", list(cats)),
        (L.SOURCE, "value", []), (L.STATUS, "value", []), (L.MODE, "value", mode), (L.REFRESH, "n_intervals", 1),
        (L.CHANGES, "data", ""),
    ]  # fmt: skip
    state = [
        (L.LANG, "data", lang),
        (L.HASHES, "data", hashes or {}),
        (L.VIEW, "data", view),
        (L.SEEN, "data", seen),
        (L.CASE.point, "data", case_point),
        (L.SHOWN, "data", shown),
    ]
    trigger = f"{L.CHANGES}.data" if changes else f"{L.REFRESH}.n_intervals"
    response = call(client, UPDATE_OUTPUTS, inputs, state, trigger)
    return response
