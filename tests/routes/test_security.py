"""Serving cache, security hygiene, session, uploads, audit and declared-zone files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from api.main import create_app
from api.serving import STAMP_SECONDS
from ols.cartography.refresh import refresh
from ols.errors import ConfigurationError
from ols.periods import parse_period
from ols.settings import ApiSettings, CartographySettings
from tests.routes.conftest import PERIOD

ROOT = Path(__file__).resolve().parents[2]


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def test_heatmap_is_cached_gzipped_and_revalidated(client: TestClient, tokens: dict[str, str],
                                                   api_engine: Engine) -> None:  # fmt: skip
    params = {"period": PERIOD, "resolution": 10}
    first = client.get("/api/v1/heatmap", params=params, headers=_auth(tokens, "police") | {"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip" and first.json()["type"] == "FeatureCollection"
    etag = first.headers["etag"]
    again = client.get("/api/v1/heatmap", params=params, headers=_auth(tokens, "police") | {"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    raw = client.get(
        "/api/v1/heatmap", params=params, headers=_auth(tokens, "police") | {"Accept-Encoding": "identity"}
    )
    assert raw.json() == first.json() and int(first.headers["content-length"]) < len(raw.content) / 3
    refresh(api_engine, parse_period(PERIOD), settings=CartographySettings(permutations=99))
    time.sleep(STAMP_SECONDS + 0.1)  # the API reads a period's refresh stamp at most once a second
    after = client.get("/api/v1/heatmap", params=params, headers=_auth(tokens, "police") | {"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag


def test_security_headers_and_closed_cors(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers={"Origin": "https://elsewhere.example"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "access-control-allow-origin" not in response.headers


def test_default_secret_is_refused_outside_development() -> None:
    with pytest.raises(ConfigurationError, match="OLS_SECRET_KEY"):
        create_app(settings=ApiSettings(environment="production"))
    assert create_app(settings=ApiSettings(environment="production", secret_key="s3cr3t-of-the-city"))


def test_session_cookie_and_rate_limit(api_engine: Engine, tokens: dict[str, str]) -> None:
    app = create_app(engine=api_engine, settings=ApiSettings(session_attempts_per_minute=3))
    origin = {"Origin": "http://testserver"}
    with TestClient(app) as client:
        for _ in range(5):  # a meeting room behind one address: correct logins never lock it out
            opened = client.post("/api/v1/session", json={"token": tokens["elu"]}, headers=origin)
            assert opened.status_code == 200 and opened.json()["role"] == "elu"
        assert client.get("/api/v1/session").json()["role"] == "elu"  # the cookie authenticates
        assert "heatmap" in opened.json()["layers"] and "deal_points" not in opened.json()["layers"]
        client.cookies.clear()
        for _ in range(3):
            assert (
                client.post("/api/v1/session", json={"token": "ols_bad_wrongwrong"}, headers=origin).status_code == 401
            )
        locked = client.post("/api/v1/session", json={"token": tokens["elu"]}, headers=origin)
        assert locked.status_code == 429 and "réessayez dans" in locked.json()["detail"]


def test_upload_limits_and_ingest(api_engine: Engine, tokens: dict[str, str], shared: Path) -> None:
    app = create_app(engine=api_engine, settings=ApiSettings(max_upload_mb=1))
    with TestClient(app) as client:
        form = {"mapping": "police_uk", "source": "police-uk"}
        huge = client.post("/api/v1/ingest", headers=_auth(tokens, "coordinator"),
                           files={"file": ("big.csv", b"x" * (2 << 20))}, data=form)  # fmt: skip
        assert huge.status_code == 413
        path = shared / "incidents" / "police_uk_city_of_london" / "2017-01-city-of-london-street.csv"
        denied = client.post(
            "/api/v1/ingest", headers=_auth(tokens, "police"), files={"file": (path.name, path.read_bytes())}, data=form
        )
        assert denied.status_code == 403
        report = client.post("/api/v1/ingest", headers=_auth(tokens, "coordinator"),
                             files={"file": (path.name, path.read_bytes())}, data=form).json()  # fmt: skip
    assert report["rows_read"] == 483
    assert report["rejected_by_reason"] == {"missing_coordinates": 14, "outside_territory": 469}  # London is not Mons


def test_sensitive_reads_are_audited_and_the_log_is_append_only(client: TestClient, tokens: dict[str, str],
                                                                api_engine: Engine) -> None:  # fmt: skip
    client.get("/api/v1/deal-points", headers=_auth(tokens, "police"))
    client.get("/api/v1/events", params={"period": PERIOD, "family": "drugs"}, headers=_auth(tokens, "police"))
    with api_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT role, action, resource, parameters FROM audit_log ORDER BY id DESC LIMIT 2")
        ).all()
    assert [(r.role, r.resource) for r in rows] == [("police", "events"), ("police", "deal-points")]
    assert rows[0].parameters["family"] == "drugs"
    with api_engine.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("DELETE FROM audit_log"))


def test_declared_zone_files_follow_the_api(client: TestClient, app: Any, tokens: dict[str, str]) -> None:
    zone = {"code": "TEST-ZONE", "name": "Parvis", "rationale": "tests", "owner": "coordonnateur",
            "geometry": {"type": "Polygon",
                         "coordinates": [[[3.10, 50.64], [3.101, 50.64], [3.101, 50.641], [3.10, 50.64]]]}}  # fmt: skip
    folder: Path = app.state.settings.zones_dir
    assert client.post("/api/v1/zones", json=zone, headers=_auth(tokens, "coordinator")).status_code == 201
    assert (folder / "TEST-ZONE.geojson").exists()
    assert client.post("/api/v1/zones", json=zone, headers=_auth(tokens, "coordinator")).status_code == 422
    big = zone | {
        "geometry": {"type": "Polygon", "coordinates": [[[2.5, 50.3], [3.5, 50.3], [3.5, 50.9], [2.5, 50.3]]]}
    }
    assert (
        "plus grande que" in client.put("/api/v1/zones/TEST-ZONE", json=big, headers=_auth(tokens, "coordinator")).text
    )
    assert client.delete("/api/v1/zones/TEST-ZONE", headers=_auth(tokens, "coordinator")).status_code == 204
    assert not (folder / "TEST-ZONE.geojson").exists()


def test_docker_compose_is_valid() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    db, api = compose["services"]["db"], compose["services"]["api"]
    assert db["image"].startswith("postgis/postgis")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert "OLS_DATABASE_URL" in api["environment"] and "OLS_SECRET_KEY" in api["environment"]
    assert (ROOT / api["build"]["dockerfile"]).exists()
