"""Issue 11's findings, each tried as the partner, élu, public or scoped police user who found it.

Every test asserts on numbers: what the role receives, and what sums, differences and rates of it
reveal about the true figures (read with independent SQL in ``tests.routes.truth``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine, text

from api.main import create_app
from ols.access.audience import Audience
from ols.access.dealpoints import create as create_deal_point
from ols.access.users import create_user, disable_user
from ols.cartography.grid import to_int
from ols.periods import parse_period
from ols.settings import ApiSettings
from tests.routes.conftest import NEIGHBOUR, PERIOD, serve_app
from tests.routes.truth import SENSITIVE, as_int, centre_inside, counts, numbers, outline, small, tile_of

DEMO = "59410"

OPERATOR = Audience.operator()


def _get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    return client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


def _cells(body: dict[str, Any]) -> dict[str, int | None]:
    return {f["properties"]["h3"]: as_int(f["properties"]["count"]) for f in body["features"]}


# 1. /profiles/time ------------------------------------------------------------------------------


def test_profiles_give_the_public_no_sensitive_fact_and_no_small_count(
    client: TestClient, tokens: dict[str, str], api_engine: Engine
) -> None:
    two_days = _get(client, tokens["public"], "/api/v1/profiles/time", period="2026-01-06..2026-01-07",
                    family="drugs")  # fmt: skip
    if two_days.status_code == 200:
        assert not small(numbers(two_days.json())), "a two-day profile gives the public small counts"
    assert two_days.status_code == 403  # ranges of days would isolate single facts by differences
    profile = _get(client, tokens["public"], "/api/v1/profiles/time", period=PERIOD, family="drugs").json()
    assert not small(numbers(profile))
    timed = "e.time_precision = 'minute' AND e.family = 'drugs'"
    every = sum(counts(api_engine, PERIOD, group="1", where=timed).values())
    open_ = sum(counts(api_engine, PERIOD, group="1", where=timed, open_only=True).values())
    assert every - open_ >= 10, "the demo must hold sensitive drug facts for this test to mean anything"
    assert abs(profile["timed"] - open_) < 5  # the sensitive categories are not in it (rounding moves < 5)


# 2. /hotspots -----------------------------------------------------------------------------------


def test_partner_hotspot_counts_are_its_heatmap_counts(client: TestClient, tokens: dict[str, str]) -> None:
    hot = _cells(_get(client, tokens["partner"], "/api/v1/hotspots", period=PERIOD, resolution=9).json())
    heat = _cells(_get(client, tokens["partner"], "/api/v1/heatmap", period=PERIOD, resolution=9).json())
    differences = {cell: count for cell, count in hot.items() if count != heat.get(cell)}  # absent: "< 5" too
    assert not differences, f"{len(differences)} cells where hot spots minus heatmap reveal hidden facts"


def test_hotspots_follow_the_territory_scope(client: TestClient, scoped_tokens: dict[str, str],
                                            api_engine: Engine) -> None:  # fmt: skip
    body = _get(client, scoped_tokens["elu-demo"], "/api/v1/hotspots", period=PERIOD, resolution=8).json()
    demo = outline(api_engine, DEMO)
    assert body["features"] and all(centre_inside(feature, demo) for feature in body["features"])


# 3. /indicators ---------------------------------------------------------------------------------


def test_indicator_rates_and_totals_reveal_no_hidden_count(
    client: TestClient, tokens: dict[str, str], api_engine: Engine
) -> None:
    truth = counts(api_engine, "2025-03", group="e.category", open_only=True)
    population = 20_993 + 62_000
    for role in ("partner", "elu", "public"):
        rows = _get(client, tokens[role], "/api/v1/indicators", period="2025-03", by="category").json()["rows"]
        hidden = {row["key"]: truth.get(row["key"], 0) for row in rows if row["2025-03"] is None}
        assert hidden, "the demo must hold small categories for this test to mean anything"
        for row in rows:
            if row["2025-03"] is None:
                rate = row.get("rate_per_thousand")
                assert rate is None or round(rate * population / 1000) != hidden[row["key"]], (role, row)
    for role in ("partner", "elu", "public"):
        for by, group in (("family", "e.family"), ("source", "s.code")):
            truth = counts(api_engine, "2025", group=group, open_only=True)
            rows = _get(client, tokens[role], "/api/v1/indicators", period="2025", by=by).json()["rows"]
            hidden = [row["key"] for row in rows if row["2025"] is None]
            total = next(row for row in rows if row["key"] == "total")["2025"]
            visible = sum(row["2025"] for row in rows if row["key"] != "total" and row["2025"] is not None)
            if len(hidden) == 1:
                assert total - visible != truth.get(hidden[0], 0) or not truth.get(hidden[0]), (role, hidden)


# 4. heatmap differencing ------------------------------------------------------------------------


def test_heatmap_families_do_not_difference_out(client: TestClient, tokens: dict[str, str],
                                                api_engine: Engine) -> None:  # fmt: skip
    families = [f["code"] for f in client.get("/api/v1/nomenclature").json()]
    truth = counts(api_engine, PERIOD, group="e.h3_r8, e.family", open_only=True)
    tried = recovered = 0
    for role in ("elu", "public"):
        every = _cells(_get(client, tokens[role], "/api/v1/heatmap", period=PERIOD, resolution=8).json())
        by_family = {family: _cells(_get(client, tokens[role], "/api/v1/heatmap", period=PERIOD, resolution=8,
                                         family=family).json()) for family in families}  # fmt: skip
        for cell, total in every.items():
            parts = {family: cells.get(cell) for family, cells in by_family.items()}  # a cell not sent is hidden
            hidden = [family for family, count in parts.items() if count is None]
            if total is None or len(hidden) != 1:
                continue
            tried += 1
            estimate = total - sum(count for count in parts.values() if count is not None)
            recovered += 0 < estimate == truth.get((int(to_int([cell])[0]), hidden[0]), 0)
    assert not recovered, f"{recovered} of {tried} hidden family counts recovered"


# 5. computed zones ------------------------------------------------------------------------------


def test_zone_statistics_hide_small_and_sensitive_counts(client: TestClient, tokens: dict[str, str]) -> None:
    for role in ("partner", "elu"):
        zones = _get(client, tokens[role], "/api/v1/zones", period=PERIOD).json()["features"]
        computed = [zone["properties"] for zone in zones if zone["properties"]["kind"] == "computed"]
        assert computed
        for zone in computed:
            events = zone["stats"].get("events")
            assert events is None or events % 5 == 0, (role, zone["code"], events)
            assert "max_z" not in zone["stats"]


# 6. territory scope -----------------------------------------------------------------------------


def test_a_police_user_of_the_neighbour_sees_nothing_of_the_demo_commune(
    client: TestClient, scoped_tokens: dict[str, str], tokens: dict[str, str], api_engine: Engine
) -> None:
    token = scoped_tokens["police-neighbour"]
    own = outline(api_engine, NEIGHBOUR)
    risk = _get(client, token, "/api/v1/near-repeat", period="2025").json()
    burglaries = counts(api_engine, "2025", group="1", territories=(NEIGHBOUR,),
                        where="e.category = 'residential_burglary' AND e.time_precision <> 'month'")  # fmt: skip
    assert risk["events"] == sum(burglaries.values())
    assert all(centre_inside(f, own) for f in risk["risk_zones"]["features"])
    rows = _get(client, token, "/api/v1/indicators", period="2025", by="family").json()["rows"]
    assert next(row for row in rows if row["key"] == "total")["2025"] == sum(
        counts(api_engine, "2025", group="1", territories=(NEIGHBOUR,)).values()
    )
    for path in ("/api/v1/zones", "/api/v1/emerging-hotspots", "/api/v1/hotspots"):
        features = _get(client, token, path, period=PERIOD).json()["features"]
        assert all(own.intersects(_shape(f)) for f in features), path
    inside_demo = "DEMO-MONS-SART"  # a declared zone wholly inside the demo commune
    compare = _get(client, token, "/api/v1/zones/compare", period=PERIOD).json()
    assert not any(z["code"] == inside_demo for items in compare.values() for z in items)
    ogc = _get(client, token, "/ogc/collections/zones/items").json()["features"]
    assert all(own.intersects(_shape(f)) for f in ogc)
    x, y = tile_of(3.0990, 50.6421, 16)
    assert _get(client, token, f"/api/v1/tiles/zones/16/{x}/{y}.mvt", period=PERIOD).content == b""
    assert _get(client, tokens["coordinator"], f"/api/v1/tiles/zones/16/{x}/{y}.mvt", period=PERIOD).content
    timed = counts(api_engine, PERIOD, group="1", territories=(NEIGHBOUR,), where="e.time_precision = 'minute'")
    assert _get(client, token, "/api/v1/profiles/time", period=PERIOD).json()["timed"] == sum(timed.values())


def _shape(feature: dict[str, Any]) -> Any:
    from shapely.geometry import shape

    return shape(feature["geometry"])


# 7. stored XSS ----------------------------------------------------------------------------------

PAYLOAD = '<img src=x onerror="window.__olsXss=(window.__olsXss||0)+1">'


def test_stored_markup_never_runs_in_another_users_page(
    browser: Browser, server: str, api_engine: Engine, client: TestClient, tokens: dict[str, str]
) -> None:
    with api_engine.begin() as connection:
        point = create_deal_point(connection, OPERATOR, label=PAYLOAD, lon=3.1050, lat=50.6410,
                                  reported_on=parse_period(PERIOD).start)  # fmt: skip
        token = create_user(connection, f"</script><script>window.__olsXss=3</script>{PAYLOAD}", role="police")
    zone = {"code": "XSS-ZONE", "name": PAYLOAD, "rationale": PAYLOAD, "owner": PAYLOAD,
            "geometry": {"type": "Polygon", "coordinates": [[[3.100, 50.640], [3.102, 50.640], [3.102, 50.641],
                                                             [3.100, 50.640]]]}}  # fmt: skip
    coordinator = {"Authorization": f"Bearer {tokens['coordinator']}"}
    assert client.post("/api/v1/zones", json=zone, headers=coordinator).status_code == 201
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server + "/")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ols-ready='1']", timeout=30_000)
        policy = page.request.get(server + "/").headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        shown = []
        for selector in ("path.ols-deal", "path.ols-zone"):
            for index in range(page.locator(selector).count()):
                page.locator(selector).nth(index).dispatch_event("click")
                shown += page.locator(".leaflet-popup-content").all_inner_texts()
        assert page.evaluate("() => window.__olsXss") is None
        assert any(PAYLOAD in text for text in shown)  # the markup is shown as text
        assert "</script>" in page.locator("#ols-user").inner_text()
        page.close()
    finally:
        client.delete("/api/v1/zones/XSS-ZONE", headers=coordinator)
        with api_engine.begin() as connection:
            connection.execute(text("DELETE FROM deal_point WHERE id = :id"), {"id": point})


# 8. sessions and tokens -------------------------------------------------------------------------


def test_a_disabled_user_is_refused_at_the_next_request(client: TestClient, api_engine: Engine) -> None:
    name = "test-disabled-user"
    with api_engine.begin() as connection:
        token = create_user(connection, name, role="elu")
    assert _get(client, token, "/api/v1/session").status_code == 200
    opened = client.post("/api/v1/session", json={"token": token}, headers={"Origin": "http://testserver"})
    cookie = opened.cookies.get("ols_session")
    assert cookie and token.split("_", 2)[2] not in cookie  # the cookie is a signed session id, never the token
    client.cookies.clear()
    with api_engine.begin() as connection:
        disable_user(connection, name)
    assert _get(client, token, "/api/v1/session").status_code == 401
    assert client.get("/api/v1/session", headers={"Cookie": f"ols_session={cookie}"}).status_code == 401


def test_logout_revokes_the_session_and_writes_need_the_same_origin(client: TestClient, tokens: dict[str, str]) -> None:
    origin = {"Origin": "http://testserver"}
    cookie = client.post("/api/v1/session", json={"token": tokens["coordinator"]}, headers=origin).cookies[
        "ols_session"
    ]
    client.cookies.clear()
    zone = {"code": "CSRF-ZONE", "name": "n", "rationale": "r", "owner": "o",
            "geometry": {"type": "Polygon", "coordinates": [[[3.10, 50.64], [3.101, 50.64], [3.101, 50.641],
                                                             [3.10, 50.64]]]}}  # fmt: skip
    jar = {"Cookie": f"ols_session={cookie}"}
    assert client.post("/api/v1/zones", json=zone, headers=jar).status_code == 403
    evil = jar | {"Origin": "https://evil.example"}
    assert client.post("/api/v1/zones", json=zone, headers=evil).status_code == 403
    assert client.post("/api/v1/zones", json=zone, headers=jar | origin).status_code == 201
    assert client.delete("/api/v1/zones/CSRF-ZONE", headers=jar | origin).status_code == 204
    assert client.delete("/api/v1/session", headers=jar | origin).status_code == 204
    assert client.get("/api/v1/session", headers=jar).status_code == 401  # revoked server side


def test_forwarded_for_is_ignored_and_failed_bearers_are_throttled(api_engine: Engine, tokens: dict[str, str]) -> None:
    app = create_app(engine=api_engine, settings=ApiSettings(session_attempts_per_minute=3))
    with serve_app(app) as base:
        audited = {"X-Forwarded-For": "10.7.7.7", "Authorization": f"Bearer {tokens['police']}"}
        assert httpx.get(f"{base}/api/v1/deal-points", headers=audited).status_code == 200
        for attempt in range(3):
            forged = {"X-Forwarded-For": f"10.0.0.{attempt}", "Authorization": "Bearer ols_bad_wrongwrong"}
            assert httpx.get(f"{base}/api/v1/periods", headers=forged).status_code == 401
        locked = httpx.post(f"{base}/api/v1/session", json={"token": tokens["elu"]},
                            headers={"X-Forwarded-For": "10.9.9.9", "Origin": base})  # fmt: skip
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        assert "réessayez" in locked.json()["detail"]
    with api_engine.connect() as connection:
        clients = connection.execute(text("SELECT DISTINCT client FROM audit_log WHERE client LIKE '10.%'")).all()
    assert not clients


def test_a_known_token_prefix_is_not_faster_to_refuse(client: TestClient, tokens: dict[str, str]) -> None:
    prefix = tokens["elu"].split("_")[1]

    def timed(token: str) -> float:
        started = time.perf_counter()
        assert _get(client, token, "/api/v1/session").status_code == 401
        return time.perf_counter() - started

    known = statistics.median(timed(f"ols_{prefix}_wrong{i}") for i in range(3))
    unknown = statistics.median(timed(f"ols_{i:012x}_wrong") for i in range(3))
    assert unknown > 0.5 * known, (known, unknown)


# 9. élu and public maps -------------------------------------------------------------------------


def test_elu_and_public_get_hotspots_tiles_and_exports(
    client: TestClient, tokens: dict[str, str], api_engine: Engine, tmp_path: Path
) -> None:
    for role in ("elu", "public"):
        hot = _get(client, tokens[role], "/api/v1/hotspots", period=PERIOD, resolution=8)
        assert hot.status_code == 200 and hot.json()["features"], role
        x, y = tile_of(3.11, 50.64, 14)
        tile = _get(client, tokens[role], f"/api/v1/tiles/heatmap/14/{x}/{y}.mvt", period=PERIOD, resolution=8)
        assert tile.status_code == 200 and len(tile.content) > 100, role
    env = dict(os.environ, OLS_DATABASE_URL=api_engine.url.render_as_string(hide_password=False))
    out = tmp_path / "carte-elu.pdf"
    done = subprocess.run([sys.executable, "-m", "cli", "export", "map", "--period", PERIOD, "--out", str(out),
                           "--role", "elu"], env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-500:]
    assert out.stat().st_size > 10_000


@pytest.fixture(autouse=True)
def _no_sensitive_in_demo_assumption(api_engine: Engine) -> None:
    """The tests above mean something only if the demo holds sensitive facts."""
    assert sum(counts(api_engine, PERIOD, group="1", where="e.category = ANY(:s)", params={"s": SENSITIVE}).values())
