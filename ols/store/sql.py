"""What the Core queries of OLS share: rows named by a table or by an alias, and conditions rendered as SQL text.

Queries over the declared tables are SQLAlchemy Core (``CONTRIBUTING.md``). A condition several
readers share (the audience's filters, the period of a query) is written once, in Core, over a
table or an alias.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, literal_column
from sqlalchemy.dialects import postgresql

Rows = FromClause | str
"""Rows a shared condition applies to: a Core table or alias, or the alias of a table in a text() query."""

_NAMED = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]


def column_of(rows: Rows, name: str) -> ColumnElement[Any]:
    """A column of ``rows``: the Core column, or ``alias.name`` for the alias of a text() query."""
    return literal_column(f"{rows}.{name}") if isinstance(rows, str) else rows.c[name]
