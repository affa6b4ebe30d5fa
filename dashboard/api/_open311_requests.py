"""Reading service requests for Open311's GET endpoints: a key's own source only, filtered by
id, service code, dates and status, a page at a time; never a phone number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard.api.errors import ApiRefusal
from geo.vocabulary import Vocabulary

DEFAULT_DAYS = 90  # without ids or dates: the last 90 days, as the spec says
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
STATUSES = ("open", "closed")

_SELECT = """
SELECT source_id, category, description, status, reported_at, deadline_at, raw_address, department,
       greatest(reported_at, registered_at, dispatched_at, handled_at, verified_at, closed_at) AS updated_at,
       ST_X(geom) AS lon, ST_Y(geom) AS lat
FROM incident
WHERE source = :source
  AND (CAST(:ids AS text[]) IS NULL OR source_id = ANY(CAST(:ids AS text[])))
  AND (CAST(:codes AS text[]) IS NULL OR category = ANY(CAST(:codes AS text[])))
  AND (CAST(:start AS timestamptz) IS NULL OR reported_at >= CAST(:start AS timestamptz))
  AND (CAST(:end AS timestamptz) IS NULL OR reported_at <= CAST(:end AS timestamptz))
  AND (CAST(:closed AS boolean) IS NULL OR (closed_at IS NOT NULL) = CAST(:closed AS boolean))
ORDER BY reported_at DESC, source_id
LIMIT :limit OFFSET :offset"""


@dataclass(frozen=True)
class Query:
    ids: list[str] | None = None
    codes: list[str] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    closed: bool | None = None
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, now: dt.datetime) -> Query:
        ids = _listed(args.get("service_request_id"))
        start, end = _when(args, "start_date"), _when(args, "end_date")
        if ids is None and start is None and end is None:
            start = now - dt.timedelta(days=DEFAULT_DAYS)
        return cls(
            ids=ids,
            codes=_listed(args.get("service_code")),
            start=start,
            end=end,
            closed=_status(args.get("status")),
            page=_whole(args, "page", 1, limit=None),
            page_size=_whole(args, "page_size", PAGE_SIZE, limit=MAX_PAGE_SIZE),
        )


def _listed(raw: str | None) -> list[str] | None:
    values = [v.strip() for v in (raw or "").split(",") if v.strip()]
    return values or None


def _when(args: Mapping[str, str], name: str) -> dt.datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiRefusal(
            400, f"{name}={raw!r} is not a W3C date-time, e.g. 2026-12-01T08:00:00+08:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _status(raw: str | None) -> bool | None:
    wanted = set(_listed(raw) or STATUSES)
    if not wanted <= set(STATUSES):
        raise ApiRefusal(400, f"status={raw!r}: use open, closed or open,closed")
    return None if wanted == set(STATUSES) else wanted == {"closed"}


def _whole(args: Mapping[str, str], name: str, default: int, *, limit: int | None) -> int:
    raw = args.get(name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) == 0 or (limit is not None and int(raw) > limit):
        bound = f" up to {limit}" if limit else ""
        raise ApiRefusal(400, f"{name}={raw!r} must be a whole number from 1{bound}")
    return int(raw)


def find(conn: Connection, source: str, query: Query) -> list[Mapping[str, Any]]:
    params = {
        "source": source,
        "ids": query.ids,
        "codes": query.codes,
        "start": query.start,
        "end": query.end,
        "closed": query.closed,
        "limit": query.page_size,
        "offset": (query.page - 1) * query.page_size,
    }
    return [dict(row._mapping) for row in conn.execute(sa.text(_SELECT), params)]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def as_open311(row: Mapping[str, Any], vocabulary: Vocabulary) -> dict[str, object]:
    """One service request as Open311 shows it (no phone number, no reporter)."""
    return {
        "service_request_id": row["source_id"],
        "status": "closed" if row["status"] == "closed" else "open",
        "status_notes": row["status"],
        "service_name": vocabulary.label(row["category"]),
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["department"],  # 承办单位, from the case's 派遣 step
        "service_notice": None,
        "requested_datetime": _iso(row["reported_at"]),
        "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": _iso(row["deadline_at"]),
        "address": row["raw_address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": None,
    }
