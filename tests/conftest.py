"""Test fixtures on a real PostGIS.

The session starts (or reuses) a private cluster under ``.ols/test`` through the same embedded
cluster code the product uses (or uses ``OLS_TEST_DATABASE_URL``), migrates a template database
once, and gives every test that asks for ``engine`` a fresh copy of it. A cluster the session
started is stopped at its end, and one it created is removed, so that CI runs on fresh clones
leave neither servers nor data directories behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from ols.settings import DatabaseSettings
from ols.store import db
from ols.store.cluster import Cluster, ensure_running

ROOT = Path(__file__).resolve().parents[1]
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")  # CI gets the same examples every run: a red CI is a real regression
TEMPLATE = "ols_test_template"


def shared_data() -> Path:
    """The shared public data, as the product reads it (``OLS_SHARED_DATA``)."""
    path = Path(os.environ.get("OLS_SHARED_DATA", ROOT.parent / "shared" / "data"))
    assert path.exists(), f"shared data not found at {path}: set OLS_SHARED_DATA"
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    """Folder of the shared public data."""
    return shared_data()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of the maintenance database of a running PostGIS server (left as this session found it)."""
    configured = os.environ.get("OLS_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    home = ROOT / ".ols" / "test"
    settings = DatabaseSettings(home=home, database_url=None)
    state = Cluster.from_settings(settings).status()
    cluster = ensure_running(settings)
    yield cluster.url
    if state == "absent":
        cluster.remove(home.resolve())
    elif state == "stopped":
        cluster.stop()


def _admin(url: str) -> Engine:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template_url(server_url: str) -> Iterator[str]:
    """A migrated template database, rebuilt once per test session."""
    admin = _admin(server_url)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {TEMPLATE}"))
    url = make_url(server_url).set(database=TEMPLATE).render_as_string(hide_password=False)
    setup = create_engine(url)
    with setup.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    setup.dispose()
    db.migrate(url)
    yield url
    admin.dispose()


@pytest.fixture
def database_url(template_url: str, server_url: str) -> Iterator[str]:
    """URL of a fresh database copied from the migrated template, dropped after the test."""
    name = f"ols_test_{uuid.uuid4().hex[:10]}"
    admin = _admin(server_url)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh, migrated database."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()
