"""Cells safe to open in a spreadsheet: text that Excel or WPS would run as a formula gets a '."""

from __future__ import annotations

import pandas as pd


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def guard_cell(value: object) -> object:
    """=…, @…, tab, CR, and +…/-… that are not numbers get a ' first; anything else is kept."""
    if not isinstance(value, str) or not value:
        return value
    risky = value[0] in "=@\t\r" or (value[0] in "+-" and not _is_number(value))
    return "'" + value if risky else value


def guard_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(guard_cell)
