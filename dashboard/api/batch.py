"""``POST /api/v1/<kind>``: batches of up to 10,000 items from systems that send many at once.

Body: ``{"items": [{...}, ...], "crs": "gcj02"}`` (``crs`` optional: the items' coordinate system
unless an item names its own). Each item has the fields of the kind's CSV columns. The answer
(200, after the commit) counts the job and gives each item's outcome; refusals are
``{"error": "..."}`` with 400 / 401 / 403 / 404 / 413 / 429 / 503.

``incident-events`` are the steps of the key's own incidents (``ingest/kinds/incident_events.py``):
an item's ``incident_source``, if given, must be the key's source.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from dashboard.api import _body
from dashboard.api.errors import ApiRefusal
from dashboard.api.intake import Intake, ItemOutcome
from dashboard.api.keys import authorise, check_source, presented_key
from dashboard.api.responses import answer, refusals
from ingest.job import JobResult

NAME = "api"
# the ingest kinds the batch endpoint takes (path → the field that names an item in the answer)
KINDS = {"incidents": "source_id", "incident-events": "ticket"}


def _error(status: int, message: str) -> dict[str, Any]:
    return {"error": message, "status": status}


def batch_blueprint(intake: Intake) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix="/api/v1")

    @bp.post("/<kind>")
    @refusals(_error)
    def post_items(kind: str) -> Response:
        if kind not in KINDS:
            raise ApiRefusal(404, f"no batch endpoint {kind!r}; there are {', '.join(KINDS)}")
        key = authorise(intake.engine, presented_key())
        body = _body.json_body()
        for named in _body.named_sources(body):
            check_source(key, named)
        items = _body.items_of(body, fields=intake.fields(kind))
        _body.check_crs(body, items)
        crs = body.get("crs")
        result, outcomes = intake.run(
            key, kind, items, crs=str(crs) if crs else None, via=f"POST /api/v1/{kind}"
        )
        return answer(_report(kind, key.source, items, result, outcomes))

    return bp


def _report(
    kind: str, source: str, items: list[dict[str, object]], result: JobResult, outcomes: list[ItemOutcome]
) -> dict[str, object]:
    """The job's counts and each item's outcome (named by its ticket), in the order sent."""
    name = KINDS[kind]
    counts = {"items": result.read, "inserted": result.inserted, "updated": result.updated}
    counts |= {"unchanged": result.unchanged, "quarantined": result.quarantined}
    answers = [
        {"index": o.index, name: _text(items[o.index].get(name)), "outcome": o.outcome}
        | ({"reason": o.reason} if o.reason else {})
        for o in outcomes
    ]
    return {"run_id": result.run_id, "source": source, "counts": counts, "items": answers}


def _text(value: object) -> str | None:
    return None if value is None else str(value)
