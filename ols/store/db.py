"""Connections to the observatory database and schema migrations.

The URL comes from ``OLS_DATABASE_URL`` when set; otherwise the embedded cluster is started on
demand. The schema is only ever created and upgraded by the Alembic migrations in
``ols/store/migrations``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from ols.settings import DatabaseSettings, database_settings
from ols.store.cluster import ensure_running

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
UNDECLARED_TABLES = {"spatial_ref_sys"}


def database_url(settings: DatabaseSettings | None = None) -> str:
    """The configured URL, or the embedded cluster's (started if needed)."""
    settings = settings or database_settings()
    if settings.database_url:
        return settings.database_url
    return ensure_running(settings).url


@lru_cache
def engine_for(url: str) -> Engine:
    """One pooled engine per URL for the life of the process."""
    return create_engine(url, pool_pre_ping=True)


def get_engine() -> Engine:
    """The engine of the configured database."""
    return engine_for(database_url())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session committed on success and rolled back on any exception (Ctrl-C included)."""
    factory = sessionmaker(engine or get_engine(), expire_on_commit=False)
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the latest by default)."""
    logger.info("migration du schéma vers %s", revision)
    command.upgrade(alembic_config(url or database_url()), revision)


def current_revision(connection: Connection) -> str | None:
    """The schema revision the database is at, ``None`` before the first migration."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Whether Alembic compares a schema object with the models (autogenerate, ``tests/test_schema.py``).

    Left out: PostGIS's own ``spatial_ref_sys``, which no model declares.
    """
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in UNDECLARED_TABLES
