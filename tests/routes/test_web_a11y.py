"""The map's accessibility (RGAA 4.1 / WCAG 2.1 AA) and its presentation mode, in a real headless Chromium.

axe-core (pinned in web/package.json) runs on the login page, the accessibility statement and the map of each role
with its table view open; a keyboard-only walk goes from the login to a zone's card; the table view is compared with
what the map drew; the presentation mode is checked at 1280×720 and its screenshot saved for people to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.routes.conftest import ROLES
from tests.routes.test_web_layers import AXE, AXE_RUN, _wait_for

TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
DRAWN_KEYS = """() => {
  const d = window.OLS.state.drawn, granted = window.OLS.cfg.layers;
  const key = (f) => String([f.properties.h3, f.properties.code, f.properties.id, f.properties.name,
    f.properties.label].find((v) => v != null));
  const cells = d.heatmap.cells.slice().sort((a, b) => (b[1] == null ? -1 : b[1]) - (a[1] == null ? -1 : a[1]));
  return { zones: granted.includes("zones") ? d.zones.map(key) : null,
    hotspots: granted.includes("hotspots") ? d.hotspots.map(key) : null,
    deal_points: granted.includes("deal_points") ? d.deal_points.map(key) : null,
    places: d.places.map(key), heatmap: cells.slice(0, 1000).map((c) => c[0]), cells: d.heatmap.cells.length };
}"""
TABLE_KEYS = """() => Object.fromEntries(Array.from(document.querySelectorAll("#ols-tableview table")).map((t) =>
  [t.dataset.kind, Array.from(t.querySelectorAll("tbody tr")).map((r) => r.dataset.key)]))"""
LEGEND_SIZES = """() => Array.from(document.querySelectorAll("#ols-legend *")).filter((n) =>
  n.offsetParent !== null && Array.from(n.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim()))
  .map((n) => [n.textContent.trim(), parseFloat(getComputedStyle(n).fontSize)])"""
IN_VIEW = """() => {
  const [w, s, e, n] = window.OLS.cfg.bounds;
  return window.OLS.map.getBounds().contains(L.latLngBounds([[s, w], [n, e]]));
}"""


class Visit:
    """A browser context on the test server only (tiles and every other host are refused), CSP bypassed for axe."""

    def __init__(self, browser: Browser, server: str, width: int = 1600, height: int = 1000) -> None:
        self.server = server
        self.context: BrowserContext = browser.new_context(viewport={"width": width, "height": height},
                                                           bypass_csp=True)  # fmt: skip
        self.page: Page = self.context.new_page()
        self.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
                        else route.abort())  # fmt: skip

    def login(self, token: str, path: str = "/") -> Page:
        """Log in with a token and open ``path``, once its layers are drawn."""
        self.page.goto(self.server + "/")
        self.page.fill("#token", token)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector("body[data-ols-ready='1']", timeout=60_000)
        if path != "/":
            self.page.goto(self.server + path)
            self.page.wait_for_selector("body[data-ols-ready='1']", timeout=60_000)
        _wait_for(self.page, "window.OLS.state.loads > 0 && document.getElementById('ols-summary').textContent")
        return self.page


@pytest.fixture
def visit(browser: Browser, server: str) -> Iterator[Visit]:
    """A fresh context at 1600×1000."""
    opened = Visit(browser, server)
    yield opened
    opened.context.close()


def _axe(page: Page) -> list[Any]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations: list[Any] = page.evaluate(AXE_RUN)
    return violations


def _config(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(page.locator("#ols-config").text_content() or "{}")
    return found


def test_axe_finds_nothing_on_the_login_page_and_the_statement(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server + "/")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert _axe(page) == []
    page.click("text=Accessibilité : non conforme")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Déclaration d'accessibilité"
    words = page.locator("main").inner_text()
    for part in ("État de conformité", "Résultats des tests", "Contenus non accessibles",
                 "Établissement de cette déclaration", "Voies de recours", "Défenseur des droits"):  # fmt: skip
        assert part in words, part
    assert _axe(page) == []


@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_nothing_on_each_map_and_its_table_view(visit: Visit, tokens: dict[str, str], role: str) -> None:
    page = visit.login(tokens[role])
    assert page.evaluate("document.documentElement.lang") == "fr"
    viewport = page.locator("meta[name=viewport]").get_attribute("content") or ""
    assert "maximum-scale" not in viewport and "user-scalable" not in viewport
    period = page.evaluate("window.OLS.state.drawn.heatmap.metadata.label")
    assert period in page.locator("h1").inner_text() and "Observatoire local" in page.locator("h1").inner_text()
    assert {"Filtres", "Couches affichées", "Légende"} <= set(page.locator("#ols-panel > h2").all_inner_texts())
    summary = page.locator("#ols-summary").inner_text()
    assert summary.startswith("Sur la carte (" + period + ") : ")
    zones = page.evaluate("window.OLS.state.drawn.zones && window.OLS.state.drawn.zones.length")
    assert (zones is not None) == ("zones" in _config(page)["layers"])
    assert zones is None or f"{zones} zone" in summary
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller aux commandes de la carte"
    tabs = 0
    while page.evaluate("document.activeElement.closest('.leaflet-control-layers') === null") and tabs < 20:
        page.keyboard.press("Tab")
        tabs += 1
    assert tabs < 20, "the layer switches come right after the filters"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"
    assert _axe(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"map-{role}-focus.png"))
    page.click("#ols-tableview-toggle")
    page.wait_for_selector("#ols-tableview table")
    assert _axe(page) == []


def _card(page: Page) -> str:
    """The text of the open card (a closed one may still be fading out before it)."""
    return page.locator(".leaflet-popup-content").last.inner_text()


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.getAttribute('class') || ''"))


def _press_until(page: Page, key: str, found: str, limit: int = 40) -> None:
    """Press a key until the focused element's id or class holds ``found`` (at most ``limit`` times)."""
    for _ in range(limit):
        if found in _focused(page):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{found} not reached with {key} in {limit} presses")


def test_a_keyboard_alone_logs_in_filters_and_opens_a_zone_card(visit: Visit, tokens: dict[str, str]) -> None:
    page, keys = visit.page, visit.page.keyboard
    page.goto(visit.server + "/")
    keys.press("Tab")
    assert _focused(page) == "token"
    keys.type(tokens["elu"])
    keys.press("Enter")
    page.wait_for_selector("body[data-ols-ready='1']", timeout=60_000)
    _wait_for(page, "window.OLS.state.loads > 0")
    loads = page.evaluate("window.OLS.state.loads")
    _press_until(page, "Tab", "ols-family")
    keys.press("ArrowDown")  # the first family
    _wait_for(page, f"window.OLS.state.loads > {loads} && document.body.dataset.olsReady === '1'")
    assert page.evaluate("window.OLS.state.drawn.heatmap.metadata.family") == page.input_value("#ols-family") != ""
    _press_until(page, "Shift+Tab", "ols-skip-map")
    keys.press("Enter")
    assert page.evaluate("document.activeElement === window.OLS.map.getContainer()")
    _press_until(page, "Tab", "ols-zone", 30)
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith("Zones de vigilance : ")
    keys.press("Enter")
    assert label.removeprefix("Zones de vigilance : ").removesuffix(" (ouvrir la fiche)") in _card(page)
    assert page.evaluate("document.activeElement.classList.contains('leaflet-popup-content')")
    keys.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Pourquoi cette zone ?"
    keys.press("Enter")
    page.wait_for_selector("#ols-explain:not([hidden])")
    page.screenshot(path=str(SHOTS / "map-elu-keyboard-zone.png"))


def test_the_table_view_lists_what_the_map_draws(visit: Visit, tokens: dict[str, str]) -> None:
    page = visit.login(tokens["coordinator"])
    page.click("#ols-tableview-toggle")
    assert page.evaluate("document.activeElement.id") == "ols-tableview-title"
    drawn, listed = page.evaluate(DRAWN_KEYS), page.evaluate(TABLE_KEYS)
    assert drawn["zones"] and drawn["hotspots"] and drawn["deal_points"] and drawn["places"]
    for kind in ("zones", "hotspots", "deal_points", "places", "heatmap"):
        assert listed[kind] == drawn[kind], kind
    captions = page.locator("#ols-tableview caption").all_inner_texts()
    assert f"Zones de vigilance : {len(drawn['zones'])}" in captions
    assert page.locator("#ols-tableview th[scope=col]").count() >= 10
    assert page.locator("#ols-tableview th[scope=row]").count() == sum(len(listed[k]) for k in listed)
    loads = page.evaluate("window.OLS.state.loads")
    page.select_option("#ols-family", index=1)
    _wait_for(page, f"window.OLS.state.loads > {loads} && document.body.dataset.olsReady === '1'")
    again = page.evaluate(DRAWN_KEYS)
    assert again["heatmap"] != drawn["heatmap"] and page.evaluate(TABLE_KEYS)["heatmap"] == again["heatmap"]
    zone = page.locator("#ols-tableview table[data-kind=zones] tbody tr").last
    name = zone.locator("th").inner_text()
    zone.locator("button").click()
    assert name in _card(page)
    page.screenshot(path=str(SHOTS / "map-coordinator-table-view.png"))
    assert page.evaluate("document.activeElement.classList.contains('leaflet-popup-content')")


@pytest.mark.parametrize("role", ["coordinator", "elu", "public"])
def test_presentation_mode_on_a_projector(
    browser: Browser, server: str, tokens: dict[str, str], role: str, tmp_path: Path
) -> None:
    visit = Visit(browser, server, 1280, 720)
    page = visit.login(tokens[role], "/?presentation=1")
    config = _config(page)
    assert "presentation" in page.evaluate("document.body.className")
    _wait_for(page, "document.getElementById('ols-present-period').textContent")
    shot = tmp_path / f"presentation-{role}.png"
    page.screenshot(path=str(shot))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"map-{role}-presentation.png"))
    band = page.locator(".ols-band").inner_text()
    period = page.evaluate("window.OLS.state.drawn.heatmap.metadata.label")
    assert period in band and "Observatoire local de la sécurité" in band and " le " in band
    assert ("DIFFUSION RESTREINTE" in band) == (role == "coordinator")
    sizes = page.evaluate(LEGEND_SIZES)
    assert len(sizes) >= 5 and all(size >= 24 for _, size in sizes), sizes
    assert page.evaluate(IN_VIEW), "the whole territory is on screen"
    assert page.locator("path.ols-deal").count() == 0
    assert "Points de deal" not in page.locator("#ols-legend").inner_text()  # the legend says what is shown
    assert config["user"] not in page.locator("body").inner_text()
    assert page.locator("#ols-resolution").is_hidden()
    assert page.locator(".leaflet-control-scale-line:visible").count() == 1
    if "zones" not in config["layers"]:
        page.keyboard.press("n")
        assert page.locator("#ols-present-zone").inner_text() == "Aucune zone de vigilance sur la carte."
        return visit.context.close()
    zones = page.evaluate("window.OLS.state.drawn.zones.map((f) => f.properties.name)")
    page.keyboard.press("n")
    assert zones[0] in _card(page)
    page.keyboard.press("ArrowRight")
    assert zones[1 % len(zones)] in _card(page)
    assert f"Zone {1 % len(zones) + 1} sur {len(zones)}" in page.locator("#ols-present-zone").inner_text()
    page.screenshot(path=str(SHOTS / f"map-{role}-presentation-zone.png"))
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    assert "presentation" not in page.evaluate("document.body.className")
    if "deal_points" in config["layers"]:
        assert page.locator("path.ols-deal").count() >= 1  # switched back on when leaving
        assert "Points de deal" in page.locator("#ols-legend").inner_text()
    visit.context.close()
