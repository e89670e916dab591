"""Every piece of text the database holds, searched: planted personal values, or what the detectors find.

Used by the nominative tests (and open to the bad-file corpus): after an ingest, no planted name,
birth date, phone number, e-mail, plate or NIR may be anywhere, whatever the table or column
(text, varchar, json, jsonb or arrays of them), so the search reads the catalogue rather than a
list of columns that would go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Engine, text

from ols.privacy.detectors import find

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY")
COLUMNS = text(
    "SELECT table_name, column_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND data_type = ANY(:types) AND table_name IN "
    "(SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE') "
    "AND table_name <> 'spatial_ref_sys' "
    "ORDER BY table_name, column_name"
)


def text_columns(engine: Engine) -> list[tuple[str, str]]:
    """(table, column) of every text column of the public schema (no geometry, not PostGIS's own table)."""
    with engine.connect() as connection:
        rows = connection.execute(COLUMNS, {"types": list(TEXT_TYPES)}).all()
    return [(table, column) for table, column in rows]


def _values(engine: Engine, table: str, column: str) -> Iterator[str]:
    # Plain SQL over catalogue names: the tests read the truth with their own SQL (CONTRIBUTING.md).
    query = f'SELECT DISTINCT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL'
    with engine.connect() as connection:
        yield from connection.execute(text(query)).scalars()


def stored_values(engine: Engine) -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) of every distinct non-null value of every text column."""
    for table, column in text_columns(engine):
        for value in _values(engine, table, column):
            yield table, column, value


def planted_values_found(engine: Engine, planted: Iterable[str]) -> list[tuple[str, str, str]]:
    """(table, column, planted value) for each planted value found anywhere (case ignored), JSON escapes undone."""
    needles = [value.lower() for value in planted]
    found = []
    for table, column, value in stored_values(engine):
        haystack = value.lower().replace("\\/", "/")
        found += [(table, column, needle) for needle in needles if needle in haystack]
    return found


def personal_data_found(engine: Engine) -> list[tuple[str, str, str, str]]:
    """(table, column, text caught, kind) for each piece of personal data the detectors find in a stored value."""
    found = []
    for table, column, value in stored_values(engine):
        found += [(table, column, value[hit.start : hit.end], hit.kind) for hit in find(value)]
    return found
