"""Applying a delta to the in-memory facts (layers/facts.apply) without a database: new
incidents are appended into spare capacity and updated rows copy only the arrays that changed,
yet every earlier copy (which a request may still be aggregating) stays exactly as it was."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from layers.facts import Facts, apply, columns, equal

_INTS = {"rework", "category", "source", "street", "community", "grid", "department", "satisfaction", "resolved"}  # fmt: skip


def _rows(ids: list[int], *, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {"ids": np.array(ids, dtype=np.int64)}
    for name in columns()[1:]:
        if name in _INTS:
            out[name] = rng.integers(0, 3, len(ids)).astype(np.int32)
        elif name in ("lon", "lat"):
            out[name] = rng.random(len(ids)).astype(np.float32)
        else:
            values = rng.random(len(ids)) * 1e9
            values[rng.random(len(ids)) < 0.3] = np.nan
            out[name] = values
    out["sign_due"] = out["reported"] + 7200
    return out


def _facts(rows: dict[str, np.ndarray]) -> Facts:
    return Facts(**rows, categories=("a", "b", "c"), sources=("x", "y", "z"), departments=("d", "e", "f"))


def _snapshot(facts: Facts) -> dict[str, np.ndarray]:
    return {n: getattr(facts, n).copy() for n in (*columns(), "sign_due")}


def _unchanged(facts: Facts, before: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(getattr(facts, n), v, equal_nan=True) for n, v in before.items())


_STEP = st.tuples(st.integers(0, 5), st.integers(0, 4), st.integers(0, 3), st.integers(0, 10_000))


@settings(max_examples=60, deadline=None)
@given(st.lists(_STEP, min_size=1, max_size=8))
# found by hypothesis: a copy made without appending from an older copy (back 2) appended into
# the room a later copy had already used
@example([(0, 1, 0, 0), (1, 0, 0, 1), (0, 0, 0, 0), (0, 0, 2, 0), (1, 0, 0, 0)])
def test_deltas_equal_rebuilt_facts_and_leave_earlier_copies_alone(steps):
    """Each step appends ``new`` incidents above the last id and rewrites ``changed`` held ones;
    sometimes it goes on from an older copy (one superseded must not write into shared room)."""
    truth = _rows(list(range(10, 30)), seed=0)
    copies = [(_facts(truth), truth)]
    kept = [(copies[0][0], _snapshot(copies[0][0]))]
    for new, changed, back, seed in steps:
        facts, state = copies[max(0, len(copies) - 1 - back)]
        last = int(state["ids"][-1])
        held = state["ids"][np.linspace(0, len(state["ids"]) - 1, changed).astype(int)] if changed else []
        ids = sorted({*map(int, held), *range(last + 1, last + 1 + new)})
        rows = _rows(ids, seed=seed)
        result = apply(facts, np.array(ids, dtype=np.int64), rows)
        merged = {n: np.concatenate([state[n], rows[n]]) for n in state}
        order = np.unique(merged["ids"][::-1], return_index=True)[1]
        expected = {n: v[::-1][order] for n, v in merged.items()}  # the newest value of each id
        assert equal(result, _facts(expected)) == []
        assert np.array_equal(result.sign_due, expected["sign_due"], equal_nan=True)
        assert all(_unchanged(f, snap) for f, snap in kept), "an earlier copy changed"
        copies.append((result, expected))
        kept.append((result, _snapshot(result)))


def test_appending_reuses_the_buffers_and_an_update_copies_only_what_changed():
    first = _facts(_rows(list(range(1, 1001)), seed=1))
    rows = _rows([1001, 1002], seed=2)
    second = apply(first, rows["ids"], rows)  # no room yet: the arrays move to roomier buffers
    third = apply(second, np.array([1003]), _rows([1003], seed=3))
    assert np.shares_memory(second.reported, third.reported)  # appended in place
    assert len(second) == 1002 and len(third) == 1003
    update = {n: getattr(third, n)[-1:].copy() for n in (*columns(), "sign_due")}
    update["handled"] = np.array([123.0])
    fourth = apply(third, np.array([1003]), update)
    assert not np.shares_memory(third.handled, fourth.handled) and fourth.handled[-1] == 123.0
    assert np.shares_memory(third.reported, fourth.reported)  # unchanged arrays are shared
    assert third.handled[-1] != 123.0
    fifth = apply(third, np.array([1004]), _rows([1004], seed=4))  # from a superseded copy
    assert not np.shares_memory(fifth.reported, fourth.reported)
    assert len(fourth) == 1003 and fourth.ids[-1] == 1003
