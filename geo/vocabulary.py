"""The district's own vocabulary: incident categories and inspection kinds.

Built once from the district settings file (``Settings.district_file``) and passed to what needs
it: ingest (category and kind lookup), the SLA rules, the demo and the dashboard. The built-ins
(:mod:`geo.categories`, :mod:`geo.inspection_kinds`) are the defaults; the file's
``[categories.KEY]`` and ``[inspection_kinds.KEY]`` tables add entries or change built-in ones.
Nothing is registered into a module-level registry: two districts can be served side by side.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geo._vocabulary_file import read_categories, read_kinds
from geo.categories import CATEGORIES, FALLBACK, PALETTE, Category, lookup
from geo.district_file import district_table
from geo.inspection_kinds import INSPECTION_KINDS, InspectionKind, lookup_kind

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# pieces of text too common in category names to say two are related
_GENERIC = frozenset(
    {"管理", "服务", "问题", "事件", "投诉", "反映", "城市", "社区", "其他", "其它", "综合", "相关"}
)


@dataclass(frozen=True)
class Vocabulary:
    categories: Mapping[str, Category] = field(default_factory=lambda: CATEGORIES)
    inspection_kinds: Mapping[str, InspectionKind] = field(default_factory=lambda: INSPECTION_KINDS)
    declared: frozenset[str] = frozenset()  # categories with a table in the file
    file_deadlines: frozenset[str] = frozenset()  # categories whose table sets a deadline

    @classmethod
    def from_file(cls, path: Path) -> Vocabulary:
        """The built-ins changed and extended by the file's tables (ConfigError says what to fix)."""
        tables = district_table(path, "categories")
        categories = read_categories(path, tables, CATEGORIES, PALETTE)
        kinds = read_kinds(path, district_table(path, "inspection_kinds"), INSPECTION_KINDS)
        deadlines = frozenset(
            k for k, spec in tables.items() if isinstance(spec, dict) and "deadline" in spec
        )
        return cls(categories, kinds, frozenset(tables), deadlines)

    def category(self, text: str) -> Category | None:
        """The category ``text`` names (key, label, alias, or a text containing one), if any."""
        return lookup(text, self.categories)

    def kind(self, text: str) -> str | None:
        """The key of the inspection kind ``text`` names, if any."""
        return lookup_kind(text, self.inspection_kinds)

    def label(self, key: str, lang: str = "zh") -> str:
        """A category's name to show (the key itself for one the vocabulary does not know)."""
        category = self.categories.get(key)
        if category is None:
            return key
        return category.en if lang == "en" else category.zh

    def colour(self, key: str) -> str:
        category = self.categories.get(key)
        if category is not None:
            return category.colour
        return PALETTE[sum(key.encode()) % len(PALETTE)]  # stable for a category no longer declared

    def suggestion(self, text: str) -> str:
        """TOML to add to the district file so ``text`` gets a category of its own, and, when an
        existing category looks related, the alias line that would file it there instead."""
        key = _key_for(text, taken={n for c in self.categories.values() for n in c.names})
        deadline = self.categories[FALLBACK].deadline or "5wd"
        block = [f"[categories.{key}]", f"zh = {_toml(text.strip())}", f"deadline = {_toml(deadline)}"]
        related = self._related(text)
        if related is None:
            return "\n".join(block)
        aliases = ", ".join(_toml(a) for a in (*related.aliases, text.strip()))
        table = f"[categories.{_bare(related.key)}]"
        where = f"in its {table} table" if related.key in self.declared else table
        return "\n".join(
            [
                *block,
                f"# or, if it is a kind of {related.zh} ({related.key}), instead:",
                f"# {where}",
                f"# aliases = [{aliases}]",
            ]
        )

    def _related(self, text: str) -> Category | None:
        """The one category sharing most two-character pieces with ``text`` (not "other"; None
        when none shares any, or two share as many)."""
        pieces = {text[i : i + 2] for i in range(len(text) - 1)} - _GENERIC
        scores = sorted(
            (
                (sum(1 for p in pieces if any(p in n for n in (c.zh, *c.aliases))), c)
                for c in self.categories.values()
                if c.key != FALLBACK
            ),
            key=lambda sc: -sc[0],
        )
        if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[1][0] == scores[0][0]):
            return None
        return scores[0][1]


def _key_for(text: str, *, taken: set[str]) -> str:
    """A table key for a new category named ``text``: its words joined by "_" (a number added
    if that already names a category), quoted if need be."""
    key = "_".join(re.findall(r"\w+", text))[:36] or "new_category"
    stem, n = key, 1
    while key.lower() in taken:
        n += 1
        key = f"{stem}_{n}"
    return _bare(key)


def _bare(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml(key)


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)
