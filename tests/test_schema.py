"""The ORM models and the migrated schema agree: what the code declares is what the migrations built.

Alembic compares the declared tables (columns, types, nullability, server defaults, keys, indexes,
GeoAlchemy2's spatial indexes included) with the schema of a freshly migrated database. What the
models never declare is left out by :func:`ols.store.db.include_object`: PostGIS's own table.
"""

from __future__ import annotations

import pprint
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

from ols.store.db import include_object
from ols.store.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"include_object": include_object, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def test_models_match_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = _differences(connection)
    assert differences == [], pprint.pformat(differences)


def test_a_schema_change_outside_the_models_is_found(engine: Engine) -> None:
    """The comparison sees drift in declared tables (a test that could not fail would prove nothing)."""
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE hotspot ADD COLUMN stray integer"))
        differences = _differences(connection)
    assert [(kind, table, column.name) for kind, _, table, column in differences] == [
        ("remove_column", "hotspot", "stray")
    ]
