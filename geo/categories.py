"""Incident categories (GB/T 30428 event classes plus those the Pingcheng articles add).

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
    deadline_hours: float  # default time from registration to handled
    colour: str


CATEGORIES: dict[str, Category] = {}


def register(category: Category) -> Category:
    if category.key in CATEGORIES:
        raise ValueError(f"incident category {category.key!r} registered twice")
    CATEGORIES[category.key] = category
    return category


for _c in (
    Category("environment", "市容环境", "City appearance & environment", 48, "#4daf4a"),
    Category("advertising", "宣传广告", "Advertising", 72, "#984ea3"),
    Category("construction", "施工管理", "Construction", 72, "#ff7f00"),
    Category("emergency", "突发事件", "Emergencies", 4, "#e41a1c"),
    Category("street_order", "街面秩序", "Street order", 24, "#377eb8"),
    Category("property", "物业管理", "Property management", 120, "#a65628"),
    Category("safety", "安全隐患", "Safety hazards", 24, "#f781bf"),
    Category("dispute", "矛盾纠纷", "Disputes", 168, "#999999"),
    Category("help", "求助服务", "Requests for help", 72, "#66c2a5"),
    Category("other", "其他", "Other", 120, "#b3b3b3"),
):
    register(_c)
