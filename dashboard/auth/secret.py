"""The key that signs session cookies: ``GRIDGOV_SECRET_KEY``, else one generated once into
``<data dir>/secret_key`` (mode 0600) and read by every worker process."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from geo.errors import ConfigError
from geo.settings import Settings

FILE_NAME = "secret_key"


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / FILE_NAME
    if not path.exists():
        _create(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path} holds no usable key; delete it to have a new one generated")
    return key


def _create(path: Path) -> None:
    """Write the key to a private temporary file, then link it into place: of workers starting
    together, the first link wins and every one reads the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48))
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
