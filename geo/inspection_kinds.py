"""Kinds of inspection targets (排查对象) and what a round checks, from the district articles.

The built-ins below are constants, the default list of every district; a district adds kinds,
or changes these, with ``[inspection_kinds.KEY]`` tables in its settings file (see
:mod:`geo.vocabulary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class InspectionKind:
    key: str
    zh: str
    en: str
    interval_days: int  # default time between rounds
    checks: tuple[str, ...]  # the checklist of a visit
    aliases: tuple[str, ...] = ()  # what the district's ledgers call it


def lookup_kind(text: str, kinds: Mapping[str, InspectionKind]) -> str | None:
    """The key of the kind a key, name or alias names, or whose name the text contains."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    for key, kind in kinds.items():
        if wanted in (key.lower(), kind.zh, kind.en.lower(), *(a.lower() for a in kind.aliases)):
            return key
    found = [
        (len(n), key) for key, kind in kinds.items() for n in (kind.zh, *kind.aliases) if n and n in text
    ]
    return max(found)[1] if found else None


INSPECTION_KINDS: Mapping[str, InspectionKind] = MappingProxyType(
    {
        k.key: k
        for k in (
            InspectionKind(
                "scrap_station",
                "废品收购站",
                "Scrap-collection station",
                30,
                ("营业执照", "灭火器配备及有效", "废品堆放规范"),
            ),
            InspectionKind(
                "homestay", "民宿", "Homestay", 30, ("消防器材", "疏散通道畅通", "电气线路", "燃气使用")
            ),
            InspectionKind(
                "bungalow",
                "平房",
                "Old bungalow",
                90,
                ("房屋倾斜", "墙体裂缝", "电线老化", "电动车飞线充电", "空置房屋", "独居老人"),
            ),
            InspectionKind(
                "bookshop", "书店", "Bookshop", 90, ("登记备案", "年检", "盗版及违禁出版物", "消防器材")
            ),
            InspectionKind(
                "school_canteen",
                "学校食堂",
                "School canteen",
                30,
                ("环境卫生", "食材储存", "餐具消毒", "从业人员健康证"),
            ),
            InspectionKind("market", "便民市场", "Market", 14, ("流动摊贩", "店外经营", "噪音扰民")),
            InspectionKind("stairwell", "楼道", "Stairwell", 60, ("杂物堵塞疏散通道", "电动车上楼")),
            InspectionKind("coal_ban", "禁煤巡查点", "Coal-ban check", 30, ("散煤存放",)),
            InspectionKind(  # seed 004: 78 residents over 80 of one compound, visited every week
                "elder_visit",
                "高龄独居老人探访",
                "Visit to an elder living alone or over 80",
                7,
                ("身体状况", "生活起居", "居住安全", "用电用气安全", "紧急联系人"),
                ("探访", "巡视探访", "老人探访", "高龄老人探访", "独居老人探访", "空巢老人探访"),
            ),
        )
    }
)
"""The built-in kinds (read-only): every district's defaults."""
