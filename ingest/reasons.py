"""A quarantine reason's *kind* and *value*, for reports a clerk can read.

A reason names what was wrong and usually quotes the offending value
(受理时间「2024-13-01」时间格式无法识别 …). Its kind is the reason without the value — stable
across rows, what `gridgov ingest report` groups by — and its value is what was taken out,
shown as samples. A value quoted 「…」 is found wherever it stands; the few reasons that carry
a value otherwise have a rule here. A reason with no value is its own kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    kind: str  # templates for ``re.Match.expand``
    value: str = r"\g<value>"


_RULES = (
    _Rule(
        re.compile(r"编号与第 (?P<row>\d+) 行重复 \(same source_id as row \d+\)"),
        "编号与前面的行重复 (same source_id as an earlier row)",
        r"row \g<row>",
    ),
    _Rule(
        re.compile(r"位于辖区外 (?P<value>[\d,.]+) 米 \(outside the district by [\d,.]+ m\)"),
        "位于辖区外 (outside the district)",
        r"\g<value> m",
    ),
    _Rule(
        re.compile(r"地址无法可靠定位 \(address not matched reliably: (?P<how>.*?)\); (?P<best>.*)", re.S),
        "地址无法可靠定位 (address not matched reliably)",
        r"\g<how>; \g<best>",
    ),
    _Rule(re.compile(r"上级 (?P<value>\S*) 不存在 (?P<tail>\(.*\))", re.S), r"上级「…」不存在 \g<tail>"),
    # a value quoted 「…」, wherever it stands: from the first 「 to the last 」
    _Rule(re.compile(r"(?P<head>[^「]*)「(?P<value>.*)」(?P<tail>[^」]*)", re.S), r"\g<head>「…」\g<tail>"),
)


def split_reason(reason: str) -> tuple[str, str | None]:
    """(kind, value) of one reason; a reason with no value is its own kind."""
    for rule in _RULES:
        found = rule.pattern.fullmatch(reason)
        if found:
            return found.expand(rule.kind), found.expand(rule.value)
    return reason, None


def split_reasons(reasons: pd.Series) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Kinds and values of many reasons (each distinct reason split once)."""
    codes, distinct = pd.factorize(reasons)
    split = [split_reason(str(r)) for r in distinct]
    kinds = np.array([k for k, _ in split] + [None], dtype=object)
    values = np.array([v for _, v in split] + [None], dtype=object)
    return kinds[codes], values[codes]
