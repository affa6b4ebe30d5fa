"""What a visit to an inspection target ends in, as street teams record it (排查处置结果).

Beside passed / hazard found / rectification ordered, practice has 当场整改 (put right on the
spot), 取缔 / 关停 (the site closed down: the unlicensed scrap stations of seed 002) and 移交执法
(referred to the law-enforcement team). Keys are stored in ``inspection.outcome``.
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.lifecycle import Term, index_terms, term_key

OUTCOMES: Mapping[str, Term] = index_terms(
    (
        Term("passed", "合格", "passed", ("通过", "无问题", "正常", "未发现问题")),
        Term("hazard", "发现隐患", "hazard found", ("隐患", "存在隐患", "有隐患")),
        Term("rectify", "责令整改", "rectification ordered", ("限期整改", "整改")),
        Term("fixed", "当场整改", "fixed on the spot", ("立即整改", "现场整改", "立行立改")),
        Term("closed", "取缔关停", "closed down", ("取缔", "关停", "停业", "查封", "取缔/关停")),
        Term("referred", "移交执法", "referred to law enforcement", ("移交", "移送执法", "移交综合执法")),
    )
)
_NAMES = {name: t.key for t in OUTCOMES.values() for name in t.names}


def outcome(text: str) -> str | None:
    """The outcome a text names (合格, 当场整改, closed down, …), or None."""
    return _NAMES.get(term_key(text))
