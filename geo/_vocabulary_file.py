"""Reading and checking the ``[categories.KEY]`` and ``[inspection_kinds.KEY]`` tables of the
district settings file. Every mistake is a ConfigError that names the table and what to write."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from geo.categories import Category
from geo.errors import ConfigError
from geo.inspection_kinds import InspectionKind
from geo.sla import Deadline

_KEY = re.compile(r"^[\w-]{1,40}$")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_CATEGORY_FIELDS = ("zh", "en", "deadline", "colour", "aliases")
_KIND_FIELDS = ("zh", "en", "interval_days", "checks", "aliases")


def read_categories(
    path: Path, tables: Mapping[str, Any], builtins: Mapping[str, Category], palette: tuple[str, ...]
) -> dict[str, Category]:
    """The built-in categories changed and extended by ``tables`` (the file's ``[categories]``)."""
    out = dict(builtins)
    colours = _free_colours(palette, {c.colour.lower() for c in builtins.values()})
    for key, raw in tables.items():
        where = f"{path}: [categories.{_shown(key)}]"
        spec = _spec(where, key, raw, _CATEGORY_FIELDS, example='zh = "噪音扰民"')
        base = out.get(key)
        zh = _text(where, spec, "zh", base.zh if base else None, example='zh = "噪音扰民"')
        out[key] = Category(
            key=key,
            zh=zh,
            en=_text(
                where, spec, "en", base.en if base else (key if key.isascii() else zh), example='en = "Noise"'
            ),
            deadline=_deadline(where, spec, base.deadline if base else ""),
            colour=_colour(where, spec, base.colour if base else next(colours)),
            aliases=_texts(
                where, spec, "aliases", base.aliases if base else (), example='aliases = ["噪声", "扰民"]'
            ),
        )
    _check_names(path, "categories", {k: c.names for k, c in out.items()})
    return out


def read_kinds(
    path: Path, tables: Mapping[str, Any], builtins: Mapping[str, InspectionKind]
) -> dict[str, InspectionKind]:
    """The built-in inspection kinds changed and extended by ``tables`` (``[inspection_kinds]``)."""
    out = dict(builtins)
    for key, raw in tables.items():
        where = f"{path}: [inspection_kinds.{_shown(key)}]"
        spec = _spec(where, key, raw, _KIND_FIELDS, example='zh = "加油站"')
        base = out.get(key)
        zh = _text(where, spec, "zh", base.zh if base else None, example='zh = "加油站"')
        out[key] = InspectionKind(
            key=key,
            zh=zh,
            en=_text(
                where,
                spec,
                "en",
                base.en if base else (key if key.isascii() else zh),
                example='en = "Petrol station"',
            ),
            interval_days=_days(where, spec, base.interval_days if base else None),
            checks=_texts(
                where,
                spec,
                "checks",
                base.checks if base else (),
                example='checks = ["消防器材", "油气回收"]',
            ),
            aliases=_texts(
                where, spec, "aliases", base.aliases if base else (), example='aliases = ["加油点"]'
            ),
        )
    names = {
        k: (k.lower(), kind.zh, kind.en.lower(), *(a.lower() for a in kind.aliases))
        for k, kind in out.items()
    }
    _check_names(path, "inspection_kinds", names)
    return out


def _shown(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else f'"{key}"'


def _spec(where: str, key: str, raw: Any, known: tuple[str, ...], *, example: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where} must be a table: write the header {where.split(': ')[-1]} and below it {example}"
        )
    if not _KEY.match(key):
        raise ConfigError(f"{where}: a key is letters, digits, _ or - (at most 40), e.g. [categories.noise]")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{where} has unknown keys {unknown}; it may set {', '.join(known)}")
    return raw


def _text(where: str, spec: dict[str, Any], name: str, default: str | None, *, example: str) -> str:
    value = spec.get(name, default)
    if value is None:
        raise ConfigError(f"{where} has no {name} name; write {example}")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} {name} must be a non-empty text; write {example}")
    return value.strip()


def _texts(
    where: str, spec: dict[str, Any], name: str, default: tuple[str, ...], *, example: str
) -> tuple[str, ...]:
    value = spec.get(name, default)
    if isinstance(value, tuple):
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} {name} must be a list of non-empty texts; write {example}")
    return tuple(v.strip() for v in value)


def _deadline(where: str, spec: dict[str, Any], default: str) -> str:
    if "deadline" not in spec:
        return default
    try:
        return str(Deadline.parse(spec["deadline"]))
    except ValueError:
        raise ConfigError(
            f'{where} deadline = {spec["deadline"]!r} is not a deadline; write e.g. deadline = "3wd" '
            '(working days), "16wh" (working hours) or "4h" (hours round the clock)'
        ) from None


def _colour(where: str, spec: dict[str, Any], default: str) -> str:
    value = spec.get("colour", default)
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise ConfigError(f'{where} colour = {value!r} is not a colour; write e.g. colour = "#1b9e77"')
    return value


def _days(where: str, spec: dict[str, Any], default: int | None) -> int:
    value = spec.get("interval_days", default)
    if value is None:
        raise ConfigError(
            f"{where} has no interval_days; write e.g. interval_days = 30 (days between rounds)"
        )
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
        raise ConfigError(
            f"{where} interval_days = {value!r} must be a whole number of days, e.g. interval_days = 30"
        )
    return value


def _free_colours(palette: tuple[str, ...], used: set[str]) -> Iterator[str]:
    """Palette colours no built-in uses, then the palette again (more categories than colours)."""
    while True:
        yield from (c for c in palette if c.lower() not in used)
        used = set()


def _check_names(path: Path, table: str, names: Mapping[str, tuple[str, ...]]) -> None:
    """No key, label or alias may name two entries: a row would go to whichever came first."""
    owner: dict[str, str] = {}
    for key, texts in names.items():
        for text in dict.fromkeys(texts):
            other = owner.setdefault(text, key)
            if other != key:
                raise ConfigError(
                    f'{path}: "{text}" names both [{table}.{_shown(other)}] and [{table}.{_shown(key)}]; '
                    "keep it in one table's aliases (to take a built-in alias away, write that table's "
                    "aliases list without it)"
                )
