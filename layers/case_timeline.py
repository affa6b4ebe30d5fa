"""The timeline of one case's lifecycle, oldest step first.

Two sources, one shape (:class:`Step`): the incident's own step columns (``reported_at`` …
``closed_at``, what every database has), and the ``incident_event`` history of the lifecycle
work (migration 0016: signed for, dispatched to a department, callbacks with the resident's
satisfaction, reopened, extended …). :func:`timeline` reads the history where the case has
events in it, and the columns otherwise (a case loaded from a file with its step columns and
no events).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# the incident's step columns in lifecycle order (上报 立案 派遣 处置 核查 结案)
COLUMN_STEPS = ("reported", "registered", "dispatched", "handled", "verified", "closed")
# every kind of step a timeline can hold (the event kinds of migration 0016, and the columns')
KINDS = (
    "reported", "registered", "signed", "dispatched", "handled", "verified", "callback", "reopened",
    "extended", "suspended", "resumed", "closed",
)  # fmt: skip


@dataclass(frozen=True)
class Step:
    kind: str  # one of KINDS
    at: dt.datetime
    department: str | None = None  # 承办单位, of a dispatch
    satisfaction: str | None = None  # satisfied | basic | dissatisfied, of a callback
    resolved: bool | None = None  # of a callback
    deadline_at: dt.datetime | None = None  # the new deadline, of an extension
    note: str | None = None  # free text from the source: shown as text only


def column_steps(case: Mapping[str, Any]) -> list[Step]:
    """The steps the incident's ``<kind>_at`` columns record (``case`` maps column → value)."""
    steps = [Step(kind, case[f"{kind}_at"]) for kind in COLUMN_STEPS if case.get(f"{kind}_at") is not None]
    return sorted(steps, key=lambda s: (s.at, COLUMN_STEPS.index(s.kind)))


_EVENTS = sa.text(
    "SELECT kind, at, department, satisfaction, resolved, deadline_at, note FROM incident_event "
    "WHERE incident_source = :source AND incident_id = :id ORDER BY at, id"
)


def event_steps(conn: Connection, case: Mapping[str, Any]) -> list[Step]:
    """The case's ``incident_event`` rows (kinds this module knows), after its report (which is
    no event); [] when it has none."""
    params = {"source": case["source"], "id": case["id"]}
    events = [Step(*row) for row in conn.execute(_EVENTS, params) if row[0] in KINDS]
    return [Step("reported", case["reported_at"]), *events] if events else []


def timeline(conn: Connection, case: Mapping[str, Any]) -> list[Step]:
    """The case's steps: its events where there are any, else its step columns."""
    return event_steps(conn, case) or column_steps(case)
