"""One simulated dashboard user for bench_load: logs in like a browser, loads a page as Dash does
(the HTML, its layout and callback list, the router callback that builds it) and then posts
that page's real callback requests, built from the page's own component values and updated
from each answer, as the browser's renderer keeps them."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from dashboard.callback_request import PATH, route_body
from dashboard.coverage import layout as C
from dashboard.inspections import layout as I
from dashboard.monitor import layout as M

Key = tuple[str, str]  # (component id, property)
TIMEOUT_S = 60


@dataclass(frozen=True)
class Sample:
    action: str
    seconds: float
    status: int  # 0: no answer (connection error or timeout)
    error: str = ""


@dataclass
class Page:
    """The page as the browser holds it: component values, dropdown options, callback specs."""

    path: str
    values: dict[Key, Any] = field(default_factory=dict)
    options: dict[str, list[Any]] = field(default_factory=dict)
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def read(self, node: Any) -> None:
        """Take every component's props from a layout's JSON."""
        if isinstance(node, list):
            for item in node:
                self.read(item)
        elif isinstance(node, dict):
            props = node.get("props", {})
            ident = props.get("id")
            if isinstance(ident, str):
                self.values.update({(ident, k): v for k, v in props.items() if k not in ("id", "children")})
                if isinstance(props.get("options"), list | dict):
                    self.options[ident] = _option_values(props["options"])
            for value in props.values():
                self.read(value)

    def answer(self, body: dict[str, Any]) -> None:
        """Keep what a callback set (not figure patches: the browser applies them to the figure)."""
        for ident, props in body.get("response", {}).items():
            for prop, value in props.items():
                if not (isinstance(value, dict) and "__dash_patch_update" in value):
                    self.values[(ident, prop)] = value

    def callback(self, output: Key) -> str:
        """The key of the callback that sets ``output``."""
        wanted = f"{output[0]}.{output[1]}"
        return next(k for k in self.specs if wanted in k.strip(".").split("..."))


def _option_values(options: Any) -> list[Any]:
    if isinstance(options, dict):
        return list(options)
    return [o["value"] if isinstance(o, dict) else o for o in options]


def callback_request(page: Page, key: str, changed: Key) -> dict[str, Any]:
    """The body Dash's renderer posts for callback ``key`` when ``changed`` changed."""
    spec = page.specs[key]

    def prop(item: dict[str, str]) -> Any:
        if item["id"].startswith("{"):
            return []  # a pattern-matching group (breadcrumb buttons): none drawn
        return {
            "id": item["id"],
            "property": item["property"],
            "value": page.values.get((item["id"], item["property"])),
        }

    outputs = [
        dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in key.strip(".").split("...")
    ]
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": [prop(i) for i in spec["inputs"]],
        "state": [prop(s) for s in spec.get("state", [])],
        "changedPropIds": [f"{changed[0]}.{changed[1]}"],
    }


class User:
    """A logged-in browser session on one page."""

    def __init__(self, url: str, *, rng: random.Random, samples: list[Sample]) -> None:
        self.url, self.rng, self.samples = url, rng, samples
        self.http = requests.Session()
        self.http.headers["Origin"] = url.rstrip("/")

    def _send(self, action: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.url + path.lstrip("/"), timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            self.samples.append(
                Sample(action, time.perf_counter() - started, 0, f"{type(exc).__name__}: {exc}"[:200])
            )
            return None
        self.samples.append(Sample(action, time.perf_counter() - started, response.status_code))
        return response

    def log_in(self, account: tuple[str, str]) -> None:
        form = self.http.get(self.url + "login", timeout=TIMEOUT_S).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        data = {"csrf": csrf.group(1) if csrf else "", "username": account[0], "password": account[1]}
        answer = self.http.post(self.url + "login", data=data, allow_redirects=False, timeout=TIMEOUT_S)
        if answer.status_code != 303:
            raise RuntimeError(f"login as {account[0]} failed: HTTP {answer.status_code}")

    def kiosk(self, token: str) -> None:
        """As a wall screen's browser: open the kiosk link, then press its button (which posts the token)."""
        form = self.http.get(self.url + "kiosk", params={"token": token}, timeout=TIMEOUT_S).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        data = {"csrf": csrf.group(1) if csrf else "", "token": token}
        answer = self.http.post(self.url + "kiosk", data=data, allow_redirects=False, timeout=TIMEOUT_S)
        if answer.status_code != 303:
            raise RuntimeError(f"kiosk login failed: HTTP {answer.status_code}")

    def load(self, path: str) -> Page:
        """What a page load costs the server: the HTML, layout, callback list and the router."""
        page = Page(path)
        self._send("page: html", "GET", path, headers={"Accept": "text/html"})
        self._send("page: layout", "GET", "_dash-layout")
        deps = self._send("page: dependencies", "GET", "_dash-dependencies")
        page.specs = {d["output"]: d for d in (deps.json() if deps is not None and deps.ok else [])}
        routed = self._post(page, f"page: build {path}", route_body(path))
        if routed is not None:
            page.read(routed.get("response", {}).get("page", {}).get("children"))
        return page

    def _post(self, page: Page, action: str, body: dict[str, Any]) -> dict[str, Any] | None:
        response = self._send(action, "POST", PATH, json=body)
        if response is None or response.status_code != 200:
            return None
        answer: dict[str, Any] = response.json()
        page.answer(answer)
        return answer

    def act(self, page: Page, action: str, output: Key, changed: Key) -> None:
        key = page.callback(output)
        self._post(page, action, callback_request(page, key, changed))


Action = Callable[[User, Page], None]


def monitor_action(user: User, page: Page, *, streets: list[int]) -> None:
    """A desk on the wall screen: a filter, the window, the map mode or a drill (its redraws on
    a change and every minute come from :func:`poll_changes` and :func:`interval_refresh`)."""
    r, v, pick = user.rng.random(), page.values, user.rng.choice
    if r < 0.3:
        v[(M.CATEGORY, "value")] = pick([[], [pick(page.options.get(M.CATEGORY) or [None])]])
        changed, name = (M.CATEGORY, "value"), "monitor: category filter"
    elif r < 0.6:
        v[(M.DRILL, "data")] = pick(
            [{"level": "district", "id": None}, {"level": "street", "id": pick(streets)}]
        )
        changed, name = (M.DRILL, "data"), "monitor: drill"
    elif r < 0.8:
        v[(M.WINDOW, "value")] = pick(page.options.get(M.WINDOW) or [30])
        changed, name = (M.WINDOW, "value"), "monitor: window"
    else:
        v[(M.MODE, "value")] = pick(page.options.get(M.MODE) or ["heat"])
        changed, name = (M.MODE, "value"), "monitor: map mode"
    user.act(page, name, (M.KPIS, "children"), changed)


POLL_ACTION = "monitor: poll"  # in the background: left out of the users' own latencies


def poll_changes(user: User, page: Page, *, action: str = POLL_ACTION) -> bool:
    """The change-counter poll the page's interval posts; True when the counter moved."""
    before = page.values.get((M.CHANGES, "data"))
    page.values[(M.POLL, "n_intervals")] = int(page.values.get((M.POLL, "n_intervals")) or 0) + 1
    user.act(page, action, (M.CHANGES, "data"), (M.POLL, "n_intervals"))
    return page.values.get((M.CHANGES, "data")) != before


def redraw(user: User, page: Page, *, action: str = "monitor: redraw on a change") -> None:
    """What the browser posts once the poll brought a new counter."""
    user.act(page, action, (M.KPIS, "children"), (M.CHANGES, "data"))


def interval_refresh(user: User, page: Page) -> None:
    """The page's slow refresh interval (``GRIDGOV_REFRESH_SECONDS``)."""
    page.values[(M.REFRESH, "n_intervals")] = int(page.values.get((M.REFRESH, "n_intervals")) or 0) + 1
    user.act(page, "monitor: refresh", (M.KPIS, "children"), (M.REFRESH, "n_intervals"))


def map_action(user: User, page: Page) -> None:
    """The layer map: another time window or street."""
    prop = user.rng.choice(["window", "street"])
    page.values[(prop, "value")] = user.rng.choice(page.options.get(prop) or [None])
    user.act(page, f"map: {prop}", ("map", "figure"), (prop, "value"))


def coverage_action(user: User, page: Page) -> None:
    """Service coverage: another type or walking threshold."""
    page.values[(C.TYPE, "value")] = user.rng.choice(page.options.get(C.TYPE) or [None])
    page.values[(C.VALUE, "value")] = user.rng.choice([500, 800, 1200, 1500])
    user.act(page, "coverage: type/threshold", (C.KPIS, "children"), (C.VALUE, "value"))


def inspections_action(user: User, page: Page) -> None:
    """Planning: press Plan for the leader's street (the page opened, most of the time, just read)."""
    if user.rng.random() < 0.7:
        return
    v = page.values
    v[(I.STREET, "value")] = v.get((I.STREET, "value")) or (page.options.get(I.STREET) or [None])[0]
    v[(I.PLAN_BUTTON, "n_clicks")] = int(v.get((I.PLAN_BUTTON, "n_clicks")) or 0) + 1
    user.act(page, "inspections: plan", (I.GRID, "rowData"), (I.PLAN_BUTTON, "n_clicks"))
