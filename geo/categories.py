"""Incident categories (GB/T 30428 event classes plus those the district articles add).

The built-ins below are constants, the default list of every district. A district adds its own
categories, or changes the labels, aliases and deadlines of these, with ``[categories.KEY]``
tables in its settings file (see :mod:`geo.vocabulary`); nothing is registered at run time.
Deadlines here are defaults only; districts set their own (see the SLA settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Category:
    key: str
    zh: str
    en: str
    deadline: str  # default handling deadline: '16wh', '5wd' or '4h' (see geo.sla)
    colour: str
    aliases: tuple[str, ...] = ()  # what hotline exports and mini-programs call it

    @property
    def names(self) -> tuple[str, ...]:
        """Every text that names this category exactly (key, labels, aliases), as compared."""
        return (self.key.lower(), self.zh, self.en.lower(), *(a.lower() for a in self.aliases))


def lookup(text: str, categories: Mapping[str, Category]) -> Category | None:
    """The category a key, Chinese or English name, or alias names (None if none does). A text
    that only contains a name (环境卫生-垃圾清运 → 环境卫生) takes the longest name it contains,
    so a district's "夜间施工噪音" wins over the built-in "施工"."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    for category in categories.values():
        if wanted in category.names:
            return category
    best: tuple[int, Category] | None = None
    for category in categories.values():
        for name in (category.zh, *category.aliases):
            if name and name.lower() in wanted and (best is None or len(name) > best[0]):
                best = (len(name), category)
    return best[1] if best else None


# colours for a district's categories that name none (ColorBrewer Dark2 and Set1 leftovers)
PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
           "#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#bc80bd")  # fmt: skip

CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        c.key: c
        for c in (
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
                "property",
                "物业管理",
                "Property management",
                "5wd",
                "#a65628",
                ("物业", "供暖", "电梯", "小区管理"),
            ),
            Category(
                "safety", "安全隐患", "Safety hazards", "8wh", "#f781bf", ("安全", "隐患", "消防", "燃气")
            ),
            Category("dispute", "矛盾纠纷", "Disputes", "7wd", "#999999", ("纠纷", "矛盾", "邻里")),
            Category(
                "help", "求助服务", "Requests for help", "3wd", "#66c2a5", ("求助", "咨询", "帮扶", "救助")
            ),
            Category("other", "其他", "Other", "5wd", "#b3b3b3", ("其它",)),
        )
    }
)
"""The built-in categories (read-only): every district's defaults."""

FALLBACK = "other"  # where an incident of a category the district does not know goes
