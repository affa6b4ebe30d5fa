"""The embedded PostgreSQL cluster gridgov manages when ``DATABASE_URL`` is unset.

Layout under the cluster root: ``pgdata/`` (the cluster), ``run/`` (its Unix socket, mode 700,
so only the owner can connect) and ``postgres.log``. The server listens on the socket only.
PostgreSQL refuses to run as root, so when gridgov runs as root the server runs as an
unprivileged OS user (``GRIDGOV_PG_OS_USER``) that owns the cluster directory.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from geo.errors import ClusterError
from geo.settings import Settings

ROLE = "gridgov"
DBNAME = "gridgov"
PORT = 5432  # with a private socket directory the port only names the socket file
_SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes; keep a margin
_INSTALL_HINT = (
    "install it with: sudo apt-get install -y postgresql-15 postgresql-15-postgis-3 "
    "postgresql-15-pgrouting (or set GRIDGOV_PG_BINDIR, or DATABASE_URL for an external server)"
)


@dataclass(frozen=True)
class EmbeddedCluster:
    """A private PostgreSQL cluster in ``root``, run by ``os_user`` (None: the current user)."""

    root: Path
    bindir: Path
    os_user: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedCluster:
        """The cluster the settings describe, relocated if the server user cannot reach it."""
        bindir = settings.pg_bindir or find_bindir()
        if os.geteuid() != 0:
            return cls(root=settings.data_dir, bindir=bindir, os_user=None)
        user = settings.pg_os_user
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise ClusterError(
                f"running as root, but OS user {user!r} (who must run PostgreSQL) does not exist; "
                "install the postgresql package or set GRIDGOV_PG_OS_USER to an unprivileged user"
            ) from None
        return cls(root=_reachable_root(settings.data_dir), bindir=bindir, os_user=user)

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def socket_dir(self) -> Path:
        sock = self.root / "run"
        if len(str(sock / f".s.PGSQL.{PORT}")) <= _SOCKET_PATH_MAX:
            return sock
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path("/tmp") / f"gridgov-{digest}"  # noqa: S108 - private 0700 dir, path too long

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of this cluster's gridgov database."""
        return f"postgresql+psycopg://{ROLE}@/{DBNAME}?host={quote(str(self.socket_dir))}&port={PORT}"

    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").is_file()

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode == 0

    def start(self) -> None:
        """Create the cluster if needed, start it if stopped and make sure the database exists."""
        if not self.initialised():
            self._init()
        self._prepare_dirs()
        if not self.running():
            result = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-o",
                " ".join(f"-c {k}={v}" for k, v in server_settings().items()),
                check=False,
            )
            if result.returncode != 0:
                raise ClusterError(
                    f"PostgreSQL did not start ({result.stderr.strip() or result.stdout.strip()}); "
                    f"see {self.log_file}"
                )
        self._ensure_database()

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata))

    def _init(self) -> None:
        self._prepare_dirs()
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            ROLE,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
        conf = (
            "\n# gridgov: private cluster, Unix socket only\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            f"port = {PORT}\n"
            "unix_socket_permissions = 0700\n"
        )
        with (self.pgdata / "postgresql.conf").open("a", encoding="utf-8") as fh:
            fh.write(conf)

    def _prepare_dirs(self) -> None:
        for path in (self.root, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            if self.os_user:
                user = pwd.getpwnam(self.os_user)
                os.chown(path, user.pw_uid, user.pw_gid)
            path.chmod(0o700)

    def _ensure_database(self) -> None:
        conninfo = f"host={self.socket_dir} port={PORT} user={ROLE} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DBNAME]).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {DBNAME} TEMPLATE template0 ENCODING 'UTF8'")

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / program), *args]
        if self.os_user:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        result = subprocess.run(
            cmd, capture_output=True, text=True, cwd=self.root, env={**os.environ, "LC_ALL": "C.UTF-8"}
        )
        if check and result.returncode != 0:
            raise ClusterError(f"{program} failed: {(result.stderr or result.stdout).strip()}")
        return result


def server_settings(*, ram_bytes: int | None = None) -> dict[str, str]:
    """Server settings sized to this machine (PostgreSQL's defaults assume 128 MB of RAM).

    Bulk ingest writes a lot of WAL and dashboards run short analytic queries: bigger shared
    buffers and WAL, more sort memory, and no JIT (its compile time dwarfs a 50 ms query).
    """
    ram = ram_bytes or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    mb = ram // 2**20
    return {
        "shared_buffers": f"{min(max(mb // 8, 128), 2048)}MB",
        "effective_cache_size": f"{max(mb // 2, 512)}MB",
        "maintenance_work_mem": f"{min(max(mb // 32, 64), 1024)}MB",
        "work_mem": f"{min(max(mb // 512, 4), 64)}MB",
        "max_wal_size": "4GB",
        "checkpoint_timeout": "15min",
        "jit": "off",
    }


def find_bindir() -> Path:
    """The newest PostgreSQL server ``bin`` directory installed the Debian way."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if not candidates:
        raise ClusterError(f"PostgreSQL server programs not found in /usr/lib/postgresql; {_INSTALL_HINT}")
    return candidates[-1].parent


def _reachable_root(root: Path) -> Path:
    """``root`` if another user can traverse every parent, else a fallback under /var/lib."""
    for parent in root.absolute().parents:
        if parent.exists() and not parent.stat().st_mode & stat.S_IXOTH:
            digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
            return Path("/var/lib/gridgov") / digest
    return root
