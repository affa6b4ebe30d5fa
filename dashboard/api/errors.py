"""Refusals of the intake API: a status, a message saying what to do, and for 429 when to retry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ApiRefusal(Exception):
    """The request cannot be served as sent (HTTP ``status``, ``message`` says why)."""

    status: int
    message: str
    retry_after: int | None = None

    def __str__(self) -> str:
        return self.message
