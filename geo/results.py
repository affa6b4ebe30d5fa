"""Query results as pandas frames and numpy arrays.

pandas and numpy probe each SQLAlchemy ``Row`` for array attributes, and every probe raises and
catches a ``KeyError`` inside SQLAlchemy: 6,753 rows of two floats took 160–200 ms as Rows and
3 ms as plain tuples (bench_load's inspection plans spent a tenth of the server's time there).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from numpy.typing import NDArray


def result_frame(result: sa.CursorResult[Any]) -> pd.DataFrame:
    """The rows of ``result`` as a frame with its column names (columns even with no rows)."""
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


def result_array(rows: Iterable[sa.Row[Any]], *, width: int) -> NDArray[np.float64]:
    """Rows of ``width`` numbers as an ``n × width`` float array (NULL as NaN)."""
    return np.array([tuple(r) for r in rows], dtype=np.float64).reshape(-1, width)
