"""The declarative base of every OLS table, and the helper its CHECK constraints share."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK condition: ``column`` takes one of ``values``."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    """Declarative base of every OLS table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONB}
