"""Service-point types (服务点). Each registers itself; planners' pages are built from this."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from geo.district_file import district_table
from geo.errors import ConfigError
from geo.populations import POPULATIONS


@dataclass(frozen=True)
class ServiceType:
    key: str  # set by the registry (or the settings file's table name), not by [service_types.KEY]
    zh: str
    en: str
    opening_hours: str
    walk_minutes: int  # the "15-minute life circle" style threshold planners start from
    # the units that should each have a point of their own ("street", "community", "village")
    levels: tuple[str, ...] = ()
    serves: str = "residents"  # who it serves: a key of geo.populations.POPULATIONS
    # a point's staff should serve no more people than this each (None: no norm; points are
    # then flagged against their type's median: layers/service_load.py)
    people_per_staff: int | None = None


LEVELS = ("street", "community", "village")
SERVICE_TYPES: dict[str, ServiceType] = {}


def register(service_type: ServiceType) -> ServiceType:
    if service_type.key in SERVICE_TYPES:
        raise ValueError(f"service type {service_type.key!r} registered twice")
    SERVICE_TYPES[service_type.key] = service_type
    return service_type


# levels: seed 004 (a point in every street, community and village), 新时代文明实践所 per street and
# 站 per community and village, 便民服务窗口 per street; the others have no such rule.
# serves: employment points serve the working-age, elder care and senior colleges those over 60.
_BUILT_IN = (
    ServiceType("employment", "就业社保服务点", "Employment & social security", "08:30-17:30", 15, LEVELS, "working_age"),
    ServiceType("civilisation", "新时代文明实践站", "Civilisation practice station", "09:00-17:00", 15, LEVELS),
    ServiceType("elder_care", "助老服务站", "Elder-care station", "08:00-18:00", 10, serves="aged_60_plus"),
    ServiceType("youth_school", "青年夜校", "Youth night school", "18:00-22:00", 15, serves="youth"),
    ServiceType("senior_college", "老年大学分校", "Senior college branch", "08:30-16:30", 20, serves="aged_60_plus"),
    ServiceType("service_window", "便民服务窗口", "Citizen service window", "08:30-17:30", 15, ("street",)),
)  # fmt: skip
for _t in _BUILT_IN:
    register(_t)


def service_types_from_file(path: Path) -> dict[str, ServiceType]:
    """The built-in types plus the ``[service_types.KEY]`` tables of the district settings file:
    a district adds a type (or changes a threshold) there, with no code."""
    table = district_table(path, "service_types")
    types = dict(SERVICE_TYPES)
    for key, spec in table.items():
        base = types.get(key, ServiceType(key, key, key, "", 15))
        try:
            types[key] = replace(base, **spec)
        except TypeError:
            raise ConfigError(
                f"{path}: [service_types.{key}] may set zh, en, opening_hours, walk_minutes, levels, serves "
                "and people_per_staff only"
            ) from None
        if not isinstance(types[key].walk_minutes, int) or types[key].walk_minutes <= 0:
            raise ConfigError(f"{path}: [service_types.{key}] walk_minutes must be a positive whole number")
        levels = types[key].levels
        if not isinstance(levels, list | tuple) or not set(levels) <= set(LEVELS):
            raise ConfigError(f"{path}: [service_types.{key}] levels must be a list of {', '.join(LEVELS)}")
        types[key] = replace(types[key], levels=tuple(levels))
        _check_load(path, types[key])
    return types


def _check_load(path: Path, t: ServiceType) -> None:
    if t.serves not in POPULATIONS:
        raise ConfigError(f"{path}: [service_types.{t.key}] serves must be one of {', '.join(POPULATIONS)}")
    norm = t.people_per_staff
    if norm is not None and (not isinstance(norm, int) or isinstance(norm, bool) or norm <= 0):
        raise ConfigError(f"{path}: [service_types.{t.key}] people_per_staff must be a positive whole number")
