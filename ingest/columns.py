"""Which input column holds which field: common Chinese and English headers, plus the user's
``--map 事发地址=address`` and ``--mapping FILE.toml`` (a ``[columns]`` table of header = field).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import pandas as pd

from geo.errors import InputError

# field → headers seen in 12345 exports, mini-program dumps, ledgers and survey attribute tables
SYNONYMS: dict[str, tuple[str, ...]] = {
    "source_id": (
        "工单编号",
        "工单号",
        "事件编号",
        "案件编号",
        "受理编号",
        "楼栋编号",
        "楼栋编码",
        "建筑编码",
        "建筑物编码",
        "房屋编码",
        "对象编号",
        "记录编号",
        "点位编号",
        "编号",
        "编码",
        "序号",
        "id",
        "ticket_id",
        "case_id",
        "source_id",
    ),
    "category": ("诉求类型", "事件类型", "问题类型", "案件类型", "类型", "类别", "分类", "category", "type"),
    "nature": ("诉求性质", "工单性质", "性质", "nature"),
    "urgency": ("紧急程度", "紧急度", "缓急程度", "是否紧急", "优先级", "urgency", "priority"),
    "description": ("诉求内容", "事件描述", "问题描述", "反映内容", "内容", "描述", "description", "content"),
    "address": ("事发地址", "事件地址", "详细地址", "发生地点", "地址", "位置", "address", "location"),
    "lon": ("经度", "lng", "lon", "long", "longitude", "x坐标", "x"),
    "lat": ("纬度", "lat", "latitude", "y坐标", "y"),
    "wkt": ("wkt", "geometry_wkt", "geom_wkt", "坐标串", "几何"),
    "crs": ("坐标系", "crs", "srs"),
    "reported_at": (
        "受理时间",
        "上报时间",
        "来电时间",
        "反映时间",
        "创建时间",
        "发生时间",
        "reported_at",
        "report_time",
        "created_at",
    ),
    "registered_at": ("立案时间", "registered_at"),
    "dispatched_at": ("派遣时间", "派单时间", "dispatched_at"),
    "handled_at": ("处置时间", "处理时间", "办理时间", "handled_at"),
    "verified_at": ("核查时间", "回访时间", "verified_at"),
    "closed_at": ("办结时间", "结案时间", "关闭时间", "closed_at", "close_time"),
    "deadline_at": ("办理时限", "截止时间", "处置时限", "deadline", "deadline_at"),
    "reporter_phone": ("来电号码", "联系电话", "联系方式", "电话", "手机号", "phone", "reporter_phone"),
    "rework_count": ("返工次数", "退回次数", "rework_count"),
    "code": (
        "区划代码",
        "行政区划代码",
        "统计代码",
        "统计用区划代码",
        "区县代码",
        "街道代码",
        "乡镇代码",
        "社区代码",
        "村代码",
        "居委会代码",
        "网格编码",
        "网格代码",
        "代码",
        "编码",
        "code",
        "adcode",
    ),
    "name": ("名称", "网格名称", "社区名称", "街道名称", "点位名称", "场所名称", "name"),
    "kind": ("种类", "对象类型", "服务类型", "kind"),
    "compound": ("小区", "小区名称", "院落", "compound"),
    "number": ("楼号", "楼栋号", "栋号", "门牌号", "number", "building_no"),
    "households": ("户数", "住户数", "households"),
    "residents": ("人数", "人口", "常住人口", "居民数", "residents", "population"),
    "aged_60_plus": (
        "60岁以上人口",
        "60岁及以上人口",
        "60周岁以上人口",
        "老年人口",
        "老年人数",
        "aged_60_plus",
    ),
    "youth": ("青年人口", "14-35岁人口", "14—35岁人口", "青年人数", "youth"),
    "working_age": ("劳动年龄人口", "16-59岁人口", "16—59岁人口", "劳动力人口", "working_age"),
    "floors": ("层数", "楼层数", "floors"),
    "risk_level": ("风险等级", "风险", "risk", "risk_level"),
    "target_id": ("对象编号", "场所编号", "排查对象编号", "target_id"),
    "inspected_at": ("检查时间", "排查时间", "巡查时间", "inspected_at"),
    "inspector": ("检查人", "排查人", "巡查人", "inspector"),
    "passed": ("是否合格", "检查结果", "结果", "passed", "result"),
    "findings": ("发现问题", "存在问题", "隐患", "findings"),
    "rectify_deadline": ("整改期限", "整改时限", "rectify_deadline"),
    "rectified_at": ("整改完成时间", "整改时间", "rectified_at"),
    "worker_name": ("网格员", "网格员姓名", "专职网格员", "网格长", "worker", "worker_name"),
    "worker_phone": (
        "网格员电话",
        "网格员手机",
        "网格员联系电话",
        "联系电话",
        "手机号",
        "电话",
        "worker_phone",
    ),
    "level": ("级别", "层级", "level"),
    "opening_hours": ("服务时间", "开放时间", "营业时间", "opening_hours", "hours"),
    "staff": ("工作人员数", "人员数", "staff"),
}


def _key(header: str) -> str:
    """Headers compare without case, width, spaces, underscores or a BOM."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "")
    return "".join(ch for ch in text.lower() if ch not in " _-\t（）()")


@dataclass(frozen=True)
class ColumnMap:
    """field → input column, and how each was chosen (for the dry-run report)."""

    columns: dict[str, str]
    how: dict[str, str]  # field → "given" | "header"
    set_aside: dict[str, str] = dataclass_field(default_factory=dict)  # header → why it was not used

    def describe(self) -> list[str]:
        used = [f"{col} → {field} ({self.how[field]})" for field, col in self.columns.items()]
        return used + [f"{col} not used: {why}" for col, why in self.set_aside.items()]

    def without(self, field: str, *, why: str) -> ColumnMap:
        columns = {f: c for f, c in self.columns.items() if f != field}
        how = {f: h for f, h in self.how.items() if f != field}
        return ColumnMap(columns, how, {**self.set_aside, self.columns[field]: why})


_COORDS = re.compile(r"^\s*[(\[]?\s*[-+]?\d+(?:\.\d+)?\s*[,;\s]\s*[-+]?\d+(?:\.\d+)?\s*[)\]]?\s*$")
_WORDY = re.compile(r"[\u4e00-\u9fff]|[^\W\d_]{3,}")


def looks_like_addresses(values: Iterable[object]) -> bool:
    """Do most non-empty cells read as place text (Chinese characters or words), not as
    coordinates or bare numbers? A 311 export's Location column holds "(40.66, -73.99)"."""
    cells = [str(v) for v in values if isinstance(v, str) and v.strip()]
    if not cells:
        return True
    wordy = sum(1 for c in cells if _WORDY.search(c) and not _COORDS.match(c))
    return wordy * 2 >= len(cells)


def check_address_column(cmap: ColumnMap, sample: pd.DataFrame | None) -> ColumnMap:
    """An address column chosen by its header is kept only if its values look like addresses."""
    column = cmap.columns.get("address")
    if column is None or cmap.how.get("address") != "header" or sample is None or column not in sample:
        return cmap
    cells = sample[column].head(200)
    if looks_like_addresses(cells):
        return cmap
    example = next((str(v) for v in cells if isinstance(v, str) and v.strip()), "")
    return cmap.without(
        "address", why=f"its values are not addresses (e.g. {example!r}); --map it if they are"
    )


def parse_map_options(pairs: Iterable[str], mapping_file: Path | None) -> dict[str, str]:
    """``header=field`` pairs from ``--map`` and ``--mapping`` (the command line wins)."""
    given: dict[str, str] = {}
    if mapping_file is not None:
        try:
            table = tomllib.loads(mapping_file.read_text(encoding="utf-8")).get("columns", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"cannot read the mapping file {mapping_file}: {exc}") from None
        given.update({str(k): str(v) for k, v in table.items()})
    for pair in pairs:
        header, sep, field = pair.partition("=")
        if not sep or not header.strip() or not field.strip():
            raise InputError(f"--map {pair!r} is not HEADER=FIELD, e.g. --map 事发地址=address")
        given[header.strip()] = field.strip()
    return given


def resolve_columns(
    headers: Sequence[str],
    *,
    fields: Sequence[str],
    given: Mapping[str, str],
    preferred: Mapping[str, Sequence[str]] | None = None,
) -> ColumnMap:
    """Map ``fields`` to ``headers``: the user's mapping first, then the kind's ``preferred``
    headers (e.g. 对象编号 is a target for inspections), then the common synonyms."""
    unknown = sorted(set(given.values()) - set(fields))
    if unknown:
        raise InputError(
            f"--map names unknown field(s) {', '.join(unknown)}; this kind has: {', '.join(fields)}"
        )
    missing = [h for h in given if h not in headers]
    if missing:
        raise InputError(
            f"--map names column(s) not in the file: {', '.join(missing)}; the file has: {', '.join(headers)}"
        )
    columns = {field: header for header, field in given.items()}
    how = dict.fromkeys(columns, "given")
    by_key = {_key(h): h for h in reversed(headers)}
    taken = set(columns.values())
    for table in (preferred or {}, SYNONYMS):
        for field in fields:
            if field in columns:
                continue
            for synonym in (*table.get(field, ()), field) if table is SYNONYMS else table.get(field, ()):
                header = by_key.get(_key(synonym))
                if header is not None and header not in taken:
                    columns[field], how[field] = header, "header"
                    taken.add(header)
                    break
    return ColumnMap(columns, how)
