"""The real app on a real PostGIS holding the demo territory, refreshed, with one user per role."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from api.main import create_app, server_options
from etl.demo.run import run_demo
from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.access.audience import Audience
from ols.access.dealpoints import create as create_deal_point
from ols.access.users import create_user
from ols.cartography.refresh import refresh
from ols.cartography.zones import sync_declared
from ols.periods import parse_period
from ols.reference.territories import read_boundary, save_territory
from ols.settings import ApiSettings, CartographySettings
from tests.helpers import police_nationale_csv

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
ROLES = ("coordinator", "police", "partner", "elu", "public")
PERIOD = "2026-S1"
PREVIOUS = "2025-S2"
DEAL_POINT_LABEL = "Hall du 12 — point de deal de test"
NEIGHBOUR = "59009"  # Villeneuve-d'Ascq, beside the demo commune: a second territory for scope tests
NEIGHBOUR_DEAL_POINT = "Parking du centre — point de deal de Villeneuve"

OPERATOR = Audience.operator()


def _load_neighbour(engine: Engine, shared: Path, folder: Path) -> None:
    """Villeneuve-d'Ascq's real outline and 600 generated police facts over 2025–2026 (seeded)."""
    communes = shared / "boundaries" / "communes-59-nord.geojson"
    boundary = read_boundary(communes, commune=NEIGHBOUR)
    with engine.begin() as connection:
        save_territory(connection, code=NEIGHBOUR, name=boundary.name or NEIGHBOUR, boundary=boundary,
                       source=communes.name, population=62_000)  # fmt: skip
        create_deal_point(connection, OPERATOR, label=NEIGHBOUR_DEAL_POINT, lon=3.1410, lat=50.6480,
                          reported_on=parse_period(PERIOD).start)  # fmt: skip
    path = police_nationale_csv(folder / "villeneuve.csv", boundary.geom, count=600, seed=59009)
    ingest_file(engine, path, source_code="police-nationale", mapping=load_mapping("police_nationale"),
                ingested_by="test")  # fmt: skip


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
    _load_neighbour(engine, shared, tmp_path_factory.mktemp("neighbour"))
    with engine.begin() as connection:
        sync_declared(connection, Path(__file__).parents[2] / "data" / "zones")
        create_deal_point(connection, OPERATOR, label=DEAL_POINT_LABEL, lon=3.1098, lat=50.6423,
                          reported_on=parse_period(PERIOD).start)  # fmt: skip
    for period in (PREVIOUS, PERIOD):
        refresh(engine, parse_period(period), settings=CartographySettings(permutations=99))
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
def scoped_tokens(api_engine: Engine) -> dict[str, str]:
    """Users tied to one territory: the police of the neighbour commune, an élu and a partner of the demo commune."""
    with api_engine.begin() as connection:
        return {
            "police-neighbour": create_user(connection, f"test-police-{NEIGHBOUR}-{uuid.uuid4().hex[:6]}",
                                            role="police", territories=[NEIGHBOUR]),
            "elu-demo": create_user(connection, f"test-elu-59410-{uuid.uuid4().hex[:6]}", role="elu",
                                    territories=["59410"]),
            "partner-demo": create_user(connection, f"test-partner-59410-{uuid.uuid4().hex[:6]}", role="partner",
                                        territories=["59410"], source="police-nationale"),
        }  # fmt: skip


@pytest.fixture(scope="package")
def app(api_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The API app on the test database (declared zones, own mappings and reports written to temporary folders)."""
    folders = {name: tmp_path_factory.mktemp(name) for name in ("zones", "mappings", "reports")}
    settings = ApiSettings(zones_dir=folders["zones"], mappings_dir=folders["mappings"],
                           reports_dir=folders["reports"], session_attempts_per_minute=1000)  # fmt: skip
    return create_app(engine=api_engine, settings=settings)


@pytest.fixture(scope="package")
def client(app: Any) -> Iterator[TestClient]:
    """An HTTP client on the app."""
    with TestClient(app) as test_client:
        yield test_client


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """An app under uvicorn on a free loopback port, configured as ``ols serve`` configures it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = server_options(app.state.settings)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="package")
def server(app: Any) -> Iterator[str]:
    """The app under uvicorn on a free loopback port."""
    with serve_app(app) as base:
        yield base


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
