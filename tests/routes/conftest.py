"""The real app on a real PostGIS holding the demo territory, refreshed, with one user per role."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from api.main import create_app
from etl.demo.run import run_demo
from ols.dealpoints import create as create_deal_point
from ols.periods import parse_period
from ols.refresh import refresh
from ols.settings import ApiSettings, CartographySettings
from ols.users import create_user
from ols.zones import sync_declared

ROLES = ("coordinator", "police", "partner", "elu", "public")
PERIOD = "2026-S1"
PREVIOUS = "2025-S2"
DEAL_POINT_LABEL = "Hall du 12 — point de deal de test"


@pytest.fixture(scope="package")
def api_engine(
    template_url: str, server_url: str, tmp_path_factory: pytest.TempPathFactory, shared: Path
) -> Iterator[Engine]:
    """The demo loaded and refreshed once for all route tests."""
    name = f"ols_api_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE ols_test_template"))
    engine = create_engine(make_url(server_url).set(database=name))
    run_demo(engine, out=tmp_path_factory.mktemp("demo"), seed=11, echo=lambda _: None)
    with engine.begin() as connection:
        sync_declared(connection, Path(__file__).parents[2] / "data" / "zones")
        create_deal_point(connection, label=DEAL_POINT_LABEL, lon=3.1098, lat=50.6423,
                          reported_on=parse_period(PERIOD).start, by="test")  # fmt: skip
    for period in (PREVIOUS, PERIOD):
        refresh(
            engine, parse_period(period), settings=CartographySettings(hotspot_resolutions=(8, 9, 10), permutations=99)
        )
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="package")
def tokens(api_engine: Engine) -> dict[str, str]:
    """One token per role (the partner is the police municipale's)."""
    with api_engine.begin() as connection:
        return {role: create_user(connection, f"test-{role}-{uuid.uuid4().hex[:6]}", role=role,
                                  source="mediation" if role == "partner" else None) for role in ROLES}  # fmt: skip


@pytest.fixture(scope="package")
def app(api_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The API app on the test database (declared zones written to a temporary folder)."""
    settings = ApiSettings(zones_dir=tmp_path_factory.mktemp("zones"), session_attempts_per_minute=1000)
    return create_app(engine=api_engine, settings=settings)


@pytest.fixture(scope="package")
def client(app: Any) -> Iterator[TestClient]:
    """An HTTP client on the app."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="package")
def server(app: Any) -> Iterator[str]:
    """The app under uvicorn on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)
