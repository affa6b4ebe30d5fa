"""Inspection ledgers (排查台账): one row per visit, naming its target by the target's 编号."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

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
    return out


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
            Field("findings", "list", label="发现问题"),
            Field("rectify_deadline", "date", label="整改期限"),
            Field("rectified_at", "datetime", label="整改完成时间"),
        ),
        geometry="none",
        columns=COLUMNS,
        build=build,
        locate=False,
    )
)
