"""Inspection ledgers (排查台账): one row per visit, naming its target by the target's 编号."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.visit_outcomes import OUTCOMES, outcome
from ingest.fields import Field
from ingest.kinds import IngestKind, JobContext, register
from ingest.kinds._common import start_frame

COLUMNS = (
    "source",
    "source_id",
    "target_id",
    "inspected_at",
    "inspector",
    "passed",
    "outcome",
    "findings",
    "rectify_deadline",
    "rectified_at",
)


def _targets(ctx: JobContext, codes: list[str]) -> dict[str, int | None]:
    """Target 编号 → id; a code used by several sources resolves to this job's source or is ambiguous (None)."""
    rows = ctx.conn.execute(
        sa.text("SELECT source_id, id, source = :s FROM inspection_target WHERE source_id = ANY(:c)"),
        {"s": ctx.source, "c": codes},
    ).all()
    found: dict[str, list[tuple[int, bool]]] = {}
    for code, target, same_source in rows:
        found.setdefault(code, []).append((target, same_source))
    out: dict[str, int | None] = {}
    for code, hits in found.items():
        mine = [t for t, same in hits if same]
        out[code] = hits[0][0] if len(hits) == 1 else (mine[0] if len(mine) == 1 else None)
    return out


def build(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
    out = start_frame(frame, ctx, COLUMNS)
    codes = frame["target_id"].astype("string")
    found = _targets(ctx, [c for c in codes.dropna().unique()])
    out["target_id"] = pd.array(codes.map(lambda c: found.get(c)), dtype="Int64")
    unknown = out["target_id"].isna().to_numpy(bool) & out["reason"].isna().to_numpy()
    out.loc[unknown, "reason"] = (
        "排查对象「" + codes[unknown].astype(str) + "」不存在或不唯一 (no such target: ingest targets first)"
    )
    out["findings"] = frame["findings"] if "findings" in frame else [[] for _ in range(len(frame))]
    late = (
        (out["rectified_at"] < out["inspected_at"]).fillna(False).astype(bool)
        if "rectified_at" in frame
        else None
    )
    if late is not None:
        out.loc[late & out["reason"].isna(), "reason"] = "整改时间早于检查时间 (rectified before inspected)"
    out["outcome"], reason = _outcomes(frame)
    out.loc[reason.notna() & out["reason"].isna(), "reason"] = reason
    return out


def _outcomes(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each visit's outcome: the 处理结果 column's (合格, 当场整改, 取缔 …) or, without one, passed or
    (not passed) a rectification with a due date, else a hazard; and why a row cannot say."""
    passed = frame["passed"].astype("boolean")
    due = (
        frame["rectify_deadline"].notna()
        if "rectify_deadline" in frame
        else pd.Series(False, index=frame.index)
    )
    derived = pd.Series(
        np.where(passed.fillna(False), "passed", np.where(due, "rectify", "hazard")), index=frame.index
    )
    reason = pd.Series(None, index=frame.index, dtype=object)
    if "outcome" not in frame:
        return derived, reason
    text = frame["outcome"]
    given = text.map(lambda t: outcome(str(t)) if pd.notna(t) else None)
    unknown = text.notna() & given.isna()
    reason[unknown] = "处理结果「" + text[unknown].astype(str) + f"」无法识别 (one of {_NAMES})"
    clash = given.notna() & passed.notna() & ((given == "passed") != passed.fillna(False))
    reason[clash & reason.isna()] = "是否合格与处理结果矛盾 (passed and outcome disagree)"
    return given.where(given.notna(), derived), reason


_NAMES = "、".join(t.zh for t in OUTCOMES.values())
_CLOSE_SITES = """
UPDATE inspection_target t SET closed_at = c.at
FROM (SELECT target_id, min(inspected_at) AS at FROM inspection WHERE outcome = 'closed' GROUP BY 1) c
WHERE t.id = c.target_id AND t.closed_at IS NULL
"""


def _close_sites(conn: Connection, run_id: int, ctx: JobContext) -> None:
    """Sites a ledger says were closed down (取缔 / 关停) leave the register and the rounds."""
    ctx.notes["sites closed down (取缔/关停)"] += conn.execute(sa.text(_CLOSE_SITES)).rowcount


register(
    IngestKind(
        key="inspections",
        help="inspection ledgers: one row per visit with its target's 编号, result and findings",
        table="inspection",
        fields=(
            Field("source_id", required=True, label="记录编号", headers=("记录编号", "检查编号", "台账编号")),
            Field(
                "target_id",
                required=True,
                label="对象编号",
                headers=("对象编号", "场所编号", "排查对象编号", "target_id"),
            ),
            Field("inspected_at", "datetime", required=True, label="检查时间"),
            Field("inspector", label="检查人"),
            Field("passed", "bool", required=True, label="是否合格"),
            Field(
                "outcome",
                label="处理结果",
                headers=("处理结果", "处置结果", "处理方式", "处置情况", "outcome"),
            ),
            Field("findings", "list", label="发现问题"),
            Field("rectify_deadline", "date", label="整改期限"),
            Field("rectified_at", "datetime", label="整改完成时间"),
        ),
        geometry="none",
        columns=COLUMNS,
        build=build,
        after=_close_sites,
        locate=False,
    )
)
