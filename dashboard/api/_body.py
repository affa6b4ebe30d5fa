"""Reading a batch request's JSON body: size limits first, then its shape, item by item."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from flask import request

from dashboard.api.errors import ApiRefusal

MAX_ITEMS = 10_000
MAX_BYTES = 32 * 1024 * 1024  # 10,000 items of ~3 KB each
_SCALARS = (str, int, float, bool, type(None))


def json_body() -> Mapping[str, object]:
    """The request's JSON object (413 when too large, 400 when not JSON or not an object)."""
    if (request.content_length or 0) > MAX_BYTES:
        raise ApiRefusal(
            413, f"the body is over {MAX_BYTES // 2**20} MiB; send at most {MAX_ITEMS:,} items per request"
        )
    data = request.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ApiRefusal(
            413, f"the body is over {MAX_BYTES // 2**20} MiB; send at most {MAX_ITEMS:,} items per request"
        )
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiRefusal(400, f'the body is not valid UTF-8 JSON ({exc}); send {{"items": [...]}}') from None
    if not isinstance(body, dict):
        raise ApiRefusal(400, 'the body must be a JSON object: {"items": [...]}')
    return body


def items_of(body: Mapping[str, object], *, fields: Sequence[str]) -> list[dict[str, object]]:
    """The body's ``items``: 1 to MAX_ITEMS objects whose keys are ``fields`` (or ``source``)
    and whose values are strings, numbers, booleans or null."""
    items = body.get("items")
    if not isinstance(items, list):
        raise ApiRefusal(400, 'the body has no "items" list: send {"items": [{...}, ...]}')
    if not items:
        raise ApiRefusal(400, '"items" is empty: send at least one item')
    if len(items) > MAX_ITEMS:
        raise ApiRefusal(
            413, f"{len(items):,} items: send at most {MAX_ITEMS:,} per request (split the batch)"
        )
    known = set(fields)
    for index, item in enumerate(items):
        _check_item(index, item, known, fields)
    return [{k: v for k, v in item.items() if k != "source"} for item in items]


def _check_item(index: int, item: object, known: set[str], fields: Sequence[str]) -> None:
    if not isinstance(item, dict):
        raise ApiRefusal(400, f"item {index} is not a JSON object")
    unknown = sorted(k for k in item if k not in known and k != "source")
    if unknown:
        raise ApiRefusal(
            400,
            f"item {index}: unknown field(s) {', '.join(map(repr, unknown))}; fields are {', '.join(fields)}",
        )
    nested = sorted(k for k, v in item.items() if not isinstance(v, _SCALARS))
    if nested:
        raise ApiRefusal(
            400, f"item {index}: {', '.join(map(repr, nested))} must be a string, number or null"
        )


SOURCE_FIELDS = (
    "source",
    "incident_source",
)  # what names a source: the body's, an item's, an event's incident


def named_sources(body: Mapping[str, object]) -> set[str]:
    """Every source the body names (top level or in an item; empty values name none)."""
    items = body.get("items")
    found = (
        [i.get(f) for i in items if isinstance(i, dict) for f in SOURCE_FIELDS]
        if isinstance(items, list)
        else []
    )
    found.append(body.get("source"))
    return {str(v) for v in found if v not in (None, "")}


def check_crs(body: Mapping[str, object], items: Sequence[Mapping[str, object]]) -> None:
    """Coordinates need their system: the body's ``crs`` or each item's (400 otherwise)."""
    if body.get("crs") or all(item.get("crs") or "lon" not in item for item in items):
        return
    raise ApiRefusal(
        400,
        'items have lon/lat but no coordinate system: give "crs" in the body or in each item '
        "(wgs84, cgcs2000, gcj02, bd09 or EPSG:n; mini-programs and AMap/Tencent send gcj02, Baidu bd09)",
    )
