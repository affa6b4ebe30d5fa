"""Synthetic names for the demo: compounds, people, roads, phone numbers. None is real."""

from __future__ import annotations

import numpy as np

_COMPOUND_HEAD = [
    "御河",
    "恒安",
    "和阳",
    "泰和",
    "永和",
    "鼓楼",
    "同泉",
    "云冈",
    "魏都",
    "华严",
    "善化",
    "文瀛",
    "东方",
    "阳光",
    "幸福",
    "和谐",
    "锦绣",
    "金地",
    "紫云",
    "翠苑",
    "凤凰",
    "迎春",
    "兴华",
    "振兴",
    "安泰",
    "富康",
    "新城",
    "龙园",
    "怡景",
    "馨园",
    "平安",
    "康乐",
    "嘉禾",
    "建设",
    "电力",
    "铁路",
    "煤炭",
    "医药",
    "机车",
    "粮食",
    "供销",
    "教育",
    "税务",
    "邮电",
    "雁北",
    "桑干",
    "北岳",
    "长城",
]
_COMPOUND_TAIL = ["小区", "花园", "家园", "苑", "新村", "公寓", "佳园", "府", "嘉园", "华庭"]
_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文海燕晓东春雪斌鹏宇"
_ROAD_HEAD = [
    "魏都",
    "御河",
    "迎宾",
    "永泰",
    "振华",
    "新建",
    "文兴",
    "云中",
    "和阳",
    "同泉",
    "平城",
    "雁同",
    "开源",
    "鼓楼",
    "华严",
    "清远",
]


class CompoundNames:
    """Hands out compound (小区) names: unique across the district, except that about one
    community in ten reuses a name from elsewhere, as real districts do (a test of ambiguity)."""

    _PHASES = ("", "东区", "西区", "南区", "北区", "一期", "二期", "三期")

    def __init__(self, rng: np.random.Generator) -> None:
        pool = [h + t + p for p in self._PHASES for h in _COMPOUND_HEAD for t in _COMPOUND_TAIL]
        self._rng = rng
        self._pool = [pool[i] for i in rng.permutation(len(pool))]
        self._used: list[str] = []

    def take(self, n: int) -> list[str]:
        names, self._pool = self._pool[:n], self._pool[n:]
        if len(names) < n:
            raise RuntimeError("the demo ran out of compound names")
        if self._used and n > 1 and self._rng.uniform() < 0.1:
            names[-1] = self._used[int(self._rng.integers(len(self._used)))]
        self._used.extend(names)
        return names


def person_name(rng: np.random.Generator) -> str:
    surname = _SURNAMES[rng.integers(len(_SURNAMES))]
    given = "".join(_GIVEN[i] for i in rng.integers(len(_GIVEN), size=rng.integers(1, 3)))
    return surname + given


def phone(rng: np.random.Generator) -> str:
    """An obviously fake mobile number (middle block 0000)."""
    return f"1{rng.choice([38, 39, 58, 86])}0000{rng.integers(0, 10_000):04d}"


def road_name(index: int, *, east_west: bool) -> str:
    """Arterials run east-west (街) or north-south (路); names cycle with a number."""
    head = _ROAD_HEAD[index % len(_ROAD_HEAD)]
    cycle = index // len(_ROAD_HEAD)
    return f"{head}{cycle + 1 if cycle else ''}{'街' if east_west else '路'}"
