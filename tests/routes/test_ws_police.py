"""The police municipale's workspace: points de deal and patrols, entered and planned in Chromium by keyboard, never
shown to the other roles; the plan's GPX downloaded and the main courante read back."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import gpxpy
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from api.deps import SESSION_COOKIE
from ols.access.sessions import open_session
from ols.access.users import authenticate
from ols.reference.places import locate
from ols.store.models import DealPoint, DealPointChange, PatrolStop
from tests.routes.browsing import axe_violations, workspace
from tests.routes.conftest import PERIOD

SHOTS = "out/screenshots"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _cookie(app: Any, engine: Engine, token: str) -> dict[str, str]:
    """The session cookie of ``token``'s user, as the login form sets it."""
    with engine.begin() as connection:
        principal = authenticate(connection, token)
        assert principal is not None
        value = open_session(connection, principal, key=app.state.settings.secret_key)
    return {"Cookie": f"{SESSION_COOKIE}={value}"}


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.textContent"))


@pytest.mark.parametrize("role", ["elu", "partner", "public"])
def test_the_other_roles_never_see_the_police_pages(
    app: Any, client: TestClient, api_engine: Engine, tokens: dict[str, str], role: str
) -> None:
    cookie = _cookie(app, api_engine, tokens[role])
    for path in ("/points-de-deal", "/patrouilles"):
        page = client.get(path, headers=cookie)
        assert page.status_code == 403 and "ws-map" not in page.text, path
    headers = _bearer(tokens[role])
    assert client.get("/api/v1/deal-points", headers=headers).status_code == 403
    assert client.get("/api/v1/deal-points/1/history", headers=headers).status_code == 403
    assert client.post("/api/v1/deal-points", headers=headers, json={"label": "x", "lon": 3.1098, "lat": 50.6423,
                       "reported_on": "2026-03-01"}).status_code == 403  # fmt: skip
    assert client.get("/api/v1/patrols/1/plan.gpx", headers=headers).status_code == 403
    assert client.get("/api/v1/patrols/1/log", headers=headers).status_code == 403
    assert client.post("/api/v1/patrols/1/log", headers=headers,
                       json={"team": 1, "position": 1, "done": True}).status_code == 403  # fmt: skip
    home = client.get("/", headers=cookie)
    start = home.text.index('id="ols-config">') + len('id="ols-config">')
    config = json.loads(home.text[start : home.text.index("</script>", start)])
    assert "deal_points" not in config["layers"] and "patrols" not in config["layers"]


def test_police_pages_answer_the_police_and_the_coordinator(
    app: Any, client: TestClient, api_engine: Engine, tokens: dict[str, str]
) -> None:
    for role in ("police", "coordinator"):
        cookie = _cookie(app, api_engine, tokens[role])
        for path in ("/points-de-deal", "/patrouilles"):
            page = client.get(path, headers=cookie)
            assert page.status_code == 200 and 'id="ws-map"' in page.text, (role, path)


def test_a_deal_point_refuses_names_and_a_history_stays_in_its_perimeter(
    client: TestClient, tokens: dict[str, str], scoped_tokens: dict[str, str], api_engine: Engine
) -> None:
    body = {"label": "Hall B", "lon": 3.1098, "lat": 50.6423, "reported_on": "2026-03-01",
            "notes": "guetteur : M. Dupont, 06 12 34 56 78"}  # fmt: skip
    refused = client.post("/api/v1/deal-points", headers=_bearer(tokens["police"]), json=body)
    assert refused.status_code == 422 and "nominative" in refused.json()["detail"]
    with api_engine.connect() as connection:
        lon, lat = locate(connection, "Mairie de Mons")  # in the demo commune, not in the neighbour's
    created = client.post("/api/v1/deal-points", headers=_bearer(tokens["police"]),
                          json={**body, "notes": "", "lon": lon, "lat": lat})  # fmt: skip
    first = created.json()["id"]
    own = client.get(f"/api/v1/deal-points/{first}/history", headers=_bearer(tokens["police"]))
    assert own.status_code == 200 and own.json()["history"][0]["event"] == "created"
    other = client.get(f"/api/v1/deal-points/{first}/history", headers=_bearer(scoped_tokens["police-neighbour"]))
    assert other.status_code == 404


def test_police_enters_a_deal_point_by_keyboard_and_updates_it(
    browser: Browser, server: str, tokens: dict[str, str], api_engine: Engine
) -> None:
    label = f"Porche test {uuid.uuid4().hex[:6]}"
    with workspace(browser, server, tokens["police"], "/points-de-deal") as page:
        page.wait_for_selector("#dp-table table")
        page.focus("#dp-label")
        page.keyboard.type(label)
        page.keyboard.press("Tab")
        assert _focused(page) == "dp-place"
        page.keyboard.type("Mairie de Mons")
        page.keyboard.press("Tab")  # leaving the list takes the place's coordinates
        assert page.input_value("#dp-lon") and page.input_value("#dp-lat")
        page.focus("#dp-notes")
        page.keyboard.press("Tab")
        assert _focused(page) == "Enregistrer le point"
        page.keyboard.press("Enter")
        page.wait_for_selector("#dp-history tbody tr")
        assert page.locator("#dp-history tbody tr").count() == 1
        assert "création" in page.locator("#dp-history").inner_text()
        assert label in page.locator("#dp-table").inner_text()
        page.focus("#dp-new-status")
        page.select_option("#dp-new-status", "demantele")
        page.focus("#dp-update button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelectorAll('#dp-history tbody tr').length === 2")
        assert "actif → démantelé" in page.locator("#dp-history").inner_text()
        assert axe_violations(page) == []
        page.screenshot(path=f"{SHOTS}/points-de-deal.png", full_page=True)
    with api_engine.connect() as connection:
        point = connection.execute(select(DealPoint.id, DealPoint.status).where(DealPoint.label == label)).one()
        changes = connection.execute(select(func.count()).where(DealPointChange.deal_point_id == point.id))
        assert point.status == "demantele" and changes.scalar_one() == 2


def _plan_by_keyboard(page: Page) -> None:
    page.wait_for_selector("#pt-period option", state="attached")
    page.select_option("#pt-period", PERIOD)
    page.fill("#pt-date", "2026-12-04")  # a Friday
    page.focus("#pt-stops")
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.focus("#pt-start")
    page.keyboard.type("Mairie de Mons")
    page.focus("#pt-lat")
    page.keyboard.press("Tab")
    assert _focused(page) == "Planifier la patrouille"
    page.keyboard.press("Enter")
    page.wait_for_selector("#pt-stops-table tbody tr .ws-log")


def _log_first_stops(page: Page) -> None:
    page.select_option("#pt-stops-table tbody tr:nth-child(1) select", "effectif")
    page.focus("#pt-stops-table tbody tr:nth-child(1) button")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#pt-stops-table tbody tr').innerText.includes('non fait')")
    page.focus("#pt-stops-table tbody tr:nth-child(2) button")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('#pt-stops-table tbody tr:nth-child(2)').innerText.includes('\\tfait')"
    )


def test_police_plans_a_patrol_downloads_its_gpx_and_logs_its_stops(
    browser: Browser, server: str, client: TestClient, tokens: dict[str, str], api_engine: Engine
) -> None:
    with workspace(browser, server, tokens["police"], "/patrouilles") as page:
        _plan_by_keyboard(page)
        title = page.locator("#pt-title").inner_text()
        plan_id = int(title.split("n° ")[1].split(" ")[0])
        rows = page.locator("#pt-stops-table tbody tr").count()
        assert 1 <= rows <= 6 and "ven 18:00-23:00" in title
        page.focus("#pt-downloads a[href$='.gpx']")
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        gpx = gpxpy.parse(Path(download.value.path()).read_text(encoding="utf-8"))
        assert len(gpx.waypoints) == rows and len(gpx.tracks) == 2
        for team in (1, 2):
            times = [w.name.split(" ")[1] for w in gpx.waypoints if w.name.startswith(f"É{team}-")]
            assert times == sorted(times) and all("18:00" <= t <= "23:00" for t in times), times
        _log_first_stops(page)
        assert axe_violations(page) == []
        page.screenshot(path=f"{SHOTS}/patrouilles.png", full_page=True)
    log = client.get(f"/api/v1/patrols/{plan_id}/log", headers=_bearer(tokens["police"])).json()["stops"]
    assert (log[0]["done"], log[0]["outcome"]) == (False, "effectif") and (log[1]["done"], log[1]["outcome"]) == (
        True, None)  # fmt: skip
    assert all(stop["done"] is None for stop in log[2:]) and any(stop["name"] for stop in log)
    with api_engine.connect() as connection:
        logged = select(PatrolStop.logged_by).where(PatrolStop.plan_id == plan_id, PatrolStop.done.is_not(None))
        who = connection.execute(logged).scalars().all()
    assert len(who) == 2 and all(name.startswith("test-police-") for name in who)
    pdf = client.get(f"/api/v1/patrols/{plan_id}/plan.pdf", headers=_bearer(tokens["police"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000
    Path(f"{SHOTS}/patrouille.pdf").write_bytes(pdf.content)


def test_the_main_courante_refuses_a_stop_not_made_without_its_reason(
    client: TestClient, tokens: dict[str, str], scoped_tokens: dict[str, str]
) -> None:
    headers = _bearer(tokens["police"])
    body = {"period": PERIOD, "window": "sam 14:00-16:00", "teams": 1, "stops": 2, "seed": 3, "start": "Mairie de Mons"}
    plan = client.post("/api/v1/patrols/plan", headers=headers, json=body)
    assert plan.status_code == 200, plan.text
    plan_id = plan.json()["plan_id"]
    missing = client.post(f"/api/v1/patrols/{plan_id}/log", headers=headers, json={"team": 1, "position": 1,
                                                                                    "done": False})  # fmt: skip
    assert missing.status_code == 422 and "motif" in missing.json()["detail"]
    free = client.post(f"/api/v1/patrols/{plan_id}/log", headers=headers,
                       json={"team": 1, "position": 1, "done": False, "outcome": "vu M. Dupont"})  # fmt: skip
    assert free.status_code == 422
    absent = client.post(f"/api/v1/patrols/{plan_id}/log", headers=headers, json={"team": 1, "position": 9,
                                                                                   "done": True})  # fmt: skip
    assert absent.status_code == 404
    geojson = client.get(f"/api/v1/patrols/{plan_id}/plan.geojson", headers=headers).json()
    assert geojson["plan_id"] == plan_id and geojson["features"] == plan.json()["features"]
    neighbour = _bearer(scoped_tokens["police-neighbour"])  # the plan lies in the demo commune, not in theirs
    assert client.get(f"/api/v1/patrols/{plan_id}/log", headers=neighbour).status_code == 404
    assert client.get(f"/api/v1/patrols/{plan_id}/plan.gpx", headers=neighbour).status_code == 404
    assert client.post(f"/api/v1/patrols/{plan_id}/log", headers=neighbour,
                       json={"team": 1, "position": 1, "done": True}).status_code == 404  # fmt: skip
