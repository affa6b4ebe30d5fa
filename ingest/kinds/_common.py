"""Small helpers shared by several ingest kinds."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ingest.kinds import JobContext


def start_frame(frame: pd.DataFrame, ctx: JobContext, columns: tuple[str, ...]) -> pd.DataFrame:
    """A frame of the table's columns: ``source`` from the job, the rest copied where present."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        out[column] = frame.get(column, None)
    out["source"] = ctx.source
    out["reason"] = pd.Series(None, index=frame.index, dtype=object)
    return out


def lookup_column(
    values: pd.Series, find: Callable[[str], str | None], *, what: str, out: pd.DataFrame
) -> pd.Series:
    """Map free text to registry keys; unknown text becomes the row's reason."""
    keys = values.map(lambda v: find(v) if isinstance(v, str) else None)
    unknown = values.notna() & keys.isna() & out["reason"].isna()
    out.loc[unknown, "reason"] = f"未知的{what}「" + values[unknown].astype(str) + "」 (unknown)"
    missing = values.isna() & out["reason"].isna()
    out.loc[missing, "reason"] = f"缺少{what} (missing)"
    return keys
