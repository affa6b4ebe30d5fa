"""SQL assembled from this package's fixed fragments (never from user input: values are bound)."""

from __future__ import annotations

import sqlalchemy as sa


def compose(template: str, **fragments: str) -> sa.TextClause:
    """``template`` with ``{name}`` replaced by fixed SQL fragments; values stay bind parameters."""
    return sa.text(template.format(**fragments))
