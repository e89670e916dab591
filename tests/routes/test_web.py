"""The map page in a real headless Chromium, against the real app served on loopback.

Screenshots are written to ``out/screenshots/`` for people to look at.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, text

from tests.french_text import english_codes
from tests.routes.browsing import keep_offline
from tests.routes.conftest import PERIOD, PREVIOUS

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


def _login(browser: Browser, server: str, token: str, *, offline: bool = True) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    blocked: list[str] = keep_offline(page, server) if offline else []
    page.goto(server + "/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ols-ready='1']", timeout=30_000)
    return page, blocked


def _wait_loaded(page: Page, loads: int, timeout: float = 20.0) -> None:
    """Poll from Python: the page's CSP (no eval) forbids Playwright's in-page wait_for_function."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("window.OLS_STATE.loads") > loads and page.evaluate("document.body.dataset.olsReady") == "1":
            return
        time.sleep(0.05)
    raise AssertionError("the layers did not reload")


def test_coordinator_map_offline(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, blocked = _login(browser, server, tokens["coordinator"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "map-coordinator.png"))
    assert page.locator("path.ols-heat").count() > 20
    assert page.locator("path.ols-zone").count() >= 2
    assert page.locator("path.ols-deal").count() >= 1
    assert page.locator(".leaflet-control-layers").inner_text().count("Points de deal") == 1
    assert page.locator(".leaflet-draw").count() == 1  # the coordinator draws declared zones
    assert "Légende" in page.locator("#ols-legend").inner_text()
    assert not blocked  # the base map is the demo's streets, from the API (tests/routes/test_streets.py)
    page.close()


def test_the_map_names_each_commune_of_the_observatory(
    browser: Browser, server: str, tokens: dict[str, str], api_engine: Engine
) -> None:
    with api_engine.connect() as connection:
        names = sorted(connection.execute(text("SELECT name FROM territory")).scalars())
    assert len(names) >= 2  # the package's observatory holds two communes
    page, _ = _login(browser, server, tokens["coordinator"])
    assert sorted(page.locator(".leaflet-tooltip.ols-commune").all_inner_texts()) == names
    assert page.locator("path.ols-commune-border").count() == len(names)
    page.close()


def test_changing_the_semester_reloads_the_layers(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["police"])
    assert page.evaluate("window.OLS_STATE.period") == PERIOD
    before = page.evaluate("window.OLS_STATE.loads")
    page.select_option("#ols-period", PREVIOUS)
    _wait_loaded(page, before)
    assert page.evaluate("window.OLS_STATE.period") == PREVIOUS
    assert page.locator("path.ols-heat").count() > 20
    page.select_option("#ols-family", "property")
    _wait_loaded(page, before + 1)
    page.screenshot(path=str(SHOTS / "map-police-previous-semester.png"))
    page.close()


def test_partner_sees_no_deal_point_layer(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["partner"])
    assert "Points de deal" not in page.locator(".leaflet-control-layers").inner_text()
    assert page.locator("path.ols-deal").count() == 0
    assert page.locator(".leaflet-draw").count() == 0
    assert page.locator("path.ols-heat").count() > 0
    page.close()


def _busy(times: int, calls: list[str]) -> Any:
    """A route handler answering the heatmap's first ``times`` requests as a busy server would (503, Retry-After)."""

    def handle(route: Any) -> None:
        calls.append(route.request.url)
        if len(calls) <= times:
            detail = '{"detail": "trop d\\u0027analyses en cours sur cette route : réessayez dans 1 s"}'
            route.fulfill(status=503, headers={"Retry-After": "1", "Content-Type": "application/json"}, body=detail)
        else:
            route.continue_()

    return handle


def test_a_busy_answer_is_asked_again_once_after_its_delay(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    page, _ = _login(browser, server, tokens["police"])
    before, calls = page.evaluate("window.OLS_STATE.loads"), []
    page.route("**/api/v1/heatmap/cells*", _busy(1, calls))
    started = time.monotonic()
    page.select_option("#ols-period", PREVIOUS)
    _wait_loaded(page, before)
    assert len(calls) == 2 and time.monotonic() - started >= 1.0
    assert page.locator("#ols-status").inner_text() == "" and page.locator("path.ols-heat").count() > 20
    page.close()


def test_a_server_still_busy_after_the_retry_is_said_in_french(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    page, _ = _login(browser, server, tokens["police"])
    calls: list[str] = []
    page.route("**/api/v1/heatmap/cells*", _busy(10, calls))
    page.select_option("#ols-period", PREVIOUS)
    deadline = time.monotonic() + 10
    while "Erreur" not in page.locator("#ols-status").inner_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (
        page.locator("#ols-status").inner_text()
        == "Erreur : trop d'analyses en cours sur cette route : réessayez dans 1 s"
    )
    assert len(calls) == 2  # one retry, not a loop


HOT_POINT = """() => {
  const cfg = JSON.parse(document.getElementById("ols-config").textContent);
  const map = window[cfg.map];
  const box = map.getContainer().getBoundingClientRect();
  for (const cell of window.OLS_STATE.hotCells) {
    const p = map.latLngToContainerPoint(h3.cellToLatLng(cell));
    const x = box.left + p.x, y = box.top + p.y;
    const hit = document.elementFromPoint(x, y);
    if (hit && !hit.closest(".leaflet-control, #ols-panel, .leaflet-popup")) { return [x, y]; }
  }
  return null;
}"""


def test_the_legend_lists_every_class_and_the_page_its_caveats(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    page, _ = _login(browser, server, tokens["coordinator"])
    legend = page.locator("#ols-legend").inner_text()
    for label in ("point chaud très marqué", "point chaud marqué", "point chaud à confirmer", "point froid très marqué",
                  "point froid marqué", "point froid à confirmer"):  # fmt: skip
        assert label in legend, label
    caveats = page.locator("#ols-caveats").inner_text()
    assert "Ce que ces chiffres ne disent pas" in caveats and "la réalité de la délinquance" in caveats
    assert "patrouilles" in caveats and "Benjamini et Hochberg" in caveats and "20 faits" in caveats
    hot = page.locator("#ols-explain-hot button")
    assert hot.count() >= 1 and "point chaud" in hot.first.inner_text()
    hot.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#ols-explain:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "ols-explain"
    assert not english_codes(page.locator("body").inner_text())
    page.close()


def test_a_click_on_a_hot_cell_explains_it(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["police"])
    point = page.evaluate(HOT_POINT)
    assert point is not None, "a hot cell is visible on the map"
    page.mouse.click(point[0], point[1])
    page.wait_for_selector("#ols-explain:not([hidden])")
    deadline = time.monotonic() + 20
    while "Chargement" in page.locator("#ols-explain-body").inner_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    words = page.locator("#ols-explain").inner_text()
    assert "Pourquoi cette cellule ?" in words and "point chaud" in words
    assert "sur 100 que ce regroupement soit dû au hasard" in words and "Hexagone près de" in words
    assert "Ce que ces chiffres ne disent pas" in words
    assert page.evaluate("document.activeElement.id") == "ols-explain"
    assert not english_codes(page.locator("body").inner_text())
    page.screenshot(path=str(SHOTS / "map-police-explain.png"))
    page.keyboard.press("Escape")
    assert page.locator("#ols-explain").is_hidden()
    page.close()


def test_a_zone_is_explained_from_the_keyboard(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["elu"])
    button = page.locator("#ols-explain-list button").first
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#ols-explain:not([hidden])")
    deadline = time.monotonic() + 20
    while "Chargement" in page.locator("#ols-explain-body").inner_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    words = page.locator("#ols-explain").inner_text()
    assert "Pourquoi cette zone ?" in words and "calculée à partir des points chauds" in words
    assert "Score z" not in words  # no z-score below the police
    assert not english_codes(page.locator("body").inner_text())
    page.screenshot(path=str(SHOTS / "map-elu-explain-zone.png"))
    page.close()
