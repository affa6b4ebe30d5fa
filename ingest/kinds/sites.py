"""Point sites: service points (服务点) and inspection targets (排查对象)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from ingest.fields import Field
from ingest.kinds import IngestKind, JobContext, register
from ingest.kinds._common import lookup_column, start_frame

_RISK = {
    "低": 1,
    "一般": 1,
    "中": 2,
    "较高": 2,
    "高": 3,
    "重大": 3,
    "1": 1,
    "2": 2,
    "3": 3,
    "low": 1,
    "medium": 2,
    "high": 3,
}
_LEVELS = {"区": "district", "街道": "street", "社区": "community", "村": "village"}


def _registry_finder(registry: Mapping[str, object]) -> Callable[[str], str | None]:
    def find(text: str) -> str | None:
        wanted = text.strip().lower()
        for key, item in registry.items():
            if wanted in (key, getattr(item, "zh", ""), getattr(item, "en", "").lower()):
                return key
        return next((key for key, item in registry.items() if getattr(item, "zh", "\0") in text), None)

    return find


SERVICE_COLUMNS = (
    "source",
    "source_id",
    "kind",
    "name",
    "level",
    "address",
    "opening_hours",
    "staff",
    "opened_on",
    "closed_on",
    "street_id",
    "community_id",
    "geom",
)


def build_service_points(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
    out = start_frame(frame, ctx, SERVICE_COLUMNS)
    out["kind"] = lookup_column(
        frame["kind"],  # a required field: always there
        _registry_finder(ctx.service_types),
        what="服务类型 service type",
        out=out,
    )
    level = frame["level"] if "level" in frame else pd.Series(None, index=frame.index, dtype=object)
    out["level"] = level.map(
        lambda t: next((v for k, v in _LEVELS.items() if isinstance(t, str) and (k in t or v == t)), None)
    )
    out["level"] = out["level"].fillna("community")
    types = ctx.service_types
    hours = out["kind"].map(lambda k: types[k].opening_hours or None if k in types else None)
    out["opening_hours"] = out["opening_hours"].fillna(hours) if "opening_hours" in frame else hours
    if "opened_on" in frame and "closed_on" in frame:
        wrong = (frame["closed_on"] <= frame["opened_on"]).fillna(False).astype(bool) & out["reason"].isna()
        out.loc[wrong, "reason"] = "停用日期不晚于启用日期 (closed on or before it opened)"
    return out


TARGET_COLUMNS = (
    "source",
    "source_id",
    "kind",
    "name",
    "address",
    "risk_level",
    "interval_days",
    "street_id",
    "community_id",
    "grid_id",
    "geom",
)


def build_targets(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
    out = start_frame(frame, ctx, TARGET_COLUMNS)
    out["kind"] = lookup_column(
        frame["kind"],
        ctx.vocabulary.kind,
        what="排查对象类型 target kind",
        out=out,
    )
    risk = frame["risk_level"] if "risk_level" in frame else pd.Series(None, index=frame.index, dtype=object)
    out["risk_level"] = risk.map(lambda t: _RISK.get(str(t).strip().lower(), 1) if isinstance(t, str) else 1)
    kinds = ctx.vocabulary.inspection_kinds
    default = out["kind"].map(lambda k: kinds[k].interval_days if k in kinds else None)
    given = (
        frame["interval_days"]
        if "interval_days" in frame
        else pd.Series(pd.NA, index=frame.index, dtype="Int64")
    )
    out["interval_days"] = given.astype("Float64").fillna(default.astype("Float64")).astype("Int64")
    return out


register(
    IngestKind(
        key="service-points",
        help="service points (就业社保服务点, 助老服务站 …): CSV/XLSX with lon/lat or address, or GIS files",
        table="service_point",
        fields=(
            Field("source_id", required=True, label="编号"),
            Field("kind", required=True, label="服务类型"),
            Field("name", required=True, label="名称"),
            Field("level", label="级别"),
            Field("address", label="地址"),
            Field("opening_hours", label="服务时间"),
            Field("staff", "int", label="工作人员数"),
            Field(
                "opened_on",
                "date",
                label="启用日期",
                headers=("启用日期", "开放日期", "建成日期", "设立日期", "opened"),
            ),
            Field(
                "closed_on", "date", label="停用日期", headers=("停用日期", "撤销日期", "关闭日期", "closed")
            ),
        ),
        geometry="point",
        columns=SERVICE_COLUMNS,
        build=build_service_points,
    )
)
register(
    IngestKind(
        key="inspection-targets",
        help="inspection targets (废品收购站, 民宿, 平房, 书店, 学校食堂 …) with kind and risk",
        table="inspection_target",
        fields=(
            Field("source_id", required=True, label="对象编号"),
            Field("kind", required=True, label="对象类型"),
            Field("name", required=True, label="名称"),
            Field("address", label="地址"),
            Field("risk_level", label="风险等级"),
            Field("interval_days", "int", label="检查周期(天)"),
        ),
        geometry="point",
        columns=TARGET_COLUMNS,
        build=build_targets,
    )
)
