"""Which stop the street leader opened: from a team-day's list (its id names the target) or by
clicking a target on the map. Everything comes from the browser, so every field is checked."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dashboard.inspections.layout import MAP


@dataclass(frozen=True)
class Focus:
    target: int
    lon: float
    lat: float


def focus_of(trigger: Any, triggered: Any, *, click: Any, plan: Any) -> Focus | None:
    """The stop behind ``trigger`` (Dash's ``ctx.triggered_id``): a list item clicked (not one
    just drawn: its clicks are 0), or a map point carrying a target id; None otherwise."""
    if isinstance(trigger, dict):
        first = triggered[0] if isinstance(triggered, list) and triggered else None
        clicks = first.get("value") if isinstance(first, dict) else None
        return _planned(plan, trigger.get("target")) if isinstance(clicks, int) and clicks > 0 else None
    if (
        trigger == MAP
        and isinstance(click, dict)
        and isinstance(click.get("points"), list)
        and click["points"]
    ):
        point = click["points"][0]
        if isinstance(point, dict) and _whole(point.get("customdata")):
            return _checked(point["customdata"], point.get("lon"), point.get("lat"))
    return None


def _planned(plan: Any, target: Any) -> Focus | None:
    """The stop for ``target`` in the page's stored plan."""
    routes = plan.get("routes") if isinstance(plan, dict) else None
    for route in routes if isinstance(routes, list) else []:
        for stop in route.get("stops", []) if isinstance(route, dict) else []:
            if isinstance(stop, dict) and _whole(target) and stop.get("target") == target:
                return _checked(target, stop.get("lon"), stop.get("lat"))
    return None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked(target: int, lon: Any, lat: Any) -> Focus | None:
    numbers = isinstance(lon, int | float) and isinstance(lat, int | float)
    if not numbers or not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        return None
    return Focus(target, float(lon), float(lat))
