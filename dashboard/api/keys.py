"""Which source a request writes: its API key, checked and throttled (``geo/api_keys.py``).

A key comes in ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` (Open311 clients also send it
as the ``api_key`` parameter). The pages' session cookie counts for nothing here.
"""

from __future__ import annotations

from flask import request
from sqlalchemy.engine import Engine

from dashboard.api.errors import ApiRefusal
from geo import api_keys
from geo.api_keys import SourceKey
from geo.users import audit

THROTTLED_ACTION = "api.throttled"  # audited when a key's requests begin to be turned away


def presented_key(*, allow_param: bool = False) -> str | None:
    """The key the request carries, if any."""
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    header = request.headers.get("X-API-Key", "").strip()
    if header:
        return header
    if allow_param:
        value = request.form.get("api_key") or request.args.get("api_key")
        return value.strip() if value else None
    return None


def authorise(engine: Engine, key: str | None) -> SourceKey:
    """The live key ``key`` is, with one request taken from its bucket; else ApiRefusal
    (401 no key, 403 unknown or revoked, 429 throttled: counted on the key, and audited when
    the key's requests begin to be turned away)."""
    if not key:
        raise ApiRefusal(401, "an API key is required: send it as 'Authorization: Bearer KEY' or api_key")
    with engine.begin() as conn:
        found = api_keys.lookup(conn, key)
        if found is None:
            raise ApiRefusal(
                403, "this API key is not valid; ask the administrator for one (gridgov sources add)"
            )
        if not found.live:
            raise ApiRefusal(403, f"the API key of source {found.source!r} was revoked; ask for a new one")
        refused = api_keys.admit(conn, found.id)
        if refused is not None and refused.first:  # once per run of refusals; the key counts them all
            detail = {"source": found.source, "per_minute": found.per_minute, "burst": found.burst}
            audit(conn, f"api:{found.source}", THROTTLED_ACTION, detail)
    if refused is not None:
        raise ApiRefusal(
            429,
            f"too many requests for source {found.source!r} (limit {found.per_minute}/min); "
            f"retry after {refused.retry_after} s",
            retry_after=refused.retry_after,
        )
    return found


def check_source(key: SourceKey, named: object) -> None:
    """A request that names a source must name the key's own (403 otherwise)."""
    if named is not None and str(named) != key.source:
        raise ApiRefusal(403, f"this API key writes only source {key.source!r}, not {str(named)!r}")
