"""dashboard/inspections/solver.py: route solving in a process of its own, answers kept per problem."""

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dashboard.inspections.solver import Solver, problem_key
from geo.inspection_settings import InspectionSettings
from layers import routing
from layers.network import NetworkCache
from layers.plan import PlanRequest, make_plan
from tests.plans import flat as _flat
from tests.plans import problem as _problem
from tests.sql import one


@pytest.fixture(scope="module")
def solver():
    s = Solver()
    yield s
    s.close()


def test_the_process_answers_as_the_solver_does_and_an_identical_problem_is_solved_once(solver):
    problem = _problem(mandatory=set(range(0, 40, 4)), last_day=0)
    before = solver.solved
    routes = solver.solve(problem, seconds=0.3)
    visited = _flat(routes)
    assert len(visited) == len(set(visited)) == 2 * 3 * 5
    assert set(range(0, 40, 4)) <= set(routes[0][0] + routes[0][1])  # mandatory ones on day 1
    again = solver.solve(_problem(mandatory=set(range(0, 40, 4)), last_day=0), seconds=0.3)
    assert again == routes and solver.solved == before + 1
    again[0][0].clear()  # a caller changing its answer changes no one else's
    assert solver.solve(problem, seconds=0.3) == routes


def test_any_change_to_the_problem_is_a_new_problem():
    base = _problem()
    key = problem_key(base, seconds=1.0)
    pinned = dataclasses.replace(
        base, visits=(dataclasses.replace(base.visits[0], mandatory=True), *base.visits[1:])
    )
    moved = base.matrix.copy()
    moved[1, 2] += 1
    changed = [
        pinned,  # a pin
        dataclasses.replace(base, visits=base.visits[1:], matrix=base.matrix[1:, 1:]),  # a drop
        dataclasses.replace(base, matrix=moved),  # one distance
        dataclasses.replace(base, teams=3),
        dataclasses.replace(base, days=4),
        dataclasses.replace(base, capacity=6),
    ]
    keys = {problem_key(p, seconds=1.0) for p in changed} | {problem_key(base, seconds=2.0)}
    assert key not in keys and len(keys) == len(changed) + 1
    assert problem_key(_problem(), seconds=1.0) == key


def test_solving_in_the_process_leaves_the_other_threads_running(solver):
    """OR-Tools holds the GIL while it searches: in-process, a thread beside it stands still; in
    the solver's own process it runs on. Counted against the same solve in-process, on the same
    host at the same time, so a busy host slows both alike (an absolute count failed beside a
    loaded CI run: 852,692 against the million it asked)."""
    solver.solve(_problem(n=5, seed=9), seconds=0.05)  # the process is up
    beside = _spins_during(lambda: solver.solve(_problem(n=60, seed=3), seconds=1.0))
    inside = _spins_during(lambda: Solver(in_process=True).solve(_problem(n=60, seed=3), seconds=1.0))
    assert beside > 2 * inside, (beside, inside)  # 6-16 times as often, alone or beside stress-ng --cpu 2


def _spins_during(work: Callable[[], object]) -> int:
    """How often a thread beside ``work`` went round its loop while ``work`` ran."""
    spins, stop = [0], threading.Event()

    def spin():
        while not stop.is_set():
            spins[0] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        work()
        return spins[0]
    finally:
        stop.set()
        thread.join()


def test_in_process_solving_gives_the_same_kind_of_answer():
    routes = Solver(in_process=True).solve(
        _problem(n=12, teams=1, days=1, capacity=5, mandatory=set(range(8))), seconds=0.2
    )
    assert len(_flat(routes)) == 5 and set(_flat(routes)) <= set(range(8))
    assert routing.route_length(_problem(n=12).matrix, routes[0][0]) > 0


def test_a_street_plan_is_solved_again_only_when_its_targets_visits_or_choices_change(demo):
    street = one(demo, "SELECT street_id FROM inspection_target GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    solver, today = Solver(in_process=True), dt.date.today()
    request = PlanRequest(street=street, start=today, days=2, teams=2, visits_per_day=5, seconds=0.2)
    with demo.connect() as conn:
        network = NetworkCache().get(conn)

        def plan(req):
            return make_plan(
                conn, network, req, today=today, settings=InspectionSettings(), solve=solver.solve
            )

        first = plan(request)
        assert plan(request).routes == first.routes and solver.solved == 1  # pressed again
        # a target left out that is not already mandatory (a rectification the solver could not
        # fit, which a slow machine's 0.2 s may leave out too): pinning it changes the problem
        target = next(t for t in first.left_out if t not in first.missed_mandatory)
        pinned = plan(dataclasses.replace(request, pinned=frozenset({target})))
        assert solver.solved == 2 and target in {s.target for r in pinned.routes for s in r.stops}
        conn.execute(
            sa.text("UPDATE inspection_target SET risk_level = 3 - risk_level WHERE id = :t"), {"t": target}
        )
        plan(request)  # the register changed (a target's risk level): a new problem
        assert solver.solved == 3
        conn.rollback()
