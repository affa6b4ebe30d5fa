"""Buildings that come with a full address only (某省…街道…社区…小区3号楼) get their compound and
building number from it, read by the same parser as incidents' addresses, so the geocoder can
find them. Rows that give compound and number columns keep them."""

from __future__ import annotations

import pandas as pd

from ingest.geocode.gazetteer import Gazetteer
from ingest.geocode.normalise import canonical
from ingest.geocode.parse import parse_address
from ingest.kinds import JobContext

SAMPLES = 20  # building ids listed in the run's report when an address gave no number


def _parts(address: str, places: Gazetteer) -> tuple[str | None, str | None]:
    rest, foreign = places.region.strip(canonical(address))
    if foreign:
        return None, None
    parsed = parse_address(rest, places)
    compound = parsed.compound_text or (
        places.community_name[parsed.communities[0]] if parsed.communities else ""
    )
    return (compound or None), parsed.number


def fill_from_address(out: pd.DataFrame, ctx: JobContext) -> None:
    """Compound and number parsed from ``address`` where the file gave none; counts in the notes."""
    wanted = out["address"].notna() & (out["compound"].isna() | out["number"].isna())
    if not wanted.any():
        return
    places = Gazetteer.load_places(ctx.conn)
    parts = out.loc[wanted, "address"].map(lambda a: _parts(str(a), places))
    compound = parts.map(lambda p: p[0])
    number = parts.map(lambda p: p[1])
    out.loc[wanted, "compound"] = out.loc[wanted, "compound"].fillna(compound)
    out.loc[wanted, "number"] = out.loc[wanted, "number"].fillna(number)
    got = out.loc[wanted, "compound"].notna() & out.loc[wanted, "number"].notna()
    ctx.notes["compound and number read from the address"] += int(got.sum())
    _report_missing(out.loc[wanted][~got], ctx)


def _report_missing(rows: pd.DataFrame, ctx: JobContext) -> None:
    if rows.empty:
        return
    ctx.notes["address gave no compound or building number (the geocoder cannot find these)"] += len(rows)
    listed = ctx.report.setdefault("buildings without compound or number", [])
    assert isinstance(listed, list)
    room = SAMPLES - len(listed)
    listed += [f"{i}: {a}" for i, a in zip(rows["source_id"], rows["address"], strict=True)][: max(room, 0)]
