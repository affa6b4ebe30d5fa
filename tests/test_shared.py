"""dashboard/shared.py: values shared between requests, per key, computed once at a time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.shared import SharedResults


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counter():
    calls: list[int] = []

    def make() -> int:
        calls.append(1)
        return len(calls)

    return calls, make


def test_a_key_is_computed_once_while_fresh_and_again_when_older_than_max_age() -> None:
    clock = Clock()
    shared = SharedResults(clock=clock)
    _, make = counter()
    assert [shared.get(("all", "district"), make, max_age=10) for _ in range(3)] == [1, 1, 1]
    clock.now += 9.9
    assert shared.get(("all", "district"), make, max_age=10) == 1
    clock.now += 0.2
    assert shared.get(("all", "district"), make, max_age=10) == 2


def test_a_value_of_another_version_serves_only_while_younger_than_settle() -> None:
    """Under a continuous feed (the change counter moving every half second) a view is made at
    most once per ``settle`` seconds; a quiet counter keeps it for ``max_age``."""
    clock = Clock()
    shared = SharedResults(clock=clock)
    _, make = counter()
    get = lambda version: shared.get("view", make, max_age=10, version=version, settle=2)  # noqa: E731
    assert get("t1") == 1
    clock.now += 1.5
    assert get("t2") == 1  # changed 1.5 s after it was made: still served
    clock.now += 0.6
    assert get("t3") == 2  # 2.1 s: made again, now of version t3
    clock.now += 9.0
    assert get("t3") == 2  # the same version: kept for max_age
    clock.now += 1.1
    assert get("t3") == 3


def test_keys_never_share_values_so_a_scope_in_the_key_keeps_accounts_apart() -> None:
    shared = SharedResults()
    assert shared.get(("streets:3", "district"), lambda: "street 3's") == "street 3's"
    assert shared.get(("all", "district"), lambda: "everyone's") == "everyone's"
    assert shared.get(("streets:4", "district"), lambda: "street 4's") == "street 4's"
    assert shared.get(("streets:3", "district"), lambda: "other") == "street 3's"


def test_without_max_age_a_value_stays_until_pushed_out_by_newer_keys() -> None:
    shared = SharedResults(max_entries=2)
    shared.get("a", lambda: 1)
    shared.get("b", lambda: 2)
    shared.get("c", lambda: 3)  # pushes out "a", the oldest
    assert len(shared) == 2
    assert shared.get("b", lambda: 20) == 2
    assert shared.get("a", lambda: 10) == 10


def test_values_of_get_are_let_go_once_past_max_age_and_those_of_follow_are_kept() -> None:
    """A busy server's screens ask for many views, each served for ``max_age``: the stale ones
    are dropped (their memory freed) when the next is made, not held until ``max_entries``."""
    clock = Clock()
    views, parts = SharedResults(max_entries=256, clock=clock), SharedResults(max_entries=256, clock=clock)
    for n in range(10):
        views.get(("view", n), lambda: "made", max_age=10)
        parts.follow(("sums", n), lambda previous: (previous or 0) + 1, max_age=10)
        clock.now += 2
    assert len(views) == 5  # made 10, 8, 6, 4 and 2 s ago: the older five were let go
    assert len(parts) == 10  # the next step starts from each
    assert parts.follow(("sums", 0), lambda previous: (previous or 0) + 1, max_age=10) == 2
    assert views.get(("view", 0), lambda: "again", max_age=10) == "again"


def test_callers_arriving_during_a_computation_wait_for_it_instead_of_computing_again() -> None:
    shared, started, release = SharedResults(), threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "view"

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(shared.get, "k", slow)
        started.wait(5)
        others = [pool.submit(shared.get, "k", slow) for _ in range(7)]
        release.set()
        assert {first.result(), *(f.result() for f in others)} == {"view"}
    assert len(calls) == 1


def test_a_failed_computation_is_not_kept_and_its_waiters_compute_on_their_own() -> None:
    shared, started, release = SharedResults(), threading.Event(), threading.Event()

    def broken() -> str:
        started.set()
        release.wait(5)
        raise RuntimeError("database down")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(shared.get, "k", broken)
        started.wait(5)
        waiter = pool.submit(shared.get, "k", lambda: "fine")
        release.set()
        with pytest.raises(RuntimeError):
            first.result()
        assert waiter.result() == "fine"
    assert shared.get("k", lambda: "again") in ("again", "fine")  # the failure itself was not kept
