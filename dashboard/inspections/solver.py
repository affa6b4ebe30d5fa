"""Route solving for the planning page, outside the request threads' interpreter.

OR-Tools' routing search holds Python's GIL for its whole time limit (1 s; measured: a thread
spinning beside it got no time at all): solved in a request thread it stops every other request
of that gunicorn worker, page loads and wall-screen refreshes included, for that long. Each app
therefore solves in one process of its own (started when first needed, or at a worker's warm-up,
by ``spawn``: a threaded process is never forked). The worker's threads go on meanwhile; the
solve still takes its CPU time, one core at most per worker.

An identical problem (the same distances, visits, teams, days, capacity and time limit: a second
press of Plan, or two leaders asking the same of the same street's register) is solved once and
its answer reused. The key is the whole problem, so a changed target, visit, pin or drop makes a
new problem, and an answer only ever reaches a caller who asked exactly that question.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from dashboard.shared import SharedResults
from layers import routing

WAIT_MARGIN_S = 60.0  # beyond the time limit: a process this late is given up for this request


def problem_key(problem: routing.Problem, *, seconds: float) -> str:
    """A digest of everything the solver's answer depends on."""
    digest = hashlib.sha256(problem.matrix.astype("<i8").tobytes())
    digest.update(repr((problem.matrix.shape, problem.visits, problem.teams, problem.days)).encode())
    digest.update(repr((problem.capacity, seconds)).encode())
    return digest.hexdigest()


def _copy(routes: routing.Routes) -> routing.Routes:
    return [[list(team) for team in day] for day in routes]


class Solver:
    """Per app: solves in a process of its own (``in_process``: in the caller's thread), keeping
    the answers to the last ``MAX_ANSWERS`` distinct problems."""

    MAX_ANSWERS = 32

    def __init__(self, *, in_process: bool = False) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._answers = SharedResults(max_entries=self.MAX_ANSWERS)
        self._in_process = in_process
        self.solved = 0  # problems actually solved (not answered from the ones kept)

    def solve(self, problem: routing.Problem, *, seconds: float) -> routing.Routes:
        """As ``layers.routing.solve``; a copy, so callers never share one answer's lists."""
        key = problem_key(problem, seconds=seconds)
        return _copy(self._answers.get(key, lambda: self._solve(problem, seconds)))

    def _solve(self, problem: routing.Problem, seconds: float) -> routing.Routes:
        with self._lock:
            self.solved += 1
        if self._in_process:
            return routing.solve(problem, seconds=seconds)
        try:
            future = self._executor().submit(routing.solve, problem, seconds=seconds)
            return future.result(timeout=seconds + WAIT_MARGIN_S)
        except (
            BrokenProcessPool,
            OSError,
        ):  # killed, out of memory, stuck (TimeoutError): a new one next time
            self.close()
            return routing.solve(problem, seconds=seconds)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            return self._pool

    def warm_up(self) -> None:
        """Start the process and load OR-Tools in it now (a gunicorn worker does this before it
        takes requests), so the first Plan does not wait for it."""
        if not self._in_process:
            self._executor().submit(
                routing.solve, routing.Problem(np.zeros((1, 1), np.int64), (), 1, 1, 1)
            ).result(timeout=120)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
