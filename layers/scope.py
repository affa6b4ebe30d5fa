"""What part of the district a caller may see: all of it, or one street (街道)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

_STREET_CODE = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class Scope:
    """District-wide (``street_code is None``) or one street by its 12-digit code."""

    street_code: str | None = None

    def __post_init__(self) -> None:
        if self.street_code is not None and not _STREET_CODE.fullmatch(self.street_code):
            raise ValueError(f"a street code has 12 digits, not {self.street_code!r}")

    @classmethod
    def district(cls) -> Scope:
        return cls()

    @classmethod
    def street(cls, code: str) -> Scope:
        return cls(street_code=code)

    @property
    def is_district(self) -> bool:
        return self.street_code is None

    def params(self) -> dict[str, Any]:
        """Bind parameters. Queries join ``street s`` and filter with
        ``(CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))``."""
        return {"street_code": self.street_code}

    def clause(self, street_code: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """SQLAlchemy condition on a street-code column: true everywhere, or that one street."""
        if self.street_code is None:
            return sa.true()
        return street_code == self.street_code
