"""Synthetic inspection targets of every built-in kind and a year of past rounds.

Riskier sites fail more often and are visited twice as often; failed visits list findings
from the kind's checklist, with a rectification deadline that is usually, not always, met.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.inspection_kinds import InspectionKind
from ingest.demo._names import person_name

# kind → (how many, which buildings qualify)
_COUNTS = {
    "scrap_station": 60,
    "homestay": 80,
    "bungalow": 600,
    "bookshop": 40,
    "school_canteen": 70,
    "market": 25,
    "stairwell": 600,
    "coal_ban": 300,
}


def _eligible(buildings: pd.DataFrame, kind: str) -> np.ndarray:
    b = buildings.kind.to_numpy()
    rules = {
        "bungalow": b == "bungalow",
        "homestay": b == "bungalow",
        "stairwell": (b == "apartment") & (buildings.floors.to_numpy() >= 6),
        "coal_ban": b == "courtyard",
        "scrap_station": b != "apartment",
    }
    return rules.get(kind, b != "courtyard")


def build_targets(
    buildings: pd.DataFrame, rng: np.random.Generator, *, kinds: Mapping[str, InspectionKind]
) -> pd.DataFrame:
    frames = []
    for key, n in _COUNTS.items():
        kind = kinds[key]
        pool = np.flatnonzero(_eligible(buildings, key))
        where = rng.choice(pool, size=min(n, len(pool)), replace=False)
        risk = rng.choice([1, 2, 3], size=len(where), p=[0.5, 0.35, 0.15])
        address = buildings.address.to_numpy()[where]
        name = (
            [f"{a}{kind.zh}" for a in address]
            if key in ("bungalow", "stairwell", "coal_ban")
            else [f"{c}{kind.zh}{i + 1}" for i, c in enumerate(buildings.compound.to_numpy()[where])]
        )
        frames.append(
            pd.DataFrame(
                {
                    "kind": key,
                    "building": where,
                    "risk_level": risk,
                    "name": name,
                    "address": address,
                    "interval_days": np.where(risk == 3, kind.interval_days // 2, kind.interval_days),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def build_inspections(
    targets: pd.DataFrame, *, now: dt.datetime, rng: np.random.Generator, kinds: Mapping[str, InspectionKind]
) -> pd.DataFrame:
    rows = []
    for t in targets.itertuples():
        checks = kinds[t.kind].checks
        when = now - dt.timedelta(days=365 - float(rng.uniform(0, t.interval_days)))
        while when < now - dt.timedelta(days=float(rng.uniform(0, t.interval_days * 0.6))):
            passed = bool(rng.uniform() > 0.08 * t.risk_level + 0.05)
            findings = (
                []
                if passed
                else [
                    str(c)
                    for c in rng.choice(
                        list(checks), size=min(len(checks), int(rng.integers(1, 3))), replace=False
                    )
                ]
            )
            deadline = (when + dt.timedelta(days=int(rng.integers(7, 31)))).date()
            fixed = None if passed else when + dt.timedelta(days=float(rng.uniform(2, 40)))
            rows.append(
                {
                    "target": t.Index,
                    "inspected_at": when,
                    "inspector": person_name(rng),
                    "passed": passed,
                    "findings": findings,
                    "rectify_deadline": None if passed else deadline,
                    "rectified_at": fixed
                    if fixed is not None and fixed < now and rng.uniform() < 0.9
                    else None,
                }
            )
            when += dt.timedelta(days=float(t.interval_days * rng.uniform(0.8, 1.3)))
    return pd.DataFrame(rows)


ELDERS = 78  # seed 004: the residents over 80 of 兴健小区, 康乐里社区 (振华街道), visited weekly
ELDER_COMMUNITY = "140213054007"  # 康乐里社区居民委员会 in the 2023 code list


def build_elder_targets(
    buildings: pd.DataFrame,
    homes: np.ndarray,
    rng: np.random.Generator,
    *,
    kinds: Mapping[str, InspectionKind],
) -> pd.DataFrame:
    """The weekly 探访 round of seed 004: ``ELDERS`` households in the buildings ``homes`` (a
    mask: the flats of one community), several to a building, every one visited each week."""
    kind = kinds.get("elder_visit")
    pool = np.flatnonzero(homes & (buildings.kind.to_numpy() != "courtyard"))
    if kind is None or not len(pool):
        return pd.DataFrame(columns=["kind", "building", "risk_level", "name", "address", "interval_days"])
    where = np.sort(rng.choice(pool, size=ELDERS, replace=True))
    address = buildings.address.to_numpy()[where]
    flat = pd.Series(where).groupby(where).cumcount().to_numpy() + 1
    return pd.DataFrame(
        {
            "kind": kind.key,
            "building": where,
            "risk_level": rng.choice([1, 2], size=ELDERS, p=[0.7, 0.3]),
            "name": [f"{a} 高龄老人{n}户" for a, n in zip(address, flat, strict=True)],
            "address": address,
            "interval_days": kind.interval_days,
        }
    )
