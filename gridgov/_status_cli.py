"""``gridgov status``: what the database holds, and what each page is ready to show or still needs."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from geo.db import database_url
from geo.district_names import DistrictNames
from geo.inspection_kinds import INSPECTION_KINDS
from geo.lifecycle import STEPS
from geo.migrate import migrated_engine
from geo.service_types import service_types_from_file
from geo.settings import Settings
from ingest.kinds._topology import topology_report
from layers.identity import Identity, read_identity
from layers.inventory import LEVELS, Inventory, inventory, presence
from layers.network import SMALL_PIECE_SHARE, Network
from layers.readiness import NEEDS, PAGES, Readiness, readiness

_STEP_LABELS = {key: f"{t.zh} {key}" for key, t in STEPS.items()}
_LEVEL_ZH = {"district": "区", "street": "街道", "community": "社区/村", "grid": "网格"}


def add_status_command(sub: Any) -> None:
    status = sub.add_parser(
        "status", help="what is loaded, and what each page is ready to show or still needs"
    )
    status.set_defaults(handler=_status)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    names = DistrictNames.from_file(settings.district_file)
    labels = {key: f"{t.zh} {key}" for key, t in service_types_from_file(settings.district_file).items()}
    with migrated_engine(database_url(settings)) as engine, engine.connect() as conn:
        lines = report(conn, names=names, service_labels=labels)
    print("\n".join(lines))
    return 0


def report(conn: Connection, *, names: DistrictNames, service_labels: Mapping[str, str]) -> list[str]:
    """The status report's lines."""
    identity, counts, loaded = read_identity(conn, names), inventory(conn), presence(conn)
    return [
        _district(identity),
        "",
        "边界 boundaries (current):",
        *(_level(conn, level, counts) for level in LEVELS),
        *_data(counts, service_labels),
        *_pieces(conn, counts),
        "",
        "页面 pages:",
        *(line for page in PAGES for line in _page(readiness(page, loaded))),
    ]


def _district(identity: Identity) -> str:
    if identity.name is None:
        return f"district: none loaded yet. Load: {NEEDS['boundaries'].command}"
    demo = " · the demo district (gridgov demo)" if identity.demo else ""
    return f"district: {identity.name} ({identity.code}) · {identity.name_en} · {identity.centre}{demo}"


def _level(conn: Connection, level: str, counts: Inventory) -> str:
    n = counts.levels.get(level, 0)
    villages = f" ({counts.villages} villages)" if level == "community" and n else ""
    head = f"  {level:<10}{n:>7,} {_LEVEL_ZH[level]}{villages}"
    if not n:
        return f"{head} · none. Load: gridgov ingest boundaries FILE --level {level}"
    return f"{head} · topology: {_topology(topology_report(conn, level=level))}"


def _topology(found: Mapping[str, Any]) -> str:
    """'clean', or the totals of overlaps, gaps inside the parent and parts outside it."""
    words = {"overlaps": "overlaps", "gaps": "gaps in parent", "spills": "outside parent"}
    parts = [
        f"{len(found[key])}{'+' if len(found[key]) == 20 else ''} {word} ({found['totals_m2'][key]:,.0f} m²)"
        for key, word in words.items()
        if found.get(key)
    ]
    return "; ".join(parts) or "clean (no overlaps, gaps or parts outside the parent)"


def _none(key: str) -> str:
    return f"none. Load: {NEEDS[key].command}"


def _counted(counts: Mapping[str, int], labels: Mapping[str, str]) -> str:
    return ", ".join(f"{labels.get(key, key)} {n:,}" for key, n in counts.items())


def _data(c: Inventory, service_labels: Mapping[str, str]) -> list[str]:
    kinds = {key: f"{k.zh} {key}" for key, k in INSPECTION_KINDS.items()}
    sources = ", ".join(f"{s} {n:,} ({o:,} open)" for s, (n, o) in c.incidents.items())
    return [
        "楼栋 buildings: "
        + (f"{c.buildings:,} ({c.households:,} households, {c.residents:,} residents)" if c.buildings else _none("buildings")),
        "路网 roads: " + (f"{c.roads:,} segments, {c.road_km:,.1f} km" if c.roads else _none("roads") + " (pages use straight lines)"),
        "事件 incidents: " + (f"{sum(n for n, _ in c.incidents.values()):,} — {sources}" if c.incidents else _none("incidents")),
        "案件进展 lifecycle steps: " + (f"{sum(c.steps.values()):,} — {_counted(c.steps, _STEP_LABELS)}" if c.steps else "none. Load: gridgov ingest incident-events FILE --source NAME (or the batch API)"),
        "排查对象 inspection targets: "
        + (f"{sum(c.targets.values()):,} — {_counted(c.targets, kinds)}; {c.visits:,} visits recorded" if c.targets else _none("targets")),
        "服务点 service points: "
        + (f"{sum(c.service_points.values()):,} — {_counted(c.service_points, service_labels)}" if c.service_points else _none("service_points")),
    ]  # fmt: skip


def _pieces(conn: Connection, c: Inventory) -> list[str]:
    """The road network's pieces, if it has pieces too small for any building or point to join."""
    if not c.roads:
        return []
    pieces = Network.load(conn).pieces
    if not pieces.small:
        return [
            f"  {len(pieces.main):,} connected piece(s), none small: buildings and points join the nearest road"
        ]
    return [
        f"  {len(pieces.main):,} pieces: {pieces.small:,} small ones ({pieces.small_m / 1000:,.1f} km, under "
        f"{SMALL_PIECE_SHARE:.0%} of the network each) joined to no other road; buildings and points join "
        "the nearest road of the main pieces instead. Join them in the road data to use them"
    ]


def _page(state: Readiness) -> list[str]:
    """The page's path, then what it shows or each thing it needs, then what it does without
    the optional data not loaded (each with the command that loads it)."""
    lines = (
        [f"ready: {state.page.shows}"]
        if state.ready
        else [f"needs {need.en}. Load: {need.command}" for need in state.missing]
    )
    lines += [
        f"without {NEEDS[f.need].en}: {f.without_en}. Load: {NEEDS[f.need].command}" for f in state.degraded
    ]
    return [f"  {state.page.path if i == 0 else '':<13}{line}" for i, line in enumerate(lines)]
