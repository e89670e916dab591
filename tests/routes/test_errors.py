"""An error no handler took: a JSON 500 with a request id, and the traceback logged under the same id."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import JsonFormatter, create_app
from ols.settings import ApiSettings


def test_a_500_carries_the_request_id_its_logged_traceback_has(
    api_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(engine=api_engine, settings=ApiSettings())

    def broken() -> None:
        msg = "a bug deep in a reader"
        raise RuntimeError(msg)

    app.add_api_route("/api/v1/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR, "ols.api"):
        response = client.get("/api/v1/broken")
        fine = client.get("/api/v1/health")
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    request_id = response.json()["request_id"]
    assert response.headers["x-request-id"] == request_id and "a bug" not in response.text
    assert fine.headers["x-request-id"] not in ("", request_id)
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    logged = json.loads(JsonFormatter().format(record))
    assert logged["request_id"] == request_id and "RuntimeError: a bug deep in a reader" in logged["traceback"]
