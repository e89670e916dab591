"""Every endpoint × every role: the expected status, and what roles below the police never get."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.routes.conftest import DEAL_POINT_LABEL, PERIOD, ROLES

ALL = set(ROLES)
POLICE = {"coordinator", "police"}
READERS = POLICE | {"partner"}
NOT_PUBLIC = ALL - {"public"}
ZONE = {"type": "Polygon", "coordinates": [[[3.105, 50.640], [3.108, 50.640], [3.108, 50.642], [3.105, 50.640]]]}

# (method, path, params or json, roles answered 2xx, success status)
MATRIX: list[tuple[str, str, dict[str, Any], set[str], int]] = [
    ("GET", "/api/v1/periods", {}, ALL, 200),
    ("GET", "/api/v1/heatmap", {"period": PERIOD, "resolution": 9}, READERS, 200),
    ("GET", "/api/v1/heatmap", {"period": PERIOD, "resolution": 8}, ALL, 200),
    ("GET", "/api/v1/heatmap", {"period": PERIOD, "resolution": 8, "family": "drugs"}, ALL, 200),
    ("GET", "/api/v1/hotspots", {"period": PERIOD, "resolution": 9}, READERS, 200),
    ("GET", "/api/v1/hotspots", {"period": PERIOD, "resolution": 8}, ALL, 200),
    ("GET", "/api/v1/emerging-hotspots", {"period": PERIOD}, READERS, 200),
    ("GET", "/api/v1/zones", {"period": PERIOD}, NOT_PUBLIC, 200),
    ("GET", "/api/v1/zones/compare", {"period": PERIOD}, NOT_PUBLIC, 200),
    ("GET", "/api/v1/deal-points", {}, POLICE, 200),
    ("GET", "/api/v1/events", {"period": PERIOD}, READERS, 200),
    ("GET", "/api/v1/indicators", {"period": "2025", "by": "category"}, ALL, 200),
    ("GET", "/api/v1/profiles/time", {"period": PERIOD}, ALL, 200),
    ("GET", "/api/v1/near-repeat", {"period": "2025"}, POLICE, 200),
    ("GET", "/api/v1/tiles/heatmap/15/16668/10991.mvt", {"period": PERIOD}, READERS, 200),
    ("GET", "/api/v1/tiles/heatmap/15/16668/10991.mvt", {"period": PERIOD, "resolution": 8}, ALL, 200),
    ("GET", "/api/v1/tiles/zones/15/16668/10991.mvt", {"period": PERIOD}, NOT_PUBLIC, 200),
    (
        "POST",
        "/api/v1/deal-points",
        {"label": "x", "lon": 3.11, "lat": 50.64, "reported_on": "2026-03-01"},
        POLICE,
        201,
    ),
    (
        "POST",
        "/api/v1/patrols/plan",
        {
            "period": PERIOD,
            "window": "ven 18:00-23:00",
            "stops": 3,
            "start_lon": 3.1098,
            "start_lat": 50.6423,
            "seed": 1,
        },
        POLICE,
        200,
    ),
    (
        "POST",
        "/api/v1/zones",
        {"code": "Z-{role}", "name": "n", "rationale": "r", "owner": "o", "geometry": ZONE},
        {"coordinator"},
        201,
    ),
]


def _call(client: TestClient, token: str, method: str, path: str, payload: dict[str, Any], role: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return client.get(path, params=payload, headers=headers)
    body = json.loads(json.dumps(payload).replace("{role}", role))
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "payload", "allowed", "success"),
    MATRIX,
    ids=[f"{m} {p} {sorted(q.items())[:2]}" for m, p, q, _, _ in MATRIX],
)
def test_endpoint_by_role(client: TestClient, tokens: dict[str, str], role: str, method: str, path: str,
                          payload: dict[str, Any], allowed: set[str], success: int) -> None:  # fmt: skip
    response = _call(client, tokens[role], method, path, payload, role)
    assert response.status_code == (success if role in allowed else 403), response.text[:300]
    if role in POLICE or response.status_code >= 400 or path.endswith(".mvt"):
        return
    body = response.text
    assert DEAL_POINT_LABEL not in body and "deal_point_report" not in body and "drug_trafficking" not in body
    if role in ("elu", "public"):
        assert "raw_label" not in body and "partner_ref" not in body
    for key, value in re.findall(r'"(count|[0-9]{4})":\s*(\d+)', body):
        assert not 0 < int(value) < 5, f"unsuppressed {key}={value} for {role} on {path}"


@pytest.mark.parametrize("path", ["/api/v1/periods", "/api/v1/heatmap?period=2026-S1", "/api/v1/deal-points"])
def test_anonymous_gets_401(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer ols_nope_nope"}).status_code == 401


def test_not_found_and_bad_input(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['coordinator']}"}
    assert client.get("/api/v1/heatmap", params={"period": "2019-S1"}, headers=headers).status_code == 404
    assert client.get("/api/v1/heatmap", params={"period": "2019-S3"}, headers=headers).status_code == 422
    assert client.patch("/api/v1/deal-points/999999", json={"status": "demantele"}, headers=headers).status_code == 404
    assert client.get("/api/v1/tiles/heatmap/2/9/0.mvt", params={"period": PERIOD}, headers=headers).status_code == 422


def test_health_and_nomenclature_are_public(client: TestClient) -> None:
    assert client.get("/api/v1/health").json()["database"] == "ok"
    families = client.get("/api/v1/nomenclature").json()
    assert {f["code"] for f in families} >= {"property", "violence", "drugs"}


def test_partner_sees_its_own_source_only(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/events", params={"period": PERIOD}, headers={"Authorization": f"Bearer {tokens['partner']}"}
    )
    sources = {feature["properties"]["source"] for feature in response.json()["features"]}
    assert sources == {"mediation"}


def test_elu_heatmap_suppresses_small_counts(client: TestClient, tokens: dict[str, str]) -> None:
    def heatmap(role: str, category: str) -> list[dict[str, Any]]:
        response = client.get("/api/v1/heatmap", params={"period": PERIOD, "resolution": 8, "category": category},
                              headers={"Authorization": f"Bearer {tokens[role]}"})  # fmt: skip
        return [feature["properties"] for feature in response.json()["features"]]

    categories = [c["code"] for f in client.get("/api/v1/nomenclature").json() for c in f["categories"]]
    small = next(c for c in categories if any(0 < (p["count"] or 0) < 5 for p in heatmap("coordinator", c)))
    full = {p["h3"]: p["count"] for p in heatmap("coordinator", small)}
    for properties in heatmap("elu", small):
        if 0 < full[properties["h3"]] < 5:
            assert (properties["count"], properties["count_label"], properties["suppressed"]) == (None, "< 5", True)
        else:
            assert properties["count"] == full[properties["h3"]]
