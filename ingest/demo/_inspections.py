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
