"""The fast paths of ingest parsing give exactly what the general parsers give, and incident
ids drawn for a fresh partition are new and unique."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import partitions
from ingest import _isotime
from ingest.fields import TZ, parse, to_float
from ingest.kinds import get_kind

FIELD = next(f for f in get_kind("incidents").fields if f.type == "datetime")


def _general(cells: list[str | None]) -> pd.Series:
    """What pandas reads from the usual layout, within the nanosecond range."""
    times = pd.to_datetime(pd.Series(cells, dtype=object), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    return times.where(times.dt.year.between(1678, 2261))


def test_fixed_width_times_match_pandas_on_every_kind_of_field() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    parts = [
        rng.integers(lo, hi, n) for lo, hi in ((1600, 2400), (0, 14), (0, 33), (0, 26), (0, 62), (0, 62))
    ]
    cells = [
        f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{i:02d}:{s:02d}" for y, m, d, h, i, s in zip(*parts, strict=True)
    ]
    times, read = _isotime.parse(pa.array(cells))
    expected = _general(cells)
    ok = expected.notna().to_numpy() & (parts[5] < 60)  # a 60th second is left to the general parsers
    assert 50_000 < read.sum() < n  # both real and impossible dates were generated
    assert np.array_equal(read, ok)
    assert np.array_equal(times[read], expected.to_numpy()[read])
    assert np.isnat(times[~read]).all()


@pytest.mark.parametrize(
    "cell",
    [
        "2024-02-29 23:59:59",
        "2023-02-29 00:00:00",
        "2024-05-01 08:30:60",
        "2024-05-01 24:00:00",
        "2024-05-0a 08:30:00",
        "2024-05-01T08:30:00",
        "2024/05/01 08:30:00",
        "2024-05-01 08:30:00+08:00",
        "2300-01-01 00:00:00",
        "2024-5-1 8:30:00",
    ],
)
def test_times_read_the_same_with_or_without_the_fast_path(cell: str) -> None:
    """One cell in the usual layout next to it; each cell must read as it does alone."""
    both, bad_both = parse(pd.Series([cell, "2024-05-01 08:30:00"], dtype="string[pyarrow]"), FIELD)
    alone, bad_alone = parse(pd.Series([cell], dtype="string[pyarrow]"), FIELD)
    assert both.iloc[0] is alone.iloc[0] or both.iloc[0] == alone.iloc[0]
    assert bool(bad_both.iloc[0]) == bool(bad_alone.iloc[0])
    assert both.iloc[1] == pd.Timestamp("2024-05-01 08:30:00", tz=TZ)


_DECIMAL_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["+1", "-.5", "5.", "1e5", "1E+05", "1e400", "1e-400", "007"]),
)
_OTHER_TEXT = st.sampled_from(["nan", "NaN", "inf", "-Infinity", "0x10", "1_0", "1.2.3", ".", "abc", "١٢"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_DECIMAL_TEXT, _OTHER_TEXT, st.none()), min_size=1, max_size=20))
def test_numbers_read_the_same_with_or_without_the_fast_path(cells: list[str | None]) -> None:
    column = pd.Series(cells, dtype="string[pyarrow]")
    together = to_float(column).to_numpy()
    one_by_one = np.array([to_float(pd.Series([c], dtype="string[pyarrow]")).iloc[0] for c in cells])
    assert np.array_equal(together, one_by_one, equal_nan=True)
    assert not np.isinf(together).any()


def test_ids_drawn_for_a_fresh_partition_are_new_and_distinct(demo: sa.Engine) -> None:
    with demo.begin() as conn:
        top = conn.execute(sa.text("SELECT max(id) FROM incident")).scalar() or 0
        drawn = partitions.reserve_ids(conn, 1000)
        one_by_one = partitions.reserve_ids(conn, 10, tries=0)  # the path taken under contention
        after = conn.execute(sa.text("SELECT nextval(pg_get_serial_sequence('incident', 'id'))")).scalar()
    ids = np.concatenate([drawn, one_by_one])
    assert len(np.unique(ids)) == 1010 and ids.min() > top and after > ids.max()
    assert np.array_equal(drawn, np.arange(drawn[0], drawn[0] + 1000))
