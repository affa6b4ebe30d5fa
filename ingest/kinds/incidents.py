"""Incidents from the 12345 hotline, mini-programs, the mailbox or grid workers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from geo.categories import FALLBACK
from geo.natures import nature, urgency
from ingest.fields import Field
from ingest.kinds import IngestKind, JobContext, register
from ingest.kinds._duplicates import KEEP, link_duplicates, prepare_links
from ingest.kinds._lifecycle import rederive
from ingest.unknown_categories import note_unknown

STEPS = ("reported_at", "registered_at", "dispatched_at", "handled_at", "verified_at", "closed_at")
LABELS = {
    "reported_at": "受理时间",
    "registered_at": "立案时间",
    "dispatched_at": "派遣时间",
    "handled_at": "处置时间",
    "verified_at": "核查时间",
    "closed_at": "办结时间",
}
FIELDS = (
    Field("source_id", required=True, label="工单编号"),
    Field("category", label="诉求类型"),
    Field("nature", label="诉求性质"),
    Field("urgency", label="紧急程度"),
    Field("description", label="诉求内容"),
    Field("reporter_phone", label="来电号码"),
    *(Field(step, "datetime", required=step == "reported_at", label=LABELS[step]) for step in STEPS),
    Field("deadline_at", "datetime", label="办理时限"),
    Field("rework_count", "int", label="返工次数"),
)
COLUMNS = (
    "source",
    "source_id",
    "category",
    "nature",
    "urgency",
    "description",
    "reporter_phone",
    *STEPS,
    "deadline_at",
    "deadline_rule",
    "rework_count",
    "raw_address",
    "raw_x",
    "raw_y",
    "raw_crs",
    "match_level",
    "match_score",
    "street_id",
    "community_id",
    "grid_id",
    "geom",
)


def _categories(frame: pd.DataFrame, ctx: JobContext) -> pd.Series:
    """Category keys from the district's vocabulary; a text it does not know becomes 其他 (other)
    and is counted, with the TOML that would declare it, in the job's report."""
    raw = frame["category"] if "category" in frame else pd.Series(None, index=frame.index, dtype=object)
    codes, distinct = pd.factorize(raw)  # looked up once per distinct text
    found = [ctx.vocabulary.category(str(t)) for t in distinct]
    keys = np.array([getattr(c, "key", None) for c in found] + [None], dtype=object)
    out = pd.Series(keys[codes], index=raw.index, dtype=object)  # code -1: missing
    ctx.notes["unknown or missing category → 其他 (other)"] += int(out.isna().sum())
    unknown = out.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if unknown.any():
        note_unknown(ctx.report, ctx.notes, raw[unknown], ctx.vocabulary)
    return out.fillna(FALLBACK).astype(object)


def _terms(frame: pd.DataFrame, column: str, find: Callable[[str], str | None], ctx: JobContext) -> pd.Series:
    """Keys of ``geo/natures.py`` for a 诉求性质 / 紧急程度 column; a text none names loads as
    unknown (None), counted in the job's report (the case is still loaded)."""
    if column not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    raw = frame[column]
    codes, distinct = pd.factorize(raw)
    keys = np.array([find(str(t)) for t in distinct] + [None], dtype=object)
    out = pd.Series(keys[codes], index=raw.index, dtype=object)
    unknown = int((out.isna() & raw.notna()).sum())
    if unknown:
        ctx.notes[f"{_TERM_LABELS[column]} not recognised → unknown ({column})"] += unknown
    return out


_TERM_LABELS = {"nature": "诉求性质 (咨询/求助/投诉/举报/建议)", "urgency": "紧急程度 (一般/紧急/特急)"}


def _order_reason(frame: pd.DataFrame) -> pd.Series:
    """A step dated before an earlier one means the export is wrong: say which."""
    reason = pd.Series(None, index=frame.index, dtype=object)
    present = [step for step in STEPS if step in frame]
    for i, late in enumerate(present):
        for early in present[:i]:
            bad = (frame[late] < frame[early]).fillna(False) & reason.isna()
            reason[bad] = f"{LABELS[late]}早于{LABELS[early]} ({late} before {early})"
    return reason


def build(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    out["source"] = ctx.source
    for column in COLUMNS[1:]:
        if column in frame:
            out[column] = frame[column]
    out["category"] = _categories(frame, ctx)
    out["nature"], out["urgency"] = (
        _terms(frame, "nature", nature, ctx),
        _terms(frame, "urgency", urgency, ctx),
    )
    start = frame["registered_at"] if "registered_at" in frame else frame["reported_at"]
    start = start.fillna(frame["reported_at"])
    due, rule = ctx.sla.due_and_rule(out["category"], start, natures=out["nature"], urgencies=out["urgency"])
    if "deadline_at" in frame:  # the source's own deadline wins; the rule is kept only where it set one
        given = frame["deadline_at"]
        due, rule = given.where(given.notna(), due), rule.where(given.isna(), None)
    out["deadline_at"], out["deadline_rule"] = due, rule
    out["rework_count"] = frame["rework_count"].fillna(0) if "rework_count" in frame else 0
    if "address" in frame:
        out["raw_address"] = frame["address"]
    out["reason"] = _order_reason(frame)
    return out.reindex(columns=[*COLUMNS, "reason"])


def _after(conn: Connection, run_id: int, ctx: JobContext) -> None:
    link_duplicates(conn, run_id, ctx)
    tickets = pd.concat([k["source_id"] for k in ctx.kept]).astype(str).tolist() if ctx.kept else []
    changed = rederive(conn, source=ctx.source, tickets=tickets)  # incidents with lifecycle steps
    ctx.notes["incidents whose lifecycle steps were applied again"] += changed


register(
    IngestKind(
        key="incidents",
        help="incidents (12345 hotline, mini-program, mailbox, grid workers): CSV/XLSX with lon/lat, WKT or address",
        table="incident",
        fields=FIELDS,
        geometry="point",
        columns=COLUMNS,
        build=build,
        after=_after,
        prepare=prepare_links,
        keep=KEEP,
        partitioned=True,
        pipelined=True,
        xy_points=True,
    )
)
