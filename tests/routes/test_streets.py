"""The streets as the offline base map: vector tiles from PostGIS, drawn by the page with no request leaving it.

The package's database holds the demo, whose synthetic streets ``run_demo`` loaded like ``ols territory
load-streets`` loads a real network.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import mapbox_vector_tile
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, text

from api.serving import STAMP_SECONDS
from etl.demo.commune import STREETS
from tests.routes.browsing import keep_offline
from tests.routes.truth import tile_of

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
MONS = (3.1100, 50.6430)  # the middle of the demo commune
INKED = """(selector) => Array.from(document.querySelectorAll(selector)).filter((canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { return true; } }
  return false;
}).length"""
LINES, NAMES = ".leaflet-olsStreets-pane canvas:not(.ols-street-names)", ".leaflet-olsStreets-pane .ols-street-names"
ZOOM_IN = """() => window[JSON.parse(document.getElementById("ols-config").textContent).map]
  .setView([50.643, 3.11], 17)"""
Z_INDEX = "(name) => Number(getComputedStyle(document.querySelector('.leaflet-' + name)).zIndex)"


def _tile(client: TestClient, token: str, z: int, lon: float, lat: float, **headers: str) -> Any:
    x, y = tile_of(lon, lat, z)
    headers["Authorization"] = f"Bearer {token}"
    return client.get(f"/api/v1/tiles/streets/{z}/{x}/{y}.mvt", headers=headers)


def _features(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    features: list[dict[str, Any]] = mapbox_vector_tile.decode(response.content)["streets"]["features"]
    return features


def test_street_tiles_for_every_reader(
    client: TestClient, server: str, tokens: dict[str, str], api_engine: Engine
) -> None:
    """Each street segment once (a two-way street is two directed edges), named; minor roads only zoomed in."""
    near = _features(_tile(client, tokens["public"], 15, *MONS))
    assert {f["properties"]["name"] for f in near if "name" in f["properties"]} & set(STREETS)
    assert {f["properties"]["highway"] for f in near} >= {"residential", "tertiary"}
    drawn = [frozenset(map(tuple, f["geometry"]["coordinates"])) for f in near]
    assert len(drawn) == len(set(drawn))  # no segment drawn in both directions
    with api_engine.connect() as connection:  # the streets drawn are stored both ways
        both = text("SELECT count(*) FROM street_edge a JOIN street_edge b ON a.u = b.v AND a.v = b.u AND a.u <> a.v")
        assert connection.execute(both).scalar_one() > len(near)
    low = _features(_tile(client, tokens["elu"], 12, *MONS))  # the demo's residential streets from zoom 13
    assert low and {f["properties"]["highway"] for f in low} <= {"secondary", "tertiary"}
    assert _tile(client, tokens["public"], 15, 2.35, 48.85).content == b""  # Paris: no street loaded there
    x, y = tile_of(*MONS, 15)
    assert httpx.get(f"{server}/api/v1/tiles/streets/15/{x}/{y}.mvt").status_code == 401  # no session, no token
    etag = _tile(client, tokens["police"], 15, *MONS).headers["etag"]
    assert _tile(client, tokens["police"], 15, *MONS, **{"If-None-Match": etag}).status_code == 304
    with api_engine.begin() as connection:  # a network reloaded elsewhere (a statement on street_edge)
        connection.execute(text("UPDATE street_edge SET name = name WHERE id = (SELECT min(id) FROM street_edge)"))
    time.sleep(STAMP_SECONDS + 0.1)  # changes made by another process are read at most a second later
    assert _tile(client, tokens["police"], 15, *MONS, **{"If-None-Match": etag}).status_code == 200


def _open(browser: Browser, server: str, token: str, query: str = "") -> tuple[Page, list[str], list[tuple[str, int]]]:
    """The map page with every request off the loopback aborted; the street tiles it received (URL, status)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    blocked = keep_offline(page, server)
    tiles: list[tuple[str, int]] = []
    page.on("response", lambda r: tiles.append((r.url, r.status)) if "/tiles/streets/" in r.url else None)
    page.goto(server + "/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ols-ready='1']", timeout=30_000)
    if query:
        blocked.clear()
        tiles.clear()
        page.goto(server + "/" + query)
        page.wait_for_selector("body[data-ols-ready='1']", timeout=30_000)
    return page, blocked, tiles


def _inked(page: Page, selector: str, timeout: float = 15.0) -> int:
    """How many canvases of ``selector`` hold drawn pixels, once some do (polled from Python: the page's CSP
    forbids eval, hence Playwright's in-page waits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count: int = page.evaluate(INKED, selector)
        if count:
            return count
        time.sleep(0.1)
    return 0


def test_offline_map_draws_the_streets_under_the_heat_map(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    page, blocked, tiles = _open(browser, server, tokens["public"])
    assert _inked(page, LINES) >= 1
    assert tiles and {status for _, status in tiles} <= {200, 304}
    assert page.locator(LINES).count() == len(tiles) and page.locator(NAMES).count() == 0  # names from zoom 16
    assert page.evaluate(Z_INDEX, "tile-pane") < page.evaluate(Z_INDEX, "olsStreets-pane") == 250
    assert page.evaluate(Z_INDEX, "olsStreets-pane") < page.evaluate(Z_INDEX, "olsHeat-pane")
    assert "Plan des rues (hors ligne)" in page.locator(".leaflet-control-attribution").inner_text()
    assert not blocked  # the base map is the territory's streets: nothing asked of the internet
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "map-public-streets-offline.png"))
    loaded = len(tiles)
    page.evaluate(ZOOM_IN)
    assert _inked(page, NAMES) >= 1
    zoomed = [url for url, _ in tiles[loaded:]]
    assert zoomed and len(zoomed) == len(set(zoomed))  # the names drew from the lines' own tiles, fetched once
    page.screenshot(path=str(SHOTS / "map-public-street-names.png"))
    page, blocked, tiles = _open(browser, server, tokens["public"], "?basemap=osm")
    assert any("tile.openstreetmap.org" in url for url in blocked) and not tiles
    assert page.locator(".leaflet-olsStreets-pane").count() == 0
    page.close()
