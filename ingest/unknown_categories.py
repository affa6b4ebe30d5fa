"""Incident category texts the district does not know: counted by the job, listed with the TOML
that would give each a category (or file it under a related one).

Such incidents are loaded as 其他 (other), not quarantined: each is a resident's case with a
deadline that someone must meet, and a quarantined case is off the wall screen and its overdue
alerts. Once the district file knows the text, ingesting the file again updates those rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from geo.vocabulary import Vocabulary

REPORT_KEY = "unknown_categories"
MAX_TEXTS = 200  # distinct texts kept in the run's record; any more are counted in a note
SHOWN = 20  # listed by the command line


def note_unknown(
    report: dict[str, Any], notes: Counter[str], texts: pd.Series, vocabulary: Vocabulary
) -> None:
    """Add the rows of ``texts`` (category texts that found no category) to the job's report."""
    entries: list[dict[str, Any]] = report.setdefault(REPORT_KEY, [])
    by_text = {e["text"]: e for e in entries}
    for text, rows in texts.astype(str).str.strip().value_counts().items():
        entry = by_text.get(str(text))
        if entry is None and len(entries) >= MAX_TEXTS:
            notes["unknown category texts beyond the first 200 (rows)"] += int(rows)
            continue
        if entry is None:
            entry = {"text": str(text), "rows": 0, "toml": vocabulary.suggestion(str(text))}
            entries.append(entry)
            by_text[str(text)] = entry
        entry["rows"] += int(rows)
    entries.sort(key=lambda e: (-e["rows"], e["text"]))


def summary_lines(report: dict[str, Any], *, where: str) -> list[str]:
    """What the command line prints: each unknown text with its rows and the TOML to add."""
    entries = report.get(REPORT_KEY) or []
    if not entries:
        return []
    lines = [
        f"unknown categories, loaded as 其他 (other): {len(entries)} texts. To give one a category, "
        f"add its lines to {where}, then ingest the file again:"
    ]
    for entry in entries[:SHOWN]:
        rows = entry["rows"]
        lines.append(f"  「{entry['text']}」 {rows} row{'' if rows == 1 else 's'}:")
        lines += [f"    {line}" for line in str(entry["toml"]).splitlines()]
    if len(entries) > SHOWN:
        lines.append(f"  … and {len(entries) - SHOWN} more texts with fewer rows")
    return lines
