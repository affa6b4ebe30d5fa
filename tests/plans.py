"""Route-planning problems for the solver tests: random sites with known distances."""

import numpy as np

from layers import routing


def problem(n=40, *, teams=2, days=3, capacity=5, mandatory=(), last_day=None, seed=1):
    """A routing problem: ``n`` random sites and the depot in a 2 km square, the ``mandatory``
    ones due by ``last_day``."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 2000, (n + 1, 2))
    matrix = np.rint(np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1))).astype(np.int64)
    visits = tuple(
        routing.Visit(
            score=float(rng.uniform(0, 50)),
            mandatory=i in mandatory,
            last_day=(last_day if i in mandatory else None),
        )
        for i in range(n)
    )
    return routing.Problem(matrix, visits, teams, days, capacity)


def flat(routes):
    """Every visit of every team on every day."""
    return [s for day in routes for team in day for s in team]
