"""Planners' saved what-ifs (方案) for a service type: a name, the threshold, the points added and
the points left out. Saving under a name the type already has replaces that scenario; every save
and delete is audited by the caller."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError

MAX_NAME = 60
MAX_ADDED = 50
_SAVE = """
INSERT INTO coverage_scenario (name, kind, threshold_m, added, removed, saved_by)
VALUES (:name, :kind, :threshold_m, CAST(:added AS jsonb), :removed, :by)
ON CONFLICT (kind, name) DO UPDATE SET threshold_m = EXCLUDED.threshold_m, added = EXCLUDED.added,
    removed = EXCLUDED.removed, saved_by = EXCLUDED.saved_by, saved_at = now()
RETURNING id
"""
_COLUMNS = "id, name, kind, threshold_m, added, removed, saved_by, saved_at"


@dataclass(frozen=True)
class Scenario:
    id: int
    name: str
    kind: str
    threshold_m: float
    added: tuple[tuple[float, float], ...]
    removed: frozenset[int]
    saved_by: str | None
    saved_at: dt.datetime


def _row(r: sa.Row[tuple[object, ...]]) -> Scenario:
    m = r._mapping
    added = tuple((float(p[0]), float(p[1])) for p in m["added"])
    return Scenario(int(m["id"]), str(m["name"]), str(m["kind"]), float(m["threshold_m"]), added,
                    frozenset(int(i) for i in m["removed"]), m["saved_by"], m["saved_at"])  # fmt: skip


def checked_name(name: object) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_NAME or any(ord(c) < 32 for c in text):
        raise InputError(f"方案名称为 1–{MAX_NAME} 个字符 (a scenario's name is 1–{MAX_NAME} characters)")
    return text


def save(
    conn: Connection,
    *,
    name: str,
    kind: str,
    threshold_m: float,
    added: tuple[tuple[float, float], ...],
    removed: frozenset[int],
    by: str | None,
) -> int:
    """Save (or replace) the scenario ``name`` of ``kind``; its id."""
    if len(added) > MAX_ADDED:
        raise InputError(f"a scenario adds at most {MAX_ADDED} points")
    params = {"name": checked_name(name), "kind": kind, "threshold_m": float(threshold_m), "by": by,
              "added": json.dumps([list(p) for p in added]), "removed": sorted(removed)}  # fmt: skip
    return int(conn.execute(sa.text(_SAVE), params).scalar_one())


def scenarios(conn: Connection, kind: str) -> list[Scenario]:
    """The type's saved scenarios, by name."""
    query = sa.text(f"SELECT {_COLUMNS} FROM coverage_scenario WHERE kind = :k ORDER BY name")  # noqa: S608 (constants)
    return [_row(r) for r in conn.execute(query, {"k": kind})]


def scenario(conn: Connection, scenario_id: object) -> Scenario | None:
    """The scenario with this id (None: no such id, or not an id at all: it comes from a browser)."""
    if not isinstance(scenario_id, int) or isinstance(scenario_id, bool) or not 0 < scenario_id < 2**31:
        return None
    query = sa.text(f"SELECT {_COLUMNS} FROM coverage_scenario WHERE id = :i")  # noqa: S608 (constants)
    row = conn.execute(query, {"i": scenario_id}).first()
    return None if row is None else _row(row)


def delete(conn: Connection, scenario_id: int) -> bool:
    return bool(
        conn.execute(sa.text("DELETE FROM coverage_scenario WHERE id = :i"), {"i": scenario_id}).rowcount
    )
