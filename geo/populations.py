"""Who a service serves (服务对象): the people coverage and load are counted in.

A building carries its residents and, where the district's survey has them, the residents of
some groups; a service type names the group it serves (``serves`` in ``geo/service_types.py``).
Age bands follow national usage: 老年人 from 60 (《老年人权益保障法》第二条), 青年 14–35 (《中长期
青年发展规划（2016—2025年）》), working age 16–59 (劳动年龄人口 as the statistics bureau counts it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Population:
    key: str  # the building's column
    zh: str
    en: str


POPULATIONS: Mapping[str, Population] = MappingProxyType(
    {
        p.key: p
        for p in (
            Population("residents", "常住人口", "residents"),
            Population("aged_60_plus", "60岁以上人口", "residents aged 60 and over"),
            Population("youth", "青年人口（14—35岁）", "young people (14–35)"),
            Population("working_age", "劳动年龄人口（16—59岁）", "working-age residents (16–59)"),
        )
    }
)
GROUPS = tuple(k for k in POPULATIONS if k != "residents")  # the building's optional columns
