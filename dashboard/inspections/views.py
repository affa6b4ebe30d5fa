"""What the planning page shows, assembled from layers/ (callbacks stay thin wrappers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from geo.errors import InputError
from geo.inspection_kinds import InspectionKind
from geo.inspection_settings import InspectionSettings
from layers import routing
from layers.cycles import RoundCoverage, round_coverage
from layers.drill import Drill, Outline, children, outline_of
from layers.network import Network
from layers.plan import Plan, PlanRequest, make_plan
from layers.register import risk_register
from layers.units import current_units

_TOLERANCE_M = 2.0  # outlines under the routes: simplified by at most 2 m


def streets(conn: Connection) -> list[tuple[int, str]]:
    return [(u.unit_id, u.name) for u in current_units(conn, "street")]


def street_outline(conn: Connection, street: int) -> dict[str, Any] | None:
    own = outline_of(conn, Drill("street", street), tolerance_m=_TOLERANCE_M)
    return own.geometry if own else None


def communities(conn: Connection, street: int) -> list[Outline]:
    """The street's communities and villages, drawn under the routes for orientation."""
    return children(conn, Drill("street", street), tolerance_m=_TOLERANCE_M)[1]


def _whole(value: object, *, name: str, low: int, high: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a whole number from {low} to {high}") from None
    if not low <= number <= high:
        raise InputError(f"{name} must be from {low} to {high}")
    return number


def request_from(
    *,
    street: object,
    start: object,
    days: object,
    teams: object,
    visits: object,
    kinds: object,
    choice: object,
    known_kinds: Collection[str],
) -> PlanRequest:
    """A plan request from the page's inputs, every one checked (they come from the browser)."""
    try:
        first = dt.date.fromisoformat(str(start)[:10])
    except ValueError:
        raise InputError("the start date must look like 2026-11-24") from None
    wanted = tuple(k for k in (kinds or []) if isinstance(k, str))  # type: ignore[attr-defined]
    if set(wanted) - set(known_kinds):
        raise InputError("unknown inspection kind")
    chosen = choice if isinstance(choice, dict) else {}
    return PlanRequest(
        street=_whole(street, name="street", low=1, high=2**31 - 1),
        start=first,
        days=_whole(days, name="days", low=1, high=14),
        teams=_whole(teams, name="teams", low=1, high=10),
        visits_per_day=_whole(visits, name="visits per team per day", low=1, high=40),
        kinds=wanted,
        pinned=frozenset(int(i) for i in chosen.get("pinned", []) if isinstance(i, int)),
        dropped=frozenset(int(i) for i in chosen.get("dropped", []) if isinstance(i, int)),
    )


@dataclass(frozen=True)
class Planning:
    request: PlanRequest
    register: pd.DataFrame
    plan: Plan | None  # None: the register alone, before anyone asked for a plan
    outline: dict[str, Any] | None
    communities: list[Outline]
    rounds: list[RoundCoverage]


def planning(
    conn: Connection,
    network: Network,
    request: PlanRequest,
    *,
    today: dt.date,
    settings: InspectionSettings,
    kinds: Mapping[str, InspectionKind],
    solve: routing.SolveFn | None = routing.solve,
) -> Planning:
    """The street's register, its plan solved by ``solve`` (None: the register alone), and what
    the map draws under them."""
    register = risk_register(conn, street=request.street, today=today, kinds=request.kinds)
    plan = (
        None
        if solve is None
        else make_plan(conn, network, request, today=today, settings=settings, register=register, solve=solve)
    )
    return Planning(
        request=request,
        register=register,
        plan=plan,
        outline=street_outline(conn, request.street),
        communities=communities(conn, request.street),
        rounds=round_coverage(conn, street=request.street, today=today, kinds=request.kinds, registry=kinds),
    )
