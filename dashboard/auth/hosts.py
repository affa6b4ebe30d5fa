"""Which ``Host`` a request may be addressed to (``GRIDGOV_ALLOWED_HOSTS``): a page fetched
through a name an attacker controls (DNS rebinding) is refused before anything else runs."""

from __future__ import annotations

from collections.abc import Sequence


def host_name(header: str) -> str:
    """The host name of a ``Host`` header, lower case, without port or IPv6 brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_allowed(header: str | None, allowed: Sequence[str]) -> bool:
    if "*" in allowed:
        return True
    return bool(header) and host_name(header or "") in allowed
