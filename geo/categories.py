"""Incident categories (GB/T 30428 event classes plus those the district articles add).

A registry: each category registers itself once with its labels and default deadline, and
ingest validation, the demo generator and the dashboard legend are all built from it.
Deadlines are defaults only; districts set their own (see the SLA settings).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    key: str
    zh: str
    en: str
    deadline: str  # default handling deadline: '16wh', '5wd' or '4h' (see geo.sla)
    colour: str
    aliases: tuple[str, ...] = ()  # what hotline exports and mini-programs call it


def lookup(text: str) -> Category | None:
    """The category a key, Chinese or English name, or alias names (None if none does)."""
    wanted = text.strip().lower()
    for category in CATEGORIES.values():
        names = (category.key, category.zh, category.en.lower(), *category.aliases)
        if wanted in names:
            return category
    for category in CATEGORIES.values():  # e.g. 环境卫生-垃圾清运 → 环境卫生
        if any(alias and alias in wanted for alias in (category.zh, *category.aliases)):
            return category
    return None


CATEGORIES: dict[str, Category] = {}


def register(category: Category) -> Category:
    if category.key in CATEGORIES:
        raise ValueError(f"incident category {category.key!r} registered twice")
    CATEGORIES[category.key] = category
    return category


for _c in (
    Category(
        "environment",
        "市容环境",
        "City appearance & environment",
        "2wd",
        "#4daf4a",
        ("环境卫生", "市容", "垃圾", "卫生", "绿化", "污染", "油烟"),
    ),
    Category("advertising", "宣传广告", "Advertising", "3wd", "#984ea3", ("广告", "小广告", "牌匾")),
    Category(
        "construction",
        "施工管理",
        "Construction",
        "3wd",
        "#ff7f00",
        ("施工", "工地", "扬尘", "违建", "违章建筑"),
    ),
    Category("emergency", "突发事件", "Emergencies", "4h", "#e41a1c", ("突发", "紧急", "应急")),
    Category(
        "street_order",
        "街面秩序",
        "Street order",
        "8wh",
        "#377eb8",
        ("街面", "占道", "摊贩", "乱停", "停车", "秩序"),
    ),
    Category(
        "property", "物业管理", "Property management", "5wd", "#a65628", ("物业", "供暖", "电梯", "小区管理")
    ),
    Category("safety", "安全隐患", "Safety hazards", "8wh", "#f781bf", ("安全", "隐患", "消防", "燃气")),
    Category("dispute", "矛盾纠纷", "Disputes", "7wd", "#999999", ("纠纷", "矛盾", "邻里")),
    Category("help", "求助服务", "Requests for help", "3wd", "#66c2a5", ("求助", "咨询", "帮扶", "救助")),
    Category("other", "其他", "Other", "5wd", "#b3b3b3", ("其它",)),
):
    register(_c)
