"""A case's lifecycle (签收, 派遣, 办结, 回访, 重办, 延期, 挂起, …) from a 12345 platform's export.

One row per step: 工单编号, 环节, 操作时间 and what the step carries (承办单位 for 派遣,
满意度 and 是否解决 for 回访, 新办理时限 for 延期, 备注 for any). The ticket belongs to an
incident of the job's ``--source`` unless a 来源 column names another source per row (a
platform exporting the steps of several feeds' cases in one file). A resent step, the same
(source, ticket, step, time), changes nothing; then each touched incident's lifecycle columns
are derived again from its whole history (``ingest/kinds/_lifecycle.py``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import lifecycle
from geo.results import result_frame
from ingest._rows import KeyBook
from ingest.fields import Field
from ingest.kinds import IngestKind, JobContext, register
from ingest.kinds._lifecycle import derive, merge_events
from ingest.reading import ROW

COLUMNS = (
    "incident_id",
    "incident_source",
    "ticket",
    "kind",
    "at",
    "department",
    "satisfaction",
    "resolved",
    "deadline_at",
    "note",
    "source",
    "run_id",
)
FIELDS = (
    Field(
        "ticket",
        required=True,
        label="工单编号",
        headers=("工单编号", "工单号", "案件编号", "事件编号", "ticket"),
    ),
    Field(
        "step",
        required=True,
        label="环节",
        headers=(
            "环节",
            "操作类型",
            "处理环节",
            "流程环节",
            "环节名称",
            "操作",
            "节点",
            "step",
            "event",
            "action",
        ),
    ),
    Field(
        "at",
        "datetime",
        required=True,
        label="操作时间",
        headers=("操作时间", "环节时间", "处理时间", "时间", "time"),
    ),
    Field(
        "department", label="承办单位", headers=("承办单位", "承办部门", "处置单位", "办理单位", "责任单位")
    ),
    Field("satisfaction", label="满意度", headers=("满意度", "满意度评价", "回访结果", "评价结果")),
    Field("resolved", label="是否解决", headers=("是否解决", "问题是否解决", "解决情况")),
    Field(
        "deadline_at", "datetime", label="新办理时限", headers=("新办理时限", "延期至", "延期时限", "新时限")
    ),
    Field("note", label="备注", headers=("备注", "说明", "办理意见", "remark")),
    Field("incident_source", label="来源", headers=("来源", "工单来源", "渠道", "source")),
)
# a step stamped this far ahead of the job's clock is a wrong clock, not a step that happened
FUTURE = dt.timedelta(minutes=10)
_LOOKUP = sa.text(
    "SELECT k.source, k.ticket, i.id, i.reported_at "
    "FROM unnest(CAST(:sources AS text[]), CAST(:tickets AS text[])) AS k(source, ticket) "
    'JOIN incident i ON i.source = k.source AND i.source_id = k.ticket COLLATE "C"'
)


def _set(reason: pd.Series, bad: pd.Series | np.ndarray, text: pd.Series | str) -> None:
    """``text`` becomes the reason of ``bad`` rows that have none yet (the first problem wins)."""
    mask = np.asarray(bad, dtype=bool) & reason.isna().to_numpy()
    reason[mask] = text if isinstance(text, str) else text[mask].to_numpy()


def _texts(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text field as Python objects (None where empty or absent)."""
    if name not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    values = [v if isinstance(v, str) else None for v in frame[name].astype(object)]
    return pd.Series(values, index=frame.index, dtype=object)


def _incidents(ctx: JobContext, keys: pd.DataFrame) -> pd.DataFrame:
    """incident id and reported_at for each (incident_source, ticket) row; NaN/NaT where none."""
    pairs = keys.drop_duplicates()
    found = result_frame(
        ctx.conn.execute(
            _LOOKUP, {"sources": pairs["incident_source"].tolist(), "tickets": pairs["ticket"].tolist()}
        )
    ).set_axis(["incident_source", "ticket", "incident_id", "reported_at"], axis=1)
    merged = keys.merge(found, on=["incident_source", "ticket"], how="left")
    merged.index = keys.index
    return merged


def _stamp(times: pd.Series) -> pd.Series:
    return times.dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M:%S")


def _step_reasons(out: pd.DataFrame, frame: pd.DataFrame, reason: pd.Series) -> None:
    """What a step must carry: 承办单位 for 派遣, 满意度 for 回访, 新办理时限 for 延期."""
    kind = out["kind"]
    _set(
        reason,
        (kind == "dispatched") & out["department"].isna(),
        "派遣缺少承办单位 (dispatched without department)",
    )
    answers = _texts(frame, "satisfaction")
    _set(reason, (kind == "callback") & answers.isna(), "回访缺少满意度 (callback without satisfaction)")
    unknown = (kind == "callback") & answers.notna() & out["satisfaction"].isna()
    what = lifecycle.labels(lifecycle.ANSWERS, lang="zh")
    _set(reason, unknown, "满意度「" + answers.astype(str) + f"」无法识别 (satisfaction: one of {what})")
    said = _texts(frame, "resolved")
    unknown = (kind == "callback") & said.notna() & out["resolved"].isna()
    _set(reason, unknown, "是否解决「" + said.astype(str) + "」无法识别 (resolved: 是 or 否)")
    no_date = (kind == "extended") & out["deadline_at"].isna()
    _set(reason, no_date, "延期缺少新办理时限 (extended without a new deadline)")


def _payload(out: pd.DataFrame, frame: pd.DataFrame) -> None:
    """Each step keeps only what it carries."""
    kind = out["kind"]
    out["department"] = _texts(frame, "department").where(kind == "dispatched", None)
    answers = _texts(frame, "satisfaction").map(lambda t: lifecycle.answer(t) if isinstance(t, str) else None)
    out["satisfaction"] = answers.where(kind == "callback", None)
    said = _texts(frame, "resolved").map(lambda t: lifecycle.resolved(t) if isinstance(t, str) else None)
    out["resolved"] = said.where(kind == "callback", None)
    if "deadline_at" in frame:
        out["deadline_at"] = frame["deadline_at"].where(kind == "extended")
    else:
        out["deadline_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    out["note"] = _texts(frame, "note")


def _keys(out: pd.DataFrame, ctx: JobContext, frame: pd.DataFrame, reason: pd.Series) -> None:
    """Ticket → incident, and the checks against it: known, reported before the step, not ahead."""
    found = _incidents(ctx, out[["incident_source", "ticket"]])
    out["incident_id"] = pd.array(found["incident_id"].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    message = (
        "来源 " + out["incident_source"] + " 中没有此工单 (no incident with 工单编号「" + out["ticket"]
        + "」 in source " + out["incident_source"] + "; load the incidents first, or name the source "
        "with --source or a 来源 column)"
    )  # fmt: skip
    _set(reason, out["incident_id"].isna().to_numpy(bool), message)
    reported = pd.to_datetime(found["reported_at"], utc=True)
    early = (out["at"] < reported).fillna(False).to_numpy(bool)
    _set(
        reason,
        early,
        "操作时间「" + _stamp(out["at"]) + "」早于工单受理时间 (step before the incident was reported)",
    )
    ahead = (out["at"] > ctx.now + FUTURE).fillna(False).to_numpy(bool)
    _set(reason, ahead, "操作时间「" + _stamp(out["at"]) + "」晚于现在 (step in the future: check the clock)")


def _repeats(out: pd.DataFrame, frame: pd.DataFrame, ctx: JobContext, reason: pd.Series) -> None:
    """A later row repeating an earlier row's step (same source, ticket, step and time)."""
    book = ctx.scratch.setdefault("events", KeyBook())
    assert isinstance(book, KeyBook)
    live = reason.isna().to_numpy(bool)
    if not live.any():
        return
    part = out[live]
    keys = part["incident_source"] + "\x1f" + part["ticket"] + "\x1f" + part["kind"] + "\x1f"
    keys = keys + part["at"].astype("int64").astype(str)
    rows = frame.loc[live, ROW].to_numpy(np.int64)
    first = book.first_rows(keys.to_numpy(object), rows)
    repeated = first != rows
    text = pd.Series(first[repeated], dtype=object).astype(str)
    reason[part.index[repeated]] = (
        "与第「" + text + "」行是同一环节 (the same step as an earlier row)"
    ).to_numpy()


def build(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    reason = pd.Series(None, index=frame.index, dtype=object)
    out["ticket"] = _texts(frame, "ticket").astype(str)
    out["incident_source"] = _texts(frame, "incident_source").fillna(ctx.source).astype(str)
    steps = _texts(frame, "step")
    out["kind"] = steps.map(lambda t: lifecycle.step(t) if isinstance(t, str) else None)
    what = lifecycle.labels(lifecycle.STEPS, lang="zh")
    _set(
        reason, out["kind"].isna(), "环节「" + steps.astype(str) + f"」无法识别 (unknown step; one of {what})"
    )
    out["at"] = pd.to_datetime(frame["at"], utc=True)
    _payload(out, frame)
    if len(out):
        _keys(out, ctx, frame, reason)
    _step_reasons(out, frame, reason)
    _repeats(out, frame, ctx, reason)
    out["source"], out["run_id"] = ctx.source, ctx.run_id
    out["reason"] = reason
    return out.reindex(columns=[*COLUMNS, "reason"])


def _merge(conn: Connection, _table: str, ctx: JobContext) -> tuple[int, int]:
    return merge_events(conn)


def _after(conn: Connection, _run_id: int, ctx: JobContext) -> None:
    changed, unchanged = derive(conn)
    ctx.report["incidents"] = {"updated": changed, "unchanged": unchanged}
    ctx.notes["incidents whose lifecycle changed"] += changed
    ctx.notes["incidents touched, lifecycle unchanged"] += unchanged


register(
    IngestKind(
        key="incident-events",
        help="lifecycle steps of incidents (签收, 派遣, 办结, 回访, 重办, 延期, 挂起, …): one row per step with its 工单编号",
        table="incident_event",
        fields=FIELDS,
        geometry="none",
        columns=COLUMNS,
        build=build,
        conflict=("incident_source", "ticket", "kind", "at"),
        compared=(
            "incident_id",
            "department",
            "satisfaction",
            "resolved",
            "deadline_at",
            "note",
        ),  # as _MERGE
        locate=False,
        merge=_merge,
        after=_after,
    )
)
