"""``gridgov serve``: the dashboard under gunicorn, started from Python.

The app is not preloaded: each worker process builds its own app and database engine after
the fork, so no connection is ever shared between processes.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from gunicorn.app.base import BaseApplication
from sqlalchemy.engine import Engine

from dashboard.app import create_app
from dashboard.auth.current import current_row_scope
from dashboard.coverage.views import CoverageCache
from dashboard.identity import IdentityCache
from dashboard.inspections.solver import Solver
from dashboard.monitor import page as monitor
from dashboard.monitor.views import MonitorCache
from dashboard.ops.db_down import UNAVAILABLE, reason
from dashboard.ops.logs import GunicornLogger, configure_logging
from dashboard.ops.memory import release_large_buffers
from geo import row_scope
from geo.db import make_engine, web_database_url
from geo.district_names import DistrictNames
from geo.errors import GridgovError
from geo.settings import Settings
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary

log = logging.getLogger("gridgov.server")


def wsgi_app(settings: Settings, *, engine: Engine | None = None) -> Any:
    """A fresh WSGI app, with an engine of its own unless given one (called in each worker; the
    engine lives as long as the worker), logged in as the web's own role (``web_database_url``:
    neither superuser nor owner)."""
    engine = engine or make_engine(web_database_url(settings), pool_size=settings.threads)
    vocabulary = Vocabulary.from_file(settings.district_file)  # the app and its warm-up share it
    sla = SlaRules.from_file(settings.district_file, vocabulary=vocabulary)  # sign-off, 临期 horizon
    cache, solver, coverage = MonitorCache(sla), Solver(), CoverageCache()
    identity = IdentityCache(engine, DistrictNames.from_file(settings.district_file))
    app = create_app(
        settings,
        engine,
        monitor_cache=cache,
        solver=solver,
        coverage_cache=coverage,
        vocabulary=vocabulary,
        identity_cache=identity,
    )
    _warm_up(
        app.server,
        settings=settings,
        engine=engine,
        caches=(cache, coverage),
        vocabulary=vocabulary,
        identity=identity,
    )
    solver.warm_up()  # the route solver's process, with OR-Tools loaded
    return app.server


def _warm_up(
    server: Any,
    *,
    settings: Settings,
    engine: Engine,
    caches: tuple[MonitorCache, CoverageCache],
    vocabulary: Vocabulary,
    identity: IdentityCache,
) -> None:
    """Serve a page once before the worker takes requests. Dash sets itself up (registers the
    JS/CSS bundles it may serve) on its first request, and a new worker's first requests are the
    page's scripts in parallel threads: those that overtake the set-up get HTTP 500. The login
    page is the one page open without a session."""
    response = server.test_client().get("/login")
    if response.status_code != 200:
        raise RuntimeError(f"the login page does not render (HTTP {response.status_code})")
    # build the wall screen once too, and load what the first requests need: the incident facts,
    # grid weights and outlines, the road network and buildings (a cold process needs seconds for
    # 1M incidents, and the first requests waited for them). In the district-wide row scope the
    # wall screens use (facts are kept per scope), as requests run: outside one that is everything.
    # A database that is down now must not stop the worker: pages say so until it is back.
    scoped = engine.execution_options()
    row_scope.install(scoped, current_row_scope)
    try:
        monitor.build(scoped, settings, caches[0], query={}, vocabulary=vocabulary, identity=identity.get())
    except UNAVAILABLE as error:
        log.warning("warm-up skipped: database unavailable", extra={"reason": reason(error)})
        return
    _warm_caches(scoped, caches)


def _warm_caches(engine: Engine, caches: tuple[MonitorCache, CoverageCache]) -> None:
    """Load ahead what requests would load anyway; anything that fails here (a database gone
    meanwhile, a district with no grids yet) fails the same way in the request that needs it."""
    try:
        with engine.connect() as conn:
            caches[0].warm(conn)
            caches[1].warm(conn)
    except Exception as error:
        log.warning("warm-up incomplete", extra={"reason": f"{type(error).__name__}: {error}"[:200]})


def _check_free(host: str, port: int) -> None:
    """Refuse a port another server listens on: the workers' sockets (``reuse_port``) would
    otherwise share it with another gridgov started on the same port, each taking some users."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            raise GridgovError(
                f"cannot listen on {_bind(host, port)}: {error.strerror}; stop the server using it"
                " or choose another port (--port, GRIDGOV_PORT)"
            ) from error


LISTENING = "worker listening"


def _listening(arbiter: Any, worker: Any) -> None:
    """gunicorn's ``post_fork`` hook, in the new worker once its socket is bound (with
    ``reuse_port`` the master binds none): from now on connections queue for it."""
    arbiter.log.info("%s at %s (pid %s)", LISTENING, ",".join(map(str, worker.sockets)), worker.pid)


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(settings: Settings, *, host: str, port: int) -> dict[str, Any]:
    return {
        "bind": _bind(host, port),
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.threads,
        # from bench/bench_load.py (50 users, 1M incidents, 2 cores): requests are CPU-bound, so
        # workers = cores (settings.workers) and threads 4 (p95 592 ms, 27.7 requests/s; an earlier
        # round found 8 threads within the noise for p95 but a quarter more p50 and memory)
        "timeout": 60,  # a worker silent this long is restarted; the slowest request seen took 1.7 s
        # longer than a load balancer's idle timeout (60 s is usual, and the wall screen's refresh):
        # idle connections are closed by the client side, never under a request being sent
        "keepalive": 75,
        "preload_app": False,
        # each worker listens on a socket of its own and the kernel spreads new connections over
        # them: with one shared socket the worker already running on a CPU takes them first, and
        # on 2 busy cores one worker held 38 and then 48 of 50 users while the other idled
        # (bench_load), keep-alive keeping them there
        "reuse_port": True,
        "post_fork": _listening,  # so the log says when the first socket is bound
        "accesslog": None,  # the app logs each request itself, as JSON with its request id
        "errorlog": "-",
        "logger_class": GunicornLogger,  # gunicorn's own lines as JSON too
        "control_socket_disable": True,  # else every gunicorn on the host shares ~/.gunicorn/gunicorn.ctl
        "proc_name": "gridgov",
    }


class _Server(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        configure_logging()
        release_large_buffers()  # in each worker: its facts' arrays go back to the OS when freed
        return wsgi_app(self._settings)


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve the dashboard on ``host:port`` with ``settings.workers`` workers until stopped."""
    _check_free(host, port)
    _Server(settings, gunicorn_options(settings, host=host, port=port)).run()
