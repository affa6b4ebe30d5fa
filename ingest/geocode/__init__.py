"""Address geocoding against the building gazetteer (normalise → parse → match in scope)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from geo.district_file import district_table
from ingest.placing import Geocoder

if TYPE_CHECKING:
    from ingest.geocode.gazetteer import Aliases


def district_aliases(district_file: Path) -> Aliases:
    """The old street names of the district file's ``[geocoding] street_aliases`` CSV (a path
    relative to the district file), or none."""
    from ingest.geocode.gazetteer import read_aliases

    name = district_table(district_file, "geocoding").get("street_aliases")
    return read_aliases(district_file.parent / str(name)) if name else {}


def geocoder_for(conn: Connection, *, aliases: Aliases | None = None) -> Geocoder:
    """The address matcher over the current gazetteer (``aliases``: the district's old street names)."""
    from ingest.geocode.matcher import AddressMatcher

    return AddressMatcher.load(conn, aliases=aliases)


def geocoder_factory(aliases: Aliases) -> Callable[[Connection], Geocoder]:
    """A ``geocoder_factory`` for ingest jobs that knows the district's old street names."""
    return lambda conn: geocoder_for(conn, aliases=aliases)
