"""Address geocoding against the building gazetteer (normalise → parse → match in scope)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ingest.placing import Geocoder


def geocoder_for(conn: Connection) -> Geocoder:
    from ingest.geocode.matcher import AddressMatcher

    return AddressMatcher.load(conn)
