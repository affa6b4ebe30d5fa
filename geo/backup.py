"""Backups of the gridgov database: ``pg_dump``/``pg_restore`` in their custom format.

The client programs come from the same ``bin`` directory as the embedded cluster's server (or
``PATH`` when only the client is installed, for an external server). The connection is passed
as a libpq conninfo string without the password; a password travels in the child's
``PGPASSWORD``, never on a command line (where ``ps`` would show it). A restore is one
transaction: it loads everything or changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import Engine, make_url

from geo.cluster import find_bindir
from geo.errors import BackupError, ClusterError

MAGIC = b"PGDMP"  # the first bytes of a custom-format archive

# tables, views and sequences that are the database's own (not PostgreSQL's or an extension's)
_USER_OBJECTS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
"""


@dataclass(frozen=True)
class Client:
    """How a client program reaches the database: a conninfo string and its environment."""

    conninfo: str  # no password in it
    env: dict[str, str]


def connection(url: str) -> Client:
    """Split a SQLAlchemy URL into a password-free conninfo and a ``PGPASSWORD`` environment."""
    libpq_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    params = {k: v for k, v in conninfo_to_dict(libpq_url).items() if v is not None}
    password = params.pop("password", None)
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if password:
        env["PGPASSWORD"] = str(password)
    return Client(make_conninfo(**{k: str(v) for k, v in params.items()}), env)


def client_bindir(configured: Path | None) -> Path:
    """Where ``pg_dump`` and ``pg_restore`` are: the server's bin directory, else ``PATH``."""
    if configured is not None:
        return configured
    try:
        return find_bindir()
    except ClusterError:
        found = shutil.which("pg_dump")
        if found is None:
            raise BackupError(
                "pg_dump not found; install the PostgreSQL client (e.g. sudo apt-get install -y "
                "postgresql-client-15) or set GRIDGOV_PG_BINDIR"
            ) from None
        return Path(found).parent


def _run(program: Path, args: list[str], *, env: dict[str, str]) -> None:
    result = subprocess.run([str(program), *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no message"]
        raise BackupError(f"{program.name} failed: {'; '.join(lines[:3])}")


def dump(url: str, path: Path, *, bindir: Path) -> int:
    """Write the whole database to ``path`` (custom format); returns its size in bytes.

    The archive is written beside ``path`` and renamed when complete, so a failed dump never
    leaves a partial file under the name asked for."""
    if path.is_dir():
        raise BackupError(f"{path} is a directory; give a file name, e.g. gridgov.dump")
    conn = connection(url)
    partial = path.with_name(path.name + ".partial")
    try:
        _run(
            bindir / "pg_dump",
            ["--format=custom", f"--file={partial}", f"--dbname={conn.conninfo}"],
            env=conn.env,
        )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path.stat().st_size


def user_objects(engine: Engine) -> int:
    """Tables, views and sequences in the database that no extension owns."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text(_USER_OBJECTS)).scalar_one())


def check_archive(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file")
    with path.open("rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise BackupError(
                f"{path.name} is not a pg_dump custom-format archive (made by `gridgov db dump`)"
            )


# --clean: every schema but PostgreSQL's own goes (the extensions in them too), public comes back
# empty; pg_restore's own --clean cannot drop the constraints partitions inherit
_EMPTY_DATABASE = """
DO $$DECLARE s text; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END$$;
CREATE SCHEMA public;
"""


def _psql_args(conninfo: str, *, clean: bool) -> list[str]:
    """psql runs the restore script (and the emptying before it) in one transaction."""
    args = ["--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", f"--dbname={conninfo}"]
    return [*args, *(["--command", _EMPTY_DATABASE] if clean else []), "--file=-"]


def _first_error(text: str) -> str:
    lines = text.strip().splitlines() or ["no message"]
    errors = [line for line in lines if "ERROR" in line or "error:" in line]
    return "; ".join((errors or lines)[:2])


def _relay(script: subprocess.Popen[bytes], psql: subprocess.Popen[bytes]) -> bool:
    """Copy pg_restore's SQL into psql; True if pg_restore produced all of it."""
    assert script.stdout is not None and psql.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # psql stopped at an error: pg_restore stops too
        shutil.copyfileobj(script.stdout, psql.stdin, 1 << 20)
    script.stdout.close()
    return script.wait() == 0


def _restore_script(path: Path, conn: Client, bindir: Path, *, clean: bool) -> None:
    """pg_restore writes the archive as SQL, psql runs it in one transaction; psql is killed
    before its COMMIT if pg_restore could not write all of it (a damaged archive)."""
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            [str(bindir / "psql"), *_psql_args(conn.conninfo, clean=clean)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=conn.env,
        )
        script = subprocess.Popen(
            [str(bindir / "pg_restore"), "--no-owner", "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=conn.env,
        )
        complete = _relay(script, psql)
        _finish(psql, commit=complete)
        if psql.returncode not in (0, -signal.SIGKILL):
            raise BackupError(f"restore failed, the database is unchanged: {_first_error(_read(psql_err))}")
        if not complete:
            raise BackupError(
                f"pg_restore failed, the database is unchanged: {_first_error(_read(restore_err))}"
            )


def _finish(psql: subprocess.Popen[bytes], *, commit: bool) -> None:
    """End psql's input so that it commits, or kill it so that its transaction rolls back."""
    assert psql.stdin is not None
    if commit:
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()
    else:
        psql.kill()
    psql.wait()


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")


def restore(url: str, path: Path, *, bindir: Path, engine: Engine, clean: bool = False) -> None:
    """Load the archive at ``path`` into the database ``engine`` reaches (at ``url``).

    A database that already holds tables is refused unless ``clean``: then it is emptied first
    (every schema, with the PostGIS and other extensions in them) and the archive recreates
    everything. All in one transaction; statistics are refreshed afterwards."""
    check_archive(path)
    found = user_objects(engine)
    if found and not clean:
        raise BackupError(
            f"the target database is not empty ({found} tables, views or sequences); restore into an "
            "empty database, or pass --clean to replace everything in it with the archive"
        )
    _restore_script(path, connection(url), bindir, clean=clean)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))
