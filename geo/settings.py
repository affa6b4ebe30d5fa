"""One settings object, read from the environment once and passed explicitly.

Every setting is documented in README.md (a test checks this). Names and defaults:

- ``DATABASE_URL``: an external PostgreSQL+PostGIS server; unset means the embedded cluster.
- ``GRIDGOV_WEB_DATABASE_URL``: the web app's own login on that server, a role that is
  neither superuser nor owner, a member of ``gridgov_web`` (default: ``gridgov_app`` on the
  embedded cluster; ``DATABASE_URL`` on an external one).
- ``GRIDGOV_DATA_DIR``: where the embedded cluster lives (default ``<project>/var``).
- ``GRIDGOV_PG_BINDIR``: PostgreSQL server programs (default: newest ``/usr/lib/postgresql/*/bin``).
- ``GRIDGOV_PG_OS_USER``: the unprivileged OS user that runs the server when gridgov runs as
  root (default ``postgres``).
- ``GRIDGOV_HOST`` / ``GRIDGOV_PORT``: where ``gridgov serve`` listens (``127.0.0.1`` / ``8050``).
- ``GRIDGOV_WORKERS``: WSGI worker processes (default ``2``).
- ``GRIDGOV_THREADS``: request threads per worker, each with a pooled connection (default ``4``).
- ``GRIDGOV_TILE_URL``: optional raster tile URL template for a base map (default: none; the
  map is drawn from our own layers only, so nothing leaves the machine).
- ``GRIDGOV_DISTRICT_FILE``: the district's settings file: SLA deadlines, office hours, local
  holidays (default ``<project>/data/district.toml``).
- ``GRIDGOV_REFRESH_SECONDS``: how often the wall screen refreshes its data (default ``60``).
- ``GRIDGOV_KIOSK_SECONDS``: how long kiosk mode shows each street (default ``20``).
- ``GRIDGOV_CHANGE_POLL_SECONDS``: how often the wall screen asks whether incidents changed
  (a cheap counter); its figures refresh at once when they did (default ``2``).
- ``GRIDGOV_KIOSK_SOUND``: ``1`` for a short tone in kiosk mode when new, newly overdue or due
  soon cases appear (default ``0``).
- ``GRIDGOV_SECRET_KEY``: the key that signs session cookies (default: generated once into
  ``<data dir>/secret_key``, mode 0600, shared by every worker).
- ``GRIDGOV_SESSION_IDLE_MINUTES``: a session ends after this long without a request (``30``).
- ``GRIDGOV_SESSION_MAX_HOURS``: a password session ends this long after login (``12``).
- ``GRIDGOV_KIOSK_SESSION_DAYS``: a wall screen's kiosk-token session ends this long after it
  started (``30``).
- ``GRIDGOV_COOKIE_SECURE``: ``1`` when users reach the dashboard over HTTPS (a TLS proxy in
  front): cookies get the Secure flag and responses HSTS (default ``0``).
- ``GRIDGOV_ADMIN_PASSWORD``: the first admin's password when ``gridgov serve`` creates it
  (default: a random one, printed once).
- ``GRIDGOV_PROXY_HOPS``: how many reverse proxies in front of gunicorn set X-Forwarded-For and
  X-Forwarded-Proto; the client's address (login throttle, audit log) comes from them (``0``:
  no header is trusted).
- ``GRIDGOV_ALLOWED_HOSTS``: the host names (comma-separated) requests may be addressed to, in
  their ``Host`` header; others get 400 (DNS rebinding). Default: ``localhost``, ``127.0.0.1``,
  ``::1`` and ``GRIDGOV_HOST`` when it is one address; ``*`` allows any.
- ``GRIDGOV_UPLOAD_MAX_MB``: the largest file the upload page (``/data``) takes, in MB (``20``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_ANY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104 (compared with, not bound to)


@dataclass(frozen=True)
class Settings:
    """Everything gridgov reads from the environment."""

    database_url: str | None
    data_dir: Path
    pg_bindir: Path | None
    pg_os_user: str
    host: str
    port: int
    workers: int
    tile_url: str | None
    threads: int = 4
    district_file: Path = PROJECT_ROOT / "data" / "district.toml"
    refresh_seconds: int = 60
    kiosk_seconds: int = 20
    change_poll_seconds: int = 2
    kiosk_sound: bool = False
    secret_key: str | None = field(default=None, repr=False)
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    kiosk_session_days: int = 30
    cookie_secure: bool = False
    admin_password: str | None = field(default=None, repr=False)
    web_database_url: str | None = field(default=None, repr=False)
    proxy_hops: int = 0
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    upload_max_mb: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        bindir = env.get("GRIDGOV_PG_BINDIR")
        host = env.get("GRIDGOV_HOST") or "127.0.0.1"
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("GRIDGOV_DATA_DIR") or PROJECT_ROOT / "var").absolute(),
            pg_bindir=Path(bindir) if bindir else None,
            pg_os_user=env.get("GRIDGOV_PG_OS_USER") or "postgres",
            host=host,
            port=_int(env, "GRIDGOV_PORT", 8050),
            workers=_int(env, "GRIDGOV_WORKERS", 2),
            tile_url=env.get("GRIDGOV_TILE_URL") or None,
            threads=_int(env, "GRIDGOV_THREADS", 4),
            district_file=Path(env.get("GRIDGOV_DISTRICT_FILE") or PROJECT_ROOT / "data" / "district.toml"),
            refresh_seconds=_int(env, "GRIDGOV_REFRESH_SECONDS", 60),
            kiosk_seconds=_int(env, "GRIDGOV_KIOSK_SECONDS", 20),
            change_poll_seconds=_int(env, "GRIDGOV_CHANGE_POLL_SECONDS", 2),
            kiosk_sound=_bool(env, "GRIDGOV_KIOSK_SOUND"),
            secret_key=env.get("GRIDGOV_SECRET_KEY") or None,
            session_idle_minutes=_int(env, "GRIDGOV_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_int(env, "GRIDGOV_SESSION_MAX_HOURS", 12),
            kiosk_session_days=_int(env, "GRIDGOV_KIOSK_SESSION_DAYS", 30),
            cookie_secure=_bool(env, "GRIDGOV_COOKIE_SECURE"),
            admin_password=env.get("GRIDGOV_ADMIN_PASSWORD") or None,
            web_database_url=env.get("GRIDGOV_WEB_DATABASE_URL") or None,
            proxy_hops=_int(env, "GRIDGOV_PROXY_HOPS", 0),
            allowed_hosts=_hosts(env.get("GRIDGOV_ALLOWED_HOSTS"), listen=host),
            upload_max_mb=_int(env, "GRIDGOV_UPLOAD_MAX_MB", 20),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number; set it to e.g. {default}") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be positive; set it to e.g. {default}")
    return value


_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "")
    if raw.strip().lower() not in _BOOLS:
        raise ConfigError(f"{name}={raw!r} is not a yes/no value; set it to 1 or 0")
    return _BOOLS[raw.strip().lower()]


def _hosts(raw: str | None, *, listen: str) -> tuple[str, ...]:
    """The allowed host names, lower case, without brackets or ports."""
    if raw is None or not raw.strip():
        return LOCAL_HOSTS if listen in (*LOCAL_HOSTS, *_ANY_ADDRESS) else (*LOCAL_HOSTS, listen.lower())
    names = tuple(n.strip().strip("[]").lower() for n in raw.replace(" ", ",").split(",") if n.strip())
    bad = [n for n in names if n.count(":") == 1 or "/" in n]  # a port or a scheme
    if bad:
        raise ConfigError(f"GRIDGOV_ALLOWED_HOSTS: {bad} are not host names; give names without "
                          "scheme or port, e.g. GRIDGOV_ALLOWED_HOSTS=gridgov.example.gov,10.1.2.3")  # fmt: skip
    return names
