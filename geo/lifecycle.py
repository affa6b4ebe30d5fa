"""A case's lifecycle steps (incident_event.kind) and callback answers, as 12345 platforms name them.

Each step has a key (stored), Chinese and English labels (shown) and the texts exports use for
it (compared after NFKC, lower case, no spaces). The keys and their order are
``geo.schema.EVENT_KINDS``; ties at the same instant sort in that order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from geo.schema import EVENT_KINDS, SATISFACTIONS


@dataclass(frozen=True)
class Term:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(term_key(t) for t in (self.key, self.zh, self.en, *self.aliases))


def term_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split()).replace("_", "").replace("-", "")


def index_terms(terms: tuple[Term, ...]) -> Mapping[str, Term]:
    return MappingProxyType({t.key: t for t in terms})


STEPS: Mapping[str, Term] = index_terms(
    (
        Term("registered", "受理", "registered", ("立案", "登记", "register", "accepted", "accept")),
        Term("signed", "签收", "signed for", ("接单", "签收确认", "sign", "signed", "signedfor")),
        Term("dispatched", "派遣", "dispatched", ("派单", "转办", "交办", "dispatch")),
        Term("suspended", "挂起", "suspended", ("暂停", "中止", "suspend")),
        Term("resumed", "恢复", "resumed", ("解挂", "取消挂起", "恢复办理", "resume")),
        Term("extended", "延期", "extended", ("延时", "延期办理", "extend", "extension")),
        Term("handled", "办结", "handled", ("办理完成", "处置完成", "已办结", "handle", "done")),
        Term("callback", "回访", "callback", ("电话回访", "评价", "回访评价", "feedback")),
        Term("reopened", "重办", "reopened", ("返工", "退回重办", "重新办理", "reopen", "rework")),
        Term("closed", "结案", "closed", ("归档", "关闭", "已结案", "close")),
    )
)
ANSWERS: Mapping[str, Term] = index_terms(
    (
        Term("satisfied", "满意", "satisfied", ("非常满意", "很满意")),
        Term("basic", "基本满意", "basically satisfied", ("比较满意", "一般", "basic")),
        Term("dissatisfied", "不满意", "dissatisfied", ("非常不满意", "unsatisfied")),
    )
)
_YES = frozenset(term_key(t) for t in ("是", "已解决", "解决", "已办结", "yes", "y", "true", "1"))
_NO = frozenset(term_key(t) for t in ("否", "未解决", "没有解决", "不解决", "no", "n", "false", "0"))

assert tuple(STEPS) == EVENT_KINDS and tuple(ANSWERS) == SATISFACTIONS  # one list, two views


def _find(terms: Mapping[str, Term]) -> dict[str, str]:
    return {name: t.key for t in terms.values() for name in t.names}


_STEP_NAMES = _find(STEPS)
_ANSWER_NAMES = _find(ANSWERS)


def step(text: str) -> str | None:
    """The step a text names (受理, 签收, dispatched, …), or None."""
    return _STEP_NAMES.get(term_key(text))


def answer(text: str) -> str | None:
    """The satisfaction a callback answer names (满意, 基本满意, 不满意, …), or None."""
    return _ANSWER_NAMES.get(term_key(text))


def resolved(text: str) -> bool | None:
    """Whether a 是否解决 cell says yes (True), no (False), or neither (None)."""
    key = term_key(text)
    return True if key in _YES else False if key in _NO else None


def labels(terms: Mapping[str, Term], *, lang: str) -> str:
    """Every term's label in ``lang``, for messages: 受理, 签收, …"""
    return ", ".join(t.zh if lang == "zh" else t.en for t in terms.values())
