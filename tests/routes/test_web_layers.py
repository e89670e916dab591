"""The police's layers on the map in a real headless Chromium: near-repeat risk areas and the veille croisée for
the police only (checked on the network and the layer list, in numbers), the facts / activity switch redrawing the
heatmap with the API's activity counts, and axe-core on the page.

Screenshots are written to ``out/screenshots/`` for people to look at.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Response

from tests.french_text import english_codes
from tests.routes.conftest import PERIOD
from tests.routes.test_web import SHOTS, _wait_loaded

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const found = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
  return found.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
}"""
ZOOM_TO_RISK = """() => {
  const map = window[JSON.parse(document.getElementById("ols-config").textContent).map];
  const areas = window.OLS_STATE.nearRepeat.risk_zones.features;
  map.fitBounds(L.geoJSON(areas[areas.length - 1]).getBounds().pad(4));
}"""
ON_TOP = """() => {
  const cfg = JSON.parse(document.getElementById("ols-config").textContent);
  const map = window[cfg.map];
  const box = map.getContainer().getBoundingClientRect();
  const hits = window.OLS_STATE.nearRepeat.risk_zones.features.map((f) => {
    const p = map.latLngToContainerPoint([f.properties.lat, f.properties.lon]);
    return document.elementFromPoint(box.left + p.x, box.top + p.y);
  }).filter((hit) => hit && !hit.closest(".leaflet-control, #ols-panel, .leaflet-popup"));
  const paths = Array.from(document.querySelectorAll("path.ols-zone, path.ols-crosswatch"));
  const last = (name) => paths.map((p) => p.classList.contains(name)).lastIndexOf(true);
  return hits.length > 0 && hits.every((hit) => hit.classList.contains("ols-risk")) &&
    last("ols-zone") < paths.findIndex((p) => p.classList.contains("ols-crosswatch"));
}"""
POLICE_ONLY = ("/api/v1/near-repeat", "/api/v1/crosswatch")


class MapSession:
    """A logged-in map page, offline (only the test server answers), with every API response it received."""

    def __init__(self, browser: Browser, server: str, token: str) -> None:
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
        self.page: Page = self.context.new_page()
        self.responses: list[Response] = []
        self.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
                        else route.abort())  # fmt: skip
        self.page.on("response", self.received)
        self.page.goto(server + "/")
        self.page.fill("#token", token)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector("body[data-ols-ready='1']", timeout=60_000)

    def received(self, response: Response) -> None:
        """Keep a response the page received (Playwright wants a Python function, not a list's method)."""
        self.responses.append(response)

    def json_of(self, path: str) -> list[Any]:
        """The bodies of the answers of an API path the page received."""
        return [r.json() for r in self.responses if path in r.url and r.status == 200]

    def close(self) -> None:
        """Close the page and its context."""
        self.context.close()


@pytest.fixture
def police_map(browser: Browser, server: str, tokens: dict[str, str]) -> Iterator[MapSession]:
    """The police's map, opened on the latest period."""
    session = MapSession(browser, server, tokens["police"])
    yield session
    session.close()


def _api(client: TestClient, token: str, path: str, **params: object) -> Any:
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text[:300]
    return response.json()


def _wait_for(page: Page, script: str, timeout: float = 30.0) -> Any:
    """Poll a page expression from Python (the page's CSP forbids Playwright's in-page waits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never true: {script}")


def test_the_police_map_shows_risk_areas_and_the_veille_croisee(
    police_map: MapSession, client: TestClient, tokens: dict[str, str]
) -> None:
    page = police_map.page
    _wait_for(page, "window.OLS_STATE.counts.near_repeat !== undefined")
    _wait_for(page, "window.OLS_STATE.counts.crosswatch !== undefined")
    risk = _api(client, tokens["police"], "/api/v1/near-repeat", period=PERIOD)
    places = _api(client, tokens["police"], "/api/v1/crosswatch", period=PERIOD)
    assert police_map.json_of("/api/v1/near-repeat")[0]["risk_zones"] == risk["risk_zones"]
    assert police_map.json_of("/api/v1/crosswatch")[0]["features"] == places["features"]
    assert len(risk["risk_zones"]["features"]) >= 1 and len(places["features"]) >= 1
    assert page.locator("path.ols-risk").count() == len(risk["risk_zones"]["features"])
    assert page.locator("path.ols-crosswatch").count() == len(places["features"])
    control = page.locator(".leaflet-control-layers").inner_text()
    assert "Risque de répétition (cambriolages)" in control and "Veille croisée" in control
    assert risk["sentence"] in page.locator("#ols-near-repeat").inner_text()
    listed = page.locator("#ols-crosswatch li").all_inner_texts()
    assert listed == [f["properties"]["name"] for f in places["features"]]
    page.locator("path.ols-risk").last.click(force=True)
    popup = page.locator(".leaflet-popup-content").inner_text()
    time.sleep(0.4)  # the popup fades in
    assert risk["sentence"] in popup and "Après un cambriolage de logement le " in popup
    page.screenshot(path=str(SHOTS / "map-police-risk-popup.png"))
    page.keyboard.press("Escape")
    page.screenshot(path=str(SHOTS / "map-police-risk-crosswatch.png"))
    page.evaluate(ZOOM_TO_RISK)
    time.sleep(0.5)
    page.screenshot(path=str(SHOTS / "map-police-risk-zoom.png"))
    assert not english_codes(page.locator("body").inner_text())


def test_an_elu_map_receives_neither_risk_areas_nor_the_veille_croisee(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    session = MapSession(browser, server, tokens["elu"])
    page = session.page
    layers = json.loads(page.locator("#ols-config").text_content() or "{}")["layers"]
    assert "near_repeat" not in layers and "crosswatch" not in layers
    assert not [r.url for r in session.responses if any(path in r.url for path in POLICE_ONLY)]
    assert session.json_of("/api/v1/heatmap/cells")  # the élu's map did load
    counts = page.evaluate("window.OLS_STATE.counts")
    assert "near_repeat" not in counts and "crosswatch" not in counts
    assert page.locator("path.ols-risk").count() == 0 and page.locator("path.ols-crosswatch").count() == 0
    control = page.locator(".leaflet-control-layers").inner_text()
    assert "Risque de répétition" not in control and "Veille croisée" not in control
    assert page.locator("#ols-near-repeat").inner_text() == "" and page.locator("#ols-crosswatch").inner_text() == ""
    session.close()


def test_the_switch_redraws_the_map_with_the_activity_counts(
    police_map: MapSession, client: TestClient, tokens: dict[str, str]
) -> None:
    page = police_map.page
    assert "Carte : Faits constatés" in page.locator("#ols-legend").inner_text()
    facts = dict(page.evaluate("Array.from(window.OLS_STATE.heatmapLabels.entries())"))
    before = page.evaluate("window.OLS_STATE.loads")
    page.get_by_label("Activité des services").check()
    _wait_loaded(page, before)
    shown = dict(page.evaluate("Array.from(window.OLS_STATE.heatmapLabels.entries())"))
    grid = page.evaluate("window.OLS_STATE.heatmapResolution")
    activity = _api(client, tokens["police"], "/api/v1/heatmap", period=PERIOD, resolution=grid, measure="activity")
    expected = {f["properties"]["h3"]: str(f["properties"]["count"]) for f in activity["features"]}
    assert expected and shown == expected
    assert shown != facts  # the map did change
    busiest = max(expected, key=lambda cell: int(expected[cell]))
    assert shown[busiest] == str(next(f["properties"]["count"] for f in activity["features"]
                                      if f["properties"]["h3"] == busiest))  # fmt: skip
    legend = page.locator("#ols-legend").inner_text()
    assert "Carte : Activité des services" in legend and "actions des services" in legend
    assert page.evaluate(ON_TOP), "the redrawn layers must not bury the risk areas and the veille croisée"
    hotspots = [r.url for r in police_map.responses if "/api/v1/hotspots" in r.url]
    assert "measure=activity" in hotspots[-1]
    page.screenshot(path=str(SHOTS / "map-police-activity.png"))
    before = page.evaluate("window.OLS_STATE.loads")
    page.get_by_label("Faits constatés").check()
    _wait_loaded(page, before)
    assert dict(page.evaluate("Array.from(window.OLS_STATE.heatmapLabels.entries())")) == facts


def test_axe_finds_no_violation_on_the_police_map(police_map: MapSession) -> None:
    page = police_map.page
    _wait_for(page, "window.OLS_STATE.counts.crosswatch !== undefined")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    assert violations == [], violations
