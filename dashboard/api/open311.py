"""Open311 GeoReport v2 under ``/open311/v2/``, in JSON (``….json``) or XML (``….xml``; see
README: Intake API).

- ``GET services.json``: the district's incident categories (``geo/vocabulary.py``); open.
- ``POST requests.json`` (form-encoded): ``api_key``, ``service_code``, ``lat`` + ``long`` (WGS-84,
  or ``attribute[crs]``) or ``address_string``, ``description``, ``phone``,
  ``requested_datetime``, ``attribute[ticket]`` (the source's own ticket number, 工单编号). Without
  a ticket, the id is a digest of the request, so a resent POST changes nothing. 201 when new,
  200 when the request was already there.
- ``GET requests.json`` and ``GET requests/{id}.json``: the key's own source's requests,
  without phone numbers (filters ``service_request_id``, ``service_code``, ``start_date``,
  ``end_date``, ``status``; ``page`` / ``page_size`` up to 1000).

Errors are Open311's ``[{"code": …, "description": …}]`` (``<errors><error><code>…``) with the
same HTTP status, in the format the path asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, request

from dashboard.api._open311_requests import Query, as_open311, find
from dashboard.api._xml import as_xml
from dashboard.api.errors import ApiRefusal
from dashboard.api.intake import Intake
from dashboard.api.keys import authorise, presented_key
from dashboard.api.responses import answer, finish, refusals
from geo.api_keys import SourceKey

NAME = "open311"
TZ = dt.timezone(dt.timedelta(hours=8))
MAX_FORM_BYTES = 1024 * 1024
TICKET = "attribute[ticket]"
CRS = "attribute[crs]"
FORMAT = "<any(json, xml):fmt>"  # each path ends .json or .xml
# the XML root and item elements of each kind of answer
SERVICES, REQUESTS, ERRORS = ("services", "service"), ("service_requests", "request"), ("errors", "error")


def _error(status: int, message: str) -> list[dict[str, object]]:
    return [{"code": status, "description": message}]


def _reply(
    payload: list[dict[str, object]],
    status: int = 200,
    *,
    names: tuple[str, str] = REQUESTS,
    retry_after: int | None = None,
) -> Response:
    """JSON, or Open311's XML when the path ends ``.xml`` (``names``: its root and item)."""
    if (request.view_args or {}).get("fmt") != "xml":
        return answer(payload, status, retry_after=retry_after)
    body = as_xml(payload, root=names[0], item=names[1])
    return finish(Response(body, mimetype="application/xml"), status, retry_after=retry_after)


def _errors(
    payload: list[dict[str, object]], status: int = 200, *, retry_after: int | None = None
) -> Response:
    return _reply(payload, status, names=ERRORS, retry_after=retry_after)


def open311_blueprint(intake: Intake) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix="/open311/v2")

    @bp.get(f"/services.{FORMAT}")
    @refusals(_error, render=_errors)
    def services(fmt: str) -> Response:
        return _reply([_service(c) for c in intake.vocabulary.categories.values()], names=SERVICES)

    @bp.post(f"/requests.{FORMAT}")
    @refusals(_error, render=_errors)
    def post_request(fmt: str) -> Response:
        if (request.content_length or 0) > MAX_FORM_BYTES:
            raise ApiRefusal(413, "the request is over 1 MiB; send one service request per POST")
        key = authorise(intake.engine, presented_key(allow_param=True))
        return _post(intake, key)

    @bp.get(f"/requests.{FORMAT}")
    @refusals(_error, render=_errors)
    def get_requests(fmt: str) -> Response:
        key = authorise(intake.engine, presented_key(allow_param=True))
        query = Query.from_args(request.args, now=dt.datetime.now(TZ))
        with intake.engine.connect() as conn:
            rows = find(conn, key.source, query)
        return _reply([as_open311(r, intake.vocabulary) for r in rows])

    @bp.get(f"/requests/<request_id>.{FORMAT}")
    @refusals(_error, render=_errors)
    def get_request(request_id: str, fmt: str) -> Response:
        key = authorise(intake.engine, presented_key(allow_param=True))
        with intake.engine.connect() as conn:
            rows = find(conn, key.source, Query(ids=[request_id]))
        if not rows:
            raise ApiRefusal(404, f"no service request {request_id!r} from source {key.source!r}")
        return _reply([as_open311(rows[0], intake.vocabulary)])

    return bp


def _service(category: Any) -> dict[str, object]:
    return {
        "service_code": category.key,
        "service_name": category.zh,
        "description": category.en,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(category.aliases),
        "group": None,
    }


def _post(intake: Intake, key: SourceKey) -> Response:
    form = request.form
    code = (form.get("service_code") or "").strip()
    if not code:
        raise ApiRefusal(400, "service_code is required; GET services.json lists them")
    if code not in intake.vocabulary.categories:
        raise ApiRefusal(400, f"service_code {code!r} is not one of GET services.json")
    item = _item(form, code)
    item["reported_at"] = form.get("requested_datetime") or _first_seen(intake, key, str(item["source_id"]))
    crs = form.get(CRS) or ("wgs84" if "lat" in item else None)
    _result, (outcome,) = intake.run(key, "incidents", [item], crs=crs, via=f"POST {request.path}")
    if outcome.outcome == "quarantined":
        raise ApiRefusal(400, f"the request was not accepted: {outcome.reason}")
    status = 201 if outcome.outcome == "inserted" else 200
    return _reply(
        [{"service_request_id": item["source_id"], "service_notice": None, "account_id": None}], status
    )


def _item(form: Any, code: str) -> dict[str, object]:
    lat, lon, address = form.get("lat"), form.get("long"), form.get("address_string")
    if not ((lat and lon) or address):
        raise ApiRefusal(400, "a location is required: lat and long, or address_string")
    item: dict[str, object] = {"source_id": form.get(TICKET) or _digest(form), "category": code}
    if lat and lon:
        item |= {"lat": lat, "lon": lon}
    if address:
        item["address"] = address
    for field, name in (("description", "description"), ("reporter_phone", "phone")):
        if form.get(name):
            item[field] = form.get(name)
    return item


def _digest(form: Any) -> str:
    """An id made of what was sent (but the key): the same POST again gets the same id."""
    fields = sorted((k, v) for k, v in form.items(multi=True) if k != "api_key")
    return "o311-" + hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:24]


def _first_seen(intake: Intake, key: SourceKey, source_id: str) -> str:
    """Without requested_datetime: when the request first arrived (now, or the earlier time a
    resent request was stored with)."""
    with intake.engine.connect() as conn:
        known = conn.execute(
            sa.text("SELECT reported_at FROM incident WHERE source = :s AND source_id = :i"),
            {"s": key.source, "i": source_id},
        ).scalar()
    return (known or dt.datetime.now(TZ)).isoformat()
