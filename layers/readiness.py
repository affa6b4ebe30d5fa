"""What each page needs loaded, what it shows without the optional parts, and the command that
loads each: one registry read by the pages' empty states and by `gridgov status`."""

from __future__ import annotations

from dataclasses import dataclass

from layers.inventory import Presence


@dataclass(frozen=True)
class Need:
    """A kind of data a page reads, and how to load it."""

    key: str  # a boundary level or a kind of layers/inventory.KINDS; "boundaries": every level
    zh: str
    en: str
    command: str

    def held(self, presence: Presence) -> bool:
        if self.key == "boundaries":
            return not presence.missing_levels
        return presence.has(self.key)


NEEDS = {
    need.key: need
    for need in (
        Need("boundaries", "区界及街道、社区/村、网格边界", "district, street, community/village and grid boundaries",
             "gridgov ingest boundaries FILE --level district|street|community|grid"),
        Need("incidents", "事件", "incidents", "gridgov ingest incidents FILE --source NAME"),
        Need("buildings", "楼栋（含户数/人数）", "buildings with households/residents", "gridgov ingest buildings FILE"),
        Need("roads", "步行路网", "walking road network", "gridgov ingest roads FILE"),
        Need("targets", "排查对象", "inspection targets", "gridgov ingest inspection-targets FILE"),
        Need("service_points", "服务点", "service points", "gridgov ingest service-points FILE"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Fallback:
    """Data a page works without, and what it does then."""

    need: str
    without_zh: str
    without_en: str


@dataclass(frozen=True)
class PageNeeds:
    path: str
    shows: str  # what the page shows when everything is loaded
    required: tuple[str, ...]
    optional: tuple[Fallback, ...] = ()


PAGES = {
    "monitor": PageNeeds(
        "/monitor", "KPI tiles, incident map, ranking, alerts, trend, latest incidents",
        ("boundaries", "incidents"),
        (Fallback("buildings", "无每千人事件率", "no incidents per 1,000 residents"),),
    ),
    "map": PageNeeds(
        "/map", "boundaries, incident heat and points, buildings", ("boundaries",),
        (Fallback("incidents", "无事件图层", "no incident layers"), Fallback("buildings", "无楼栋图层", "no building layer")),
    ),
    "inspections": PageNeeds(
        "/inspections", "risk register, round plans, round coverage", ("boundaries", "targets"),
        (Fallback("roads", "路线按直线距离", "routes by straight lines"),),
    ),
    "coverage": PageNeeds(
        "/coverage", "residents covered per service type, gaps, suggested sites",
        ("boundaries", "buildings", "service_points"),
        (Fallback("roads", "按直线距离计算", "straight-line distances"),),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Readiness:
    """A page against what is loaded: what it still needs, and what it does without."""

    page: PageNeeds
    missing: tuple[Need, ...]
    degraded: tuple[Fallback, ...]

    @property
    def ready(self) -> bool:
        return not self.missing


def readiness(page: str, presence: Presence) -> Readiness:
    """``page`` (a key of :data:`PAGES`) against ``presence``."""
    needs = PAGES[page]
    missing = tuple(NEEDS[key] for key in needs.required if not NEEDS[key].held(presence))
    degraded = tuple(o for o in needs.optional if not NEEDS[o.need].held(presence))
    return Readiness(needs, missing, degraded)
