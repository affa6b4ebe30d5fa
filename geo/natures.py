"""12345's 诉求性质 (the nature of a request) and 紧急程度 (urgency), as platforms write them.

Deadline rules depend on them beside the category (``[sla.natures]``, ``[sla.urgency]`` in the
district file; see :mod:`geo.sla`). Keys are stored on ``incident``; a text no term names is
loaded as unknown (NULL), never quarantined: the case is still a resident's.
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.lifecycle import Term, index_terms, term_key

NATURES: Mapping[str, Term] = index_terms(
    (
        Term("consult", "咨询", "consultation", ("咨询类", "询问", "政策咨询", "consult")),
        Term("help", "求助", "request for help", ("求助类", "帮助", "help")),
        Term("complaint", "投诉", "complaint", ("投诉类", "complain")),
        Term("report", "举报", "report", ("举报类", "检举", "whistleblowing")),
        Term("suggestion", "建议", "suggestion", ("建议类", "意见建议", "意见", "suggest")),
    )
)
URGENCIES: Mapping[str, Term] = index_terms(
    (
        Term("normal", "一般", "normal", ("普通", "非紧急", "常规", "regular")),
        Term("urgent", "紧急", "urgent", ("加急", "急", "急件")),
        Term("critical", "特急", "critical", ("特别紧急", "特急件", "非常紧急")),
    )
)
_NATURE = {name: t.key for t in NATURES.values() for name in t.names}
_URGENCY = {name: t.key for t in URGENCIES.values() for name in t.names}


def nature(text: str) -> str | None:
    """The nature a text names (咨询, 投诉类, complaint, …), or None."""
    return _NATURE.get(term_key(text))


def urgency(text: str) -> str | None:
    """The urgency a text names (一般, 紧急, 特急, …), or None."""
    return _URGENCY.get(term_key(text))
