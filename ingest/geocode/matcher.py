"""Match parsed addresses against the gazetteer: scope first, then fuzzy ranking inside it.

Precision beats recall (a wrong building sends the wrong grid worker): the building number
must match exactly inside one resolved compound; fuzzy scores only choose the compound
within the resolved community or street, and only when the best clearly beats the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from sqlalchemy.engine import Connection

from ingest.geocode.gazetteer import Aliases, Gazetteer, Point
from ingest.geocode.normalise import canonical, chinese_number
from ingest.geocode.parse import ParsedAddress, parse_address

THRESHOLD = 0.8  # scores below this are quarantined
LEVEL_SCORE = {"building": 1.0, "compound": 0.85, "community": 0.6, "street": 0.4}
FUZZY_MIN = 75.0  # rapidfuzz ratio a misspelt compound must reach …
FUZZY_MARGIN = 8.0  # … and by how much it must beat the runner-up
_NUMERALS = re.compile(r"[零〇一二两三四五六七八九十百]+")
_DIGITS = re.compile(r"\d+")
_SIDES = re.compile(r"[东西南北中]区")


def compatible(text: str, name: str) -> bool:
    """May a misspelt ``text`` mean compound ``name``? Phase numbers must agree exactly (a lost
    期 can merge a phase into the building number); a side (东区 …) may be missing, not different;
    a 期 or 区 in the text must be in the name too."""
    if any(mark in text and mark not in name for mark in ("期", "区")):
        return False
    digits = _NUMERALS.sub(lambda m: str(chinese_number(m.group(0))), text)
    same_phase = _DIGITS.findall(digits) == _DIGITS.findall(name)
    return same_phase and set(_SIDES.findall(digits)) <= set(_SIDES.findall(name))


def _tied(text: str, best: str, names: list[str]) -> bool:
    """Is another name as few typing edits from ``text`` as ``best``? The ratio counts a wrong
    character twice and a missing one once, so "桑干华西区" (府 mistyped) ranks 桑干华庭西区 (庭
    left out) far above 桑干府西区, though each is one edit away: such a tie is not a match."""
    edits = Levenshtein.distance(text, best)
    return any(name != best and Levenshtein.distance(text, name) <= edits for name in names)


@dataclass(frozen=True)
class Match:
    point: Point | None
    level: str | None
    score: float
    candidates: tuple[str, ...] = ()
    foreign: str | None = None  # another district, prefecture or province the address names

    def reason(self) -> str | None:
        if self.foreign is not None:
            return f"地址属于其他行政区「{self.foreign}」 (address names another district: {self.foreign}; not matched here)"
        if self.point is not None and self.score >= THRESHOLD:
            return None
        best = f"最接近 closest: {'; '.join(self.candidates)}" if self.candidates else "无候选 no candidate"
        level = self.level or "none"
        return (
            f"地址无法可靠定位 (address not matched reliably: level {level}, score {self.score:.2f}); {best}"
        )


@dataclass
class AddressMatcher:
    gazetteer: Gazetteer
    cache: dict[str, Match] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection, *, aliases: Aliases | None = None) -> AddressMatcher:
        return cls(Gazetteer.load(conn, aliases=aliases))

    def match(self, address: str) -> Match:
        key = canonical(address)
        if key not in self.cache:
            g = self.gazetteer
            rest, foreign = g.region.strip(key)
            self.cache[key] = (
                Match(None, None, 0.0, foreign=foreign) if foreign else self._match(parse_address(rest, g))
            )
        return self.cache[key]

    def locate(self, addresses: pd.Series) -> pd.DataFrame:
        """The ``Geocoder`` protocol: one row per address, points only above the threshold."""
        matches = [self.match(a) if isinstance(a, str) else Match(None, None, 0.0) for a in addresses]
        ok = [m.reason() is None for m in matches]
        xy = np.array(
            [m.point if good and m.point else (np.nan, np.nan) for m, good in zip(matches, ok, strict=True)]
        )
        points = shapely.points(xy.reshape(-1, 2))
        points[~np.array(ok, dtype=bool)] = None
        return pd.DataFrame(
            {
                "geom": points,
                "match_level": [m.level if g else None for m, g in zip(matches, ok, strict=True)],
                "match_score": [round(m.score, 3) if g else None for m, g in zip(matches, ok, strict=True)],
                "reason": [m.reason() for m in matches],
            },
            index=addresses.index,
        )

    def _match(self, p: ParsedAddress) -> Match:
        g = self.gazetteer
        scope = self._communities_in_scope(p)
        owners, compound, score = self._compound(p, scope)
        if compound is not None and len(owners) == 1:
            (cid,) = owners
            building = g.buildings.get((cid, compound, p.number or ""))
            if building is not None:
                return Match(building[1], "building", score * self._penalty(p, cid))
            return Match(
                g.compound_point[(cid, compound)],
                "compound",
                LEVEL_SCORE["compound"] * score,
                self._near(cid, compound),
            )
        if len(scope) == 1 and p.communities:
            (cid,) = scope
            return Match(
                g.community_point[cid],
                "community",
                LEVEL_SCORE["community"],
                self._near(cid, p.compound_text),
            )
        if p.street is not None:
            return Match(
                g.street_point[p.street], "street", LEVEL_SCORE["street"], self._named(owners, compound)
            )
        return Match(None, None, 0.0, self._named(owners, compound))

    def _named(self, owners: list[int], compound: str | None) -> tuple[str, ...]:
        """Candidates as a clerk reads them: community and compound names, not ids."""
        return tuple(self.gazetteer.community_name[c] + (compound or "") for c in owners)[:3]

    def _communities_in_scope(self, p: ParsedAddress) -> list[int]:
        g = self.gazetteer
        if p.communities:
            return list(p.communities)
        if p.streets:  # a street, or an old street's successors
            return [c for c, s in g.community_street.items() if s in p.streets]
        return list(g.community_street)

    def _compound(self, p: ParsedAddress, scope: list[int]) -> tuple[list[int], str | None, float]:
        """Communities holding the compound, its name and how sure we are of it."""
        g = self.gazetteer
        in_scope = set(scope)
        if p.compound is not None:
            owners = [c for c in g.compounds[p.compound] if c in in_scope]
            if owners:
                return owners, p.compound, 1.0
        if not p.compound_text and len(scope) == 1 and g.community_name[scope[0]] in g.compounds_in[scope[0]]:
            return scope, g.community_name[scope[0]], 1.0  # a village: the compound is the village itself
        if not p.compound_text or len(scope) > 40:
            return [], None, 0.0
        names = sorted(
            {name for c in scope for name in g.compounds_in[c] if compatible(p.compound_text, name)}
        )
        ranked = process.extract(p.compound_text, names, scorer=fuzz.ratio, limit=2)
        if (
            not ranked
            or ranked[0][1] < FUZZY_MIN
            or (len(ranked) > 1 and ranked[0][1] - ranked[1][1] < FUZZY_MARGIN)
        ):
            return [], None, 0.0
        best = ranked[0][0]
        if _tied(p.compound_text, best, names):
            return [], None, 0.0
        confidence = 0.8 + 0.2 * (ranked[0][1] - FUZZY_MIN) / (100.0 - FUZZY_MIN)
        return [c for c in g.compounds[best] if c in in_scope], best, confidence

    def _penalty(self, p: ParsedAddress, cid: int) -> float:
        """A street that disagrees with the community lowers confidence a little."""
        street = self.gazetteer.community_street[cid]
        return 0.95 if p.streets and street not in p.streets else 1.0

    def _near(self, cid: int, text: str) -> tuple[str, ...]:
        g = self.gazetteer
        names = g.compounds_in[cid]
        ranked = (
            process.extract(text, names, scorer=fuzz.ratio, limit=3)
            if text
            else [(n, 0, 0) for n in names[:3]]
        )
        return tuple(f"{g.community_name[cid]}{name}" for name, *_ in ranked)
