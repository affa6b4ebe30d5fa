"""Query results as frames and arrays (geo/results.py), on the real server."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from geo.results import result_array, result_frame

_ROWS = sa.text(
    "SELECT * FROM (VALUES (1, 'a', 1.5::float8), (2, NULL, NULL)) AS t(id, name, x) WHERE id <= :n"
)


def test_a_frame_keeps_the_column_names_and_values_even_with_no_rows(engine):
    with engine.connect() as conn:
        two, none = result_frame(conn.execute(_ROWS, {"n": 2})), result_frame(conn.execute(_ROWS, {"n": 0}))
    assert list(two.columns) == list(none.columns) == ["id", "name", "x"]
    assert (
        two["id"].tolist() == [1, 2]
        and two["name"].iloc[0] == "a"
        and two["name"].isna().tolist() == [False, True]
        and none.empty
    )


def test_an_array_has_one_row_per_result_row_and_null_as_nan(engine):
    query = sa.text("SELECT id, x FROM (VALUES (1, 1.5::float8), (2, NULL)) AS t(id, x) WHERE id <= :n")
    with engine.connect() as conn:
        two, none = (
            result_array(conn.execute(query, {"n": 2}), width=2),
            result_array(conn.execute(query, {"n": 0}), width=2),
        )
    assert two.shape == (2, 2) and two[0].tolist() == [1.0, 1.5] and np.isnan(two[1, 1])
    assert none.shape == (0, 2)
