"""Addresses as residents and call-takers really write them, made from known buildings.

Used to measure the geocoder: each noisy address keeps the id of the building it came from.
Noise: prefixes, old street names, missing levels, typos in compound names, Chinese
numerals, other building words, unit/room tails, full-width digits and stray spaces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.demo._reference import ALIASES_CSV
from ingest.geocode.gazetteer import read_aliases, short_name

_PREFIX = ("", "", "大同市", "平城区", "山西省大同市平城区", "大同市平城区")
_MARK = ("号楼", "栋", "幢", "号楼", "号")
_TAIL = ("", "", "", "2单元301室", "1单元", "门口", "附近", "3单元502")
_TYPO = "和合华花园元源城诚家佳嘉新心安鞍"
_CN = "零一二三四五六七八九"
_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")


def _typo(name: str, rng: np.random.Generator, taken: frozenset[str]) -> str:
    """One plausible slip in a compound name longer than three characters. A slip that spells
    another real compound is not noise but a different address, so it is not made."""
    if len(name) <= 3:
        return name
    i = int(rng.integers(1, len(name)))
    if rng.uniform() < 0.5:
        slip = name[:i] + _TYPO[int(rng.integers(len(_TYPO)))] + name[i + 1 :]
    else:
        slip = name[:i] + name[i + 1 :]
    return name if slip in taken else slip


def _one(
    street: str,
    community: str,
    compound: str,
    number: str,
    village: bool,
    rng: np.random.Generator,
    old_names: dict[str, list[str]],
    taken: frozenset[str],
) -> str:
    u = rng.uniform(size=8)
    if u[0] < 0.15 and old_names.get(street):
        street = old_names[street][int(rng.integers(len(old_names[street])))]
    elif u[0] < 0.3:
        street = ""
    if u[1] < 0.15 and not village:
        community = ""
    if not village and u[2] < 0.15:
        compound = _typo(compound, rng, taken)
    n = int(number)
    digits = (
        _cn_number(n) if u[3] < 0.25 and n < 100 else (number.translate(_WIDE) if u[3] < 0.35 else number)
    )
    mark = "号院" if village and u[4] < 0.5 else _MARK[int(rng.integers(len(_MARK)))]
    place = "" if village else compound
    text = f"{_PREFIX[int(rng.integers(len(_PREFIX)))]}{street}{community}{place}{digits}{mark}{_TAIL[int(rng.integers(len(_TAIL)))]}"
    return text.replace(community, community + " ") if u[5] < 0.1 and community else text


def noisy_addresses(buildings: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` noisy addresses; ``buildings`` needs id, street, community, compound, number, village."""
    old_names: dict[str, list[str]] = {}
    for alias, streets in read_aliases(ALIASES_CSV).items():
        for street in streets:  # an old name written for a building in any of its successors
            old_names.setdefault(street, []).append(alias)
    pick = buildings.iloc[rng.integers(0, len(buildings), size=n)]
    taken = frozenset(buildings.compound)
    text = [
        _one(s, short_name(c), p, str(num), bool(v), rng, old_names, taken)
        for s, c, p, num, v in zip(
            pick.street, pick.community, pick.compound, pick.number, pick.village, strict=True
        )
    ]
    return pd.DataFrame({"address": text, "building_id": pick.id.to_numpy()})
