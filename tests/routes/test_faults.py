"""Faults: the database going down and coming back, and what the logs say about every request.

The app reaches the test database through a proxy the test cuts (``tests.proxy``), so the shared
cluster keeps serving the other tests. Database down: every route that needs it, ``/health``
included, answers a 503 in JSON with a French reason and ``Retry-After`` (issue 19 found a plain
500 everywhere); back up: the same app answers again, without a restart.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from api.health import FRESH_SECONDS
from api.main import JsonFormatter, create_app
from ols.settings import ApiSettings, LoadSettings
from tests.proxy import Proxy
from tests.routes.conftest import PERIOD

READS = [
    "/api/v1/health",
    f"/api/v1/heatmap?period={PERIOD}",
    f"/api/v1/heatmap/cells?period={PERIOD}",
    f"/api/v1/hotspots?period={PERIOD}",
    f"/api/v1/zones?period={PERIOD}",
    f"/api/v1/zones/compare?period={PERIOD}",
    f"/api/v1/profiles/time?period={PERIOD}",
    f"/api/v1/indicators?period={PERIOD}",
    f"/api/v1/tiles/heatmap/14/8290/5498.mvt?period={PERIOD}",
    f"/api/v1/events?period={PERIOD}",
    "/api/v1/deal-points",
    "/api/v1/periods",
    "/api/v1/sources",
    "/api/v1/territories",
    "/api/v1/places",
    "/api/v1/session",
    "/ogc/collections/zones/items",
]


@pytest.fixture
def proxied(api_engine: Engine, server_url: str) -> Iterator[tuple[Engine, Proxy]]:
    """An engine on the test database through a proxy that can be cut."""
    proxy = Proxy(server_url)
    engine = create_engine(proxy.database_url(str(api_engine.url.database)), pool_pre_ping=True)
    yield engine, proxy
    proxy.cut()
    engine.dispose()


def _get_all(client: TestClient, token: str) -> dict[str, tuple[int, dict[str, str], str]]:
    headers = {"Authorization": f"Bearer {token}"}
    answers = {}
    for path in READS:
        response = client.get(path, headers=headers)
        answers[path] = (response.status_code, dict(response.headers), response.text)
    return answers


def test_database_down_is_a_french_503_everywhere_and_its_return_needs_no_restart(
    proxied: tuple[Engine, Proxy], tokens: dict[str, str]
) -> None:
    engine, proxy = proxied
    load = LoadSettings(health_timeout_ms=500, retry_after_s=3)
    app = create_app(engine=engine, settings=ApiSettings(), load=load, warm_up=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        before = _get_all(client, tokens["coordinator"])
        assert {path: status for path, (status, _, _) in before.items() if status != 200} == {}
        proxy.cut()
        time.sleep(FRESH_SECONDS)  # /health may answer from a check a quarter of a second old
        started = time.monotonic()
        down = _get_all(client, tokens["police"])  # another token: its check needs the database
        elapsed = time.monotonic() - started
        known = _get_all(client, tokens["coordinator"])  # a token already checked, on URLs it was answered
        login = client.post("/api/v1/session", json={"token": tokens["elu"]}, headers={"Origin": "http://testserver"})
        page = client.get("/", headers={"Cookie": "ols_session=x.y"})
        proxy.restore()
        after = _get_all(client, tokens["coordinator"])
    replayed = [(f"{path} (replayed)", answer) for path, answer in known.items()]
    for path, (status, headers, text) in [*down.items(), *replayed, ("POST session", _answer(login)),
                                          ("/", _answer(page))]:  # fmt: skip
        assert status == 503, (path, status, text[:200])
        assert headers["content-type"] == "application/json", path
        detail = json.loads(text)["detail"]
        assert "base de données" in detail, (path, detail)
        assert headers["retry-after"] == "3", path
    assert elapsed < 10, f"{len(READS)} requests with the database down took {elapsed:.1f} s"
    assert {path: status for path, (status, _, _) in after.items() if status != 200} == {}


def _answer(response: object) -> tuple[int, dict[str, str], str]:
    return response.status_code, dict(response.headers), response.text  # type: ignore[attr-defined]


def test_health_says_503_within_its_timeout_when_the_database_is_gone(
    proxied: tuple[Engine, Proxy],
) -> None:
    engine, proxy = proxied
    app = create_app(engine=engine, settings=ApiSettings(), load=LoadSettings(health_timeout_ms=300), warm_up=False)
    with TestClient(app) as client:
        assert client.get("/api/v1/health").json()["database"] == "ok"
        proxy.cut()
        time.sleep(FRESH_SECONDS)
        started = time.monotonic()
        response = client.get("/api/v1/health")
        took = time.monotonic() - started
        proxy.restore()
        back = client.get("/api/v1/health")
    assert response.status_code == 503 and "ne répond pas" in response.json()["detail"]
    assert took < 1.0, took
    assert back.status_code == 200


def _records(caplog: pytest.LogCaptureFixture, message: str) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "ols.api" and r.msg == message]


def test_one_access_line_per_request_with_the_route_template_and_user_id_never_token_or_values(
    client: TestClient, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    token = tokens["coordinator"]
    with caplog.at_level(logging.INFO, "ols.api"):
        client.get("/api/v1/zones/compare", params={"period": PERIOD}, headers={"Authorization": f"Bearer {token}"})
        client.delete("/api/v1/zones/Z-absent-secret", headers={"Authorization": f"Bearer {token}"})
        client.get("/api/v1/session")
    lines = _records(caplog, "requête")
    assert len(lines) == 3, lines
    compare, delete, anonymous = lines
    assert compare["method"] == "GET" and compare["route"] == "/api/v1/zones/compare" and compare["status"] == 200
    assert delete["route"] == "/api/v1/zones/{code}" and delete["status"] == 404
    assert isinstance(compare["user"], int) and compare["user"] == delete["user"]
    assert anonymous["status"] == 401 and anonymous["user"] is None
    assert all(isinstance(line["ms"], float) and len(str(line["request_id"])) == 16 for line in lines)
    logged = json.dumps(lines)
    assert token not in logged and token[:12] not in logged
    assert PERIOD not in logged and "absent-secret" not in logged


def test_an_unhandled_error_is_logged_in_french_with_its_traceback_and_request_id(
    api_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(engine=api_engine, settings=ApiSettings(), warm_up=False)

    def broken() -> None:
        msg = "a bug deep in a reader"
        raise RuntimeError(msg)

    app.add_api_route("/api/v1/broken/{what}", broken)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO, "ols.api"):
        response = client.get("/api/v1/broken/thing")
    [error] = _records(caplog, "erreur non traitée")
    [line] = _records(caplog, "requête")
    assert response.status_code == 500 and error["request_id"] == response.json()["request_id"] == line["request_id"]
    assert "RuntimeError: a bug deep in a reader" in str(error["traceback"])
    assert error["route"] == line["route"] == "/api/v1/broken/{what}" and line["status"] == 500
