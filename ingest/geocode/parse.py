"""A normalised address → its levels: street, community, compound text, building number.

Levels are read left to right, as Chinese addresses are written, each by the longest known
name at that point; the compound may be misspelt, so its text is kept for fuzzy ranking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.geocode.gazetteer import Gazetteer

_BUILDING = re.compile(r"(\d+)(?:号楼|号院|栋|幢|座|号|楼)")
_TAIL = re.compile(r"\d+单元.*$|\d+室.*$|\d+层.*$")


@dataclass(frozen=True)
class ParsedAddress:
    street: int | None
    communities: tuple[int, ...]  # ids of the community named (several if the name repeats)
    compound_text: str  # what stands between the community and the building number
    compound: str | None  # a known compound name found verbatim
    number: str | None
    streets: frozenset[int] = frozenset()  # the streets named: a current one, or an old name's successors


def _longest_prefix(text: str, names: dict[str, object], *, max_len: int = 16) -> str | None:
    for n in range(min(max_len, len(text)), 1, -1):
        if text[:n] in names:
            return text[:n]
    return None


def parse_address(text: str, g: Gazetteer) -> ParsedAddress:
    streets, rest = _streets(text, g)
    street = next(iter(streets)) if len(streets) == 1 else None
    community_name = _longest_prefix(rest, g.communities)  # type: ignore[arg-type]
    communities = tuple(g.communities[community_name]) if community_name else ()
    rest = rest[len(community_name) :] if community_name else rest
    rest = _TAIL.sub("", rest)
    match = _BUILDING.search(rest)
    compound_text = rest[: match.start()] if match else rest
    number = match.group(1) if match else None
    compound = compound_text if compound_text in g.compounds else None
    return ParsedAddress(street, communities, compound_text, compound, number, streets)


def _streets(text: str, g: Gazetteer) -> tuple[frozenset[int], str]:
    """The streets a current or old street name at the start names, and the text after it."""
    current = _longest_prefix(text, g.streets)  # type: ignore[arg-type]
    if current:
        return frozenset({g.streets[current]}), text[len(current) :]
    old = _longest_prefix(text, g.aliases)  # type: ignore[arg-type]
    return (g.aliases[old], text[len(old) :]) if old else (frozenset(), text)
