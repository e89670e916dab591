"""The map as a finished product, in a real headless Chromium: every layer in its fixed pane whatever answers first,
stale answers dropped, a legend from what is drawn, the page following the role and the session, French only.

Each test reproduces a finding of issue 14 on the page as it was: the heatmap drawn over zones and deal points, a
late answer of an earlier choice drawn over the new one (and the zones drawn twice), « 5 – 5 faits », an English
drawing toolbar and scale, a 401 followed by more requests.
"""

from __future__ import annotations

import contextlib
import json
import re

from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Error, Page, Request, Route

from tests.routes.conftest import PREVIOUS
from tests.routes.test_web import _login, _wait_loaded
from tests.routes.test_web_layers import _wait_for

# Bottom to top: what each pane holds, as the page must stack them (the streets' pane, 250, comes from its own script).
STACK = [
    ("olsHeat", "path.ols-heat, canvas.ols-hexcanvas"), ("olsHot", "path.ols-hotspot"), ("olsZones", "path.ols-zone"),
    ("olsAnalyses", "path.ols-risk, path.ols-crosswatch"), ("olsPlaces", "path.ols-place"),
    ("olsBoundary", "path.ols-commune-border"), ("olsDeal", "path.ols-deal"), ("olsLabels", ".ols-commune"),
]  # fmt: skip
PANES = """(stack) => stack.map(([pane, selector]) => {
  const node = document.querySelector(".leaflet-" + pane + "-pane");
  const all = Array.from(document.querySelectorAll(selector));
  return { pane, z: node ? Number(getComputedStyle(node).zIndex) : null, count: all.length,
           outside: all.filter((e) => !node || !node.contains(e)).length };
})"""
HIT_DEAL = """() => Array.from(document.querySelectorAll("path.ols-deal")).map((path) => {
  const box = path.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return hit === path || (hit && hit.classList.contains("ols-deal"));
})"""
LEGEND_CLASSES = re.compile(r"^(?:\d[\d\u202f ]* faits?|\d[\d\u202f ]* à \d[\d\u202f ]* faits)$")


def test_every_layer_lies_in_its_fixed_pane(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["coordinator"])
    _wait_for(page, "['near_repeat', 'crosswatch'].every((key) => window.OLS_STATE.counts[key] !== undefined)")
    panes = page.evaluate(PANES, [list(pair) for pair in STACK])
    assert all(p["z"] is not None and p["outside"] == 0 for p in panes), panes
    heights = [p["z"] for p in panes]
    assert heights == sorted(heights) and len(set(heights)) == len(heights) and heights[0] > 200, (
        panes
    )  # over the tiles
    assert all(p["count"] > 0 for p in panes), panes  # the demo draws every layer
    assert all(page.evaluate(HIT_DEAL)), "a deal point is under another layer"
    page.close()


def _held(page: Page, pattern: str) -> list[Route]:
    """Hold every request of ``pattern`` until the test lets it go."""
    routes: list[Route] = []

    def hold(route: Route) -> None:
        routes.append(route)

    page.route(pattern, hold)
    return routes


def test_a_stale_answer_is_dropped_and_the_zones_drawn_once(
    browser: Browser, server: str, tokens: dict[str, str], client: TestClient
) -> None:
    page, _ = _login(browser, server, tokens["police"])
    before = page.evaluate("window.OLS_STATE.loads")
    held = _held(page, "**/api/v1/heatmap/cells*")
    failed: list[str] = []

    def note(request: Request) -> None:
        failed.append(request.url)

    page.on("requestfailed", note)
    page.select_option("#ols-period", PREVIOUS)  # reload A, its heatmap held
    page.select_option("#ols-family", "property")  # reload B, at once
    while len(held) < 2:
        page.wait_for_timeout(20)
    held[1].continue_()
    _wait_loaded(page, before)
    with contextlib.suppress(Error):  # the page cancelled it, as it should
        held[0].continue_()  # the first answer, late: never drawn
    answer = client.get("/api/v1/heatmap/cells", params={"period": PREVIOUS, "family": "property", "resolution": 9},
                        headers={"Authorization": f"Bearer {tokens['police']}"}).json()  # fmt: skip
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 200))")  # let a late answer land, were it drawn
    drawn = page.evaluate("window.OLS_STATE.drawn.heatmap")
    assert (drawn["metadata"]["period"], drawn["metadata"]["family"]) == (PREVIOUS, "property")
    assert sorted(map(tuple, drawn["cells"])) == sorted(map(tuple, answer["cells"]))
    assert any("heatmap/cells" in url and "family" not in url for url in failed), "the stale request was not aborted"
    zones = page.evaluate("window.OLS_STATE.drawn.zones.length")
    assert zones > 0 and page.locator("path.ols-zone").count() == zones
    page.close()


def _open(browser: Browser, server: str, token: str) -> tuple[Page, list[str], list[Route]]:
    """A map page logging in with its first heatmap answer held (the loading state), and the API paths it asked."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    asked: list[str] = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server) else route.abort())
    page.on("request", lambda request: asked.append(request.url.split("?")[0].removeprefix(server)))
    held = _held(page, "**/api/v1/heatmap/cells*")
    page.goto(server + "/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    return page, asked, held


def _legend_sections(page: Page) -> list[str]:
    return page.locator("#ols-legend h3").all_inner_texts()


def test_each_role_gets_its_layers_and_a_french_legend(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    for role in ("elu", "public"):
        page, asked, held = _open(browser, server, tokens[role])
        page.wait_for_selector("#ols-loading", state="visible")  # the first load says so
        while not held:
            page.wait_for_timeout(20)
        held[0].continue_()
        page.wait_for_selector("body[data-ols-ready='1']")
        assert page.locator("#ols-loading").is_hidden()
        layers = json.loads(page.locator("#ols-config").text_content() or "{}")["layers"]
        status = page.locator("#ols-status").inner_text()
        assert "Erreur" not in status and "404" not in status, status
        sections = _legend_sections(page)
        assert ("Zones de vigilance" in sections) == ("zones" in layers), (role, sections)
        assert ("Points de deal" in sections) == ("deal_points" in layers), (role, sections)
        assert ("/api/v1/zones" in asked) == ("zones" in layers) and "/api/v1/deal-points" not in asked
        rows = page.locator("#ols-legend .ols-legend-row").all_inner_texts()
        classes = [row.strip() for row in rows if "fait" in row and "masqué" not in row]
        assert classes and all(LEGEND_CLASSES.match(row) for row in classes), classes
        assert "moins de 5 faits (effectif masqué)" in rows
        assert f"({'élu' if role == 'elu' else 'public'})" in page.locator("#ols-user").inner_text()
        page.close()


def test_french_toolbar_scale_and_sources(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["coordinator"])
    assert page.locator(".leaflet-draw-draw-polygon").get_attribute("title") == "Tracer une zone (polygone)"
    assert page.locator(".leaflet-draw-edit-edit").get_attribute("title") == "Aucun tracé à modifier"
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom avant"
    scales = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scales) == 1 and re.fullmatch(r"\d+ k?m", scales[0]), scales
    sources = page.locator("#ols-source option").all_inner_texts()
    assert "Police britannique — faits géolocalisés (data.police.uk)" in sources
    assert not [s for s in sources if "street-level" in s or "crime" in s]
    text = page.locator("body").inner_text()
    assert "(coordinator)" not in text and "Draw a" not in text and " ft" not in text
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    before = page.evaluate("window.OLS_STATE.loads")
    category = page.locator("#ols-category option").nth(1).get_attribute("value")
    page.select_option("#ols-category", category)
    _wait_loaded(page, before)
    assert page.locator("path.ols-hotspot").count() == 0  # computed per family: none rather than unfiltered ones
    assert "ils ne suivent pas le choix d'une catégorie" in page.locator("#ols-hotspot-note").inner_text()
    assert not [url for url in asked if "/hotspots" in url]
    while not [url for url in asked if "/profiles/time" in url]:
        page.wait_for_timeout(20)
    assert [url for url in asked if "/profiles/time" in url and f"category={category}" in url]
    page.close()


def test_an_expired_session_goes_back_to_the_login(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["police"])
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.context.clear_cookies()  # the session ends while the page is open
    page.select_option("#ols-period", PREVIOUS)
    page.wait_for_selector("#error:has-text('Session expirée')")
    assert page.locator("#token").is_visible()
    assert not [url for url in asked if "/profiles/time" in url], "the page asked again after a 401"
    page.close()


def test_logout_ends_the_session(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    page, _ = _login(browser, server, tokens["public"])
    page.click("#ols-logout")
    page.wait_for_selector("#token")
    assert page.request.get(server + "/api/v1/session").status == 401
    page.close()


def _total(profile: dict[str, list[list[int | None]]]) -> int:
    return sum(n or 0 for row in profile["grid"] for n in row)


def test_the_time_profile_follows_category_and_source(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['police']}"}

    def total(**params: str) -> int:
        answer = client.get("/api/v1/profiles/time", params={"period": PREVIOUS, **params}, headers=headers)
        assert answer.status_code == 200, answer.text[:300]
        return _total(answer.json())

    whole = total()
    categories = [c["code"] for f in client.get("/api/v1/nomenclature").json() for c in f["categories"]]
    assert any(0 < total(category=code) < whole for code in categories[:6])
    sources = [s["code"] for s in client.get("/api/v1/sources", headers=headers).json()]
    counts = [total(source=code) for code in sources]
    assert 0 < max(counts) < whole or len([n for n in counts if n]) == 1, counts


PRELOADED = "() => Array.from(document.querySelectorAll('link[rel=preload]')).map((link) => link.href)"
# The API answers asked until the map was drawn (base-map tiles aside), with what asked them (a preload: "link").
ASKED = """() => {
  const ready = performance.getEntriesByName("ols-ready")[0].startTime;
  return performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/v1/") && e.startTime <= ready
    && !e.name.includes("/tiles/"))
    .map((e) => [e.name, e.initiatorType]);
}"""
STAMPED = """() => performance.getEntriesByType("resource").filter((e) => e.name.includes("?v="))
  .map((e) => [e.name, e.transferSize])"""


def test_the_first_answers_travel_with_the_scripts_and_a_return_visit_loads_no_asset(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    """Issue 14's render benchmark: the map waited for its scripts, then its lists, then its layers, one after the
    other, and fetched every script again at each visit; now the page preloads what ols.js first asks (each used,
    never fetched twice) and its stamped scripts are kept by the browser."""
    for role in ("police", "public"):
        page = browser.new_page(viewport={"width": 1600, "height": 1000})  # not routed: Playwright's routing
        page.goto(server + "/")  # turns the browser's cache off (the map draws the territory's own streets)
        page.fill("#token", tokens[role])
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ols-ready='1']", timeout=30_000)
        page.goto(server + "/")
        page.wait_for_selector("body[data-ols-ready='1']", timeout=30_000)
        preloaded, asked = page.evaluate(PRELOADED), page.evaluate(ASKED)
        assert len(preloaded) == (10 if role == "police" else 7), preloaded  # 5 lists; the layers the role receives
        assert sorted(asked) == sorted([url, "link"] for url in preloaded), asked
        stamped = page.evaluate(STAMPED)
        bundles = [name for name, _ in stamped if "/bundles/" in name]
        assert len(bundles) == 3 and all(size == 0 for _, size in stamped), stamped  # base, streets, OLS's own
        assert not [name for name, _ in stamped if name.split("?")[0].endswith(".js") and name not in bundles]
        page.close()


CANVAS_PIXELS = """(cells) => {
  const canvas = document.querySelector("canvas.ols-hexcanvas");
  const ratio = canvas.width / window.OLS.map.getSize().x;
  const context = canvas.getContext("2d");
  return cells.map(([lat, lng]) => {
    const point = window.OLS.map.latLngToContainerPoint([lat, lng]);
    return Array.from(context.getImageData(Math.round(point.x * ratio), Math.round(point.y * ratio), 1, 1).data);
  });
}"""


def _painted(
    page: Page, low: list[tuple[float, float]], high: list[tuple[float, float]], outside: tuple[float, float]
) -> None:
    """Each cell's centre holds its own class's colour on the canvas, and a point beyond every cell holds none."""
    pixels = page.evaluate(CANVAS_PIXELS, [list(p) for p in [*low, *high, outside]])
    first, second, beyond = pixels[: len(low)], pixels[len(low) : -1], pixels[-1]
    assert beyond[3] == 0, beyond
    for group in (first, second):
        assert all(p[3] > 0 and max(abs(a - b) for a, b in zip(p, group[0], strict=True)) <= 3 for p in group), group
    assert max(abs(a - b) for a, b in zip(first[0][:3], second[0][:3], strict=True)) > 30, (first[0], second[0])


def test_a_large_heatmap_is_painted_where_its_cells_are(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    """Past 1 000 cells the heatmap is one canvas whose outlines are projected once: after a zoom and a pan, every
    cell's centre still shows its own class (cells of two classes alternate at random) — a shifted or stale
    drawing mixes them."""
    import random

    import h3

    page, _ = _login(browser, server, tokens["coordinator"])
    lat, lng = page.evaluate("[window.OLS.map.getCenter().lat, window.OLS.map.getCenter().lng]")
    metadata = page.evaluate("window.OLS_STATE.drawn.heatmap.metadata")
    middle = h3.latlng_to_cell(lat, lng, 10)
    hole = set(h3.grid_disk(h3.grid_ring(middle, 3)[0], 1))
    cells = sorted(set(h3.grid_disk(middle, 19)) - hole)
    rng = random.Random(14)
    low, high = metadata["breaks"][0], metadata["breaks"][-1] + 50
    counts = {cell: rng.choice([low, high]) for cell in cells}
    from ols.cartography.outlines import cell_outlines

    body = json.dumps({"cells": [[cell, count] for cell, count in counts.items()], "metadata": metadata,
                       "outlines": cell_outlines(list(counts))})  # fmt: skip
    page.route("**/api/v1/heatmap/cells*", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                        body=body))  # fmt: skip
    before = page.evaluate("window.OLS_STATE.loads")
    page.select_option("#ols-family", "property")
    _wait_loaded(page, before)
    assert page.locator("canvas.ols-hexcanvas").count() == 1
    near = sorted(set(h3.grid_disk(middle, 4)) - hole)
    lows = [h3.cell_to_latlng(c) for c in near if counts[c] == low]
    highs = [h3.cell_to_latlng(c) for c in near if counts[c] == high]
    empty = h3.cell_to_latlng(h3.grid_ring(middle, 3)[0])
    page.evaluate(f"window.OLS.map.setView([{lat}, {lng}], 15, {{ animate: false }})")
    page.wait_for_timeout(200)
    _painted(page, lows, highs, empty)
    page.evaluate("window.OLS.map.panBy([137, -91], { animate: false })")
    page.wait_for_timeout(200)
    _painted(page, lows, highs, empty)
    page.close()


def test_scripts_are_sent_gzipped_once_compressed_and_revalidated_when_unstamped(client: TestClient) -> None:
    """A first visit's half megabyte of scripts was compressed at every request on the server's event loop; the
    assets keep their gzip per version and still say whether a browser may keep them."""
    from pathlib import Path

    from web.page import asset

    stamped = re.fullmatch(r"(/static/(ols\.js)\?v=[0-9a-f]{12})", asset("/static/ols.js"))
    assert stamped is not None
    first = client.get(stamped.group(1), headers={"Accept-Encoding": "gzip"})
    again = client.get(stamped.group(1), headers={"Accept-Encoding": "gzip"})
    on_disk = (Path(__file__).parents[2] / "web" / "static" / stamped.group(2)).read_bytes()
    for answer in (first, again):
        assert answer.headers["content-encoding"] == "gzip" and answer.content == on_disk
        assert "immutable" in answer.headers["cache-control"] and answer.headers["content-type"].startswith("text/")
    mount = next(route for route in client.app.routes if getattr(route, "name", "") == "static")
    assert first.headers["etag"] in mount.app.gzipped  # type: ignore[attr-defined]  # compressed once, kept
    plain = client.get(stamped.group(1), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == on_disk
    unstamped = client.get(f"/static/{stamped.group(2)}", headers={"Accept-Encoding": "gzip"})
    assert unstamped.headers["cache-control"] == "no-cache" and unstamped.headers["content-encoding"] == "gzip"
    again = client.get(f"/static/{stamped.group(2)}", headers={"If-None-Match": unstamped.headers["etag"]})
    assert again.status_code == 304


def test_the_map_scripts_travel_as_bundles_made_and_gzipped_once(client: TestClient) -> None:
    """The page asked for a dozen scripts over six connections shared with its first answers; they come as a few
    bundles, each the concatenation of its files in order, gzipped once, immutable at its stamped address."""
    import gzip
    from pathlib import Path

    from api.assets import BUNDLED
    from web.page import BUNDLES, bundle_url

    web = Path(__file__).parents[2] / "web"
    for name, files in BUNDLES.items():
        address = bundle_url(name)
        first = client.get(address, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200 and "immutable" in first.headers["cache-control"]
        assert first.headers["content-type"].startswith("application/javascript")
        parts = [(web / ("static" if url.startswith("/static/") else "node_modules") / url.split("/", 2)[2])
                 .read_bytes() for url in files]  # fmt: skip
        assert first.content == b"".join(part + b"\n;\n" for part in parts)
        assert gzip.decompress(BUNDLED[name]) == first.content  # compressed once, kept
        unstamped = client.get(address.split("?")[0])
        assert unstamped.headers["cache-control"] == "no-cache"
        again = client.get(address.split("?")[0], headers={"If-None-Match": unstamped.headers["etag"]})
        assert again.status_code == 304
    assert client.get("/bundles/nothing.js").status_code == 404


def test_the_heatmap_cells_come_with_their_outlines_projected_when_asked(
    client: TestClient, tokens: dict[str, str]
) -> None:
    """The map page's 20,000 hexagons took its first render 0,25 s to outline and project: the API sends each
    cell's outline as path data in Web Mercator metres, whose vertices are the cell's own within half a metre."""
    import h3
    import numpy as np

    from ols.cartography.outlines import mercator

    headers = {"Authorization": f"Bearer {tokens['coordinator']}"}
    plain = client.get("/api/v1/heatmap/cells", params={"period": PREVIOUS, "resolution": 9}, headers=headers).json()
    answer = client.get("/api/v1/heatmap/cells", params={"period": PREVIOUS, "resolution": 9, "outlines": "true"},
                        headers=headers).json()  # fmt: skip
    assert plain.get("outlines") is None and answer["cells"] == plain["cells"] and len(answer["cells"]) > 10
    outlines = answer["outlines"]
    assert outlines["crs"] == "EPSG:3857" and len(outlines["paths"]) == len(answer["cells"])
    ox, oy = outlines["origin"]
    for (cell, _), path in zip(answer["cells"], outlines["paths"], strict=True):
        moves = re.fullmatch(r"M(-?\d+) (-?\d+)((?:l-?\d+ -?\d+)+)z", path)
        assert moves is not None, path
        steps = np.array([[0, 0], *[[int(a), int(b)] for a, b in re.findall(r"l(-?\d+) (-?\d+)", moves.group(3))]])
        start = np.array([int(moves.group(1)), int(moves.group(2))])
        drawn = (np.cumsum(steps, axis=0) + start) * outlines["unit"] + np.array([ox, oy])
        ring = np.array(h3.cell_to_boundary(cell))
        exact = np.column_stack(mercator(ring[:, 0], ring[:, 1]))
        assert drawn.shape == exact.shape and np.abs(drawn - exact).max() <= 0.5 * outlines["unit"] + 1e-6, cell


MANY_HOTSPOTS = 260


def test_many_hot_spots_are_drawn_on_one_canvas_with_their_tooltips(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    """Past a few hundred hot spots, an SVG outline each (and its halo) held the first render: they are painted on
    one canvas of their pane, between the heatmap and the zones, and a hot spot still says what it is on hover."""
    import h3

    page, _ = _login(browser, server, tokens["coordinator"])
    lat, lng = page.evaluate("[window.OLS.map.getCenter().lat, window.OLS.map.getCenter().lng]")
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(lat, lng, 9), 10))[:MANY_HOTSPOTS]
    features = [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
        [b, a] for a, b in (*h3.cell_to_boundary(cell), h3.cell_to_boundary(cell)[0])]]},
        "properties": {"h3": cell, "class": "hot_99", "label": f"Point chaud {i}", "count": 40, "count_label": "40"}}
        for i, cell in enumerate(cells)]  # fmt: skip
    body = json.dumps({"type": "FeatureCollection", "features": features, "metadata": {"status": "ok"}})
    page.route("**/api/v1/hotspots*", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                   body=body))  # fmt: skip
    before = page.evaluate("window.OLS_STATE.loads")
    page.select_option("#ols-family", "property")
    _wait_loaded(page, before)
    assert page.evaluate("window.OLS_STATE.counts.hotspots") == MANY_HOTSPOTS
    assert page.locator("path.ols-hotspot").count() == 0
    assert page.locator(".leaflet-olsHot-pane canvas").count() == 1

    def point(lat: float, lng: float) -> tuple[float, float]:
        x, y = page.evaluate(f"(() => {{ const p = window.OLS.map.latLngToContainerPoint([{lat}, {lng}]);"
                             "const box = window.OLS.map.getContainer().getBoundingClientRect();"
                             "return [box.left + p.x, box.top + p.y]; })()")  # fmt: skip
        return x, y

    middle = h3.cell_to_latlng(cells[len(cells) // 2])
    page.evaluate(f"void window.OLS.map.setView([{middle[0]}, {middle[1]}], 14, {{ animate: false }})")
    page.wait_for_timeout(200)
    page.mouse.move(*point(*middle))
    page.wait_for_selector(".ols-canvas-tooltip", timeout=5_000)
    assert f"Point chaud {len(cells) // 2} — 40" in page.locator(".ols-canvas-tooltip").first.inner_text()
    east = max(h3.grid_ring(h3.latlng_to_cell(lat, lng, 9), 11), key=lambda cell: h3.cell_to_latlng(cell)[1])
    page.mouse.move(*point(*h3.cell_to_latlng(east)))  # beyond every hot spot: the tooltip goes
    page.wait_for_selector(".ols-canvas-tooltip", state="detached", timeout=5_000)
    page.evaluate("window.OLS.showFeature('hotspots', window.OLS_STATE.drawn.hotspots[3], null)")  # the table's
    page.wait_for_selector(".leaflet-popup", timeout=5_000)  # « Voir sur la carte »: the card opens on the map
    assert "Point chaud 3" in page.locator(".leaflet-popup").inner_text()
    page.close()


BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8ffff3f0005fe02fe"
    "a7d6a4db0000000049454e44ae426082"
)


def test_the_map_opens_on_the_territory_without_a_zoom_animation(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    """Issue 14's render benchmark: Folium fitted the map after adding the base map, so each opening asked for the
    online base map's tiles at the start zoom (14), then zoomed to the territory through an animation that held the
    page a quarter of a second; it is now fitted first, at once, and asks for tiles at one zoom only."""
    page, _ = _login(browser, server, tokens["coordinator"])
    zooms: set[int] = set()

    def tile(route: Route) -> None:
        zooms.add(int(route.request.url.split("tile.openstreetmap.org/")[1].split("/")[0]))
        route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)

    page.route("https://tile.openstreetmap.org/**", tile)
    page.goto(server + "/?basemap=osm")
    page.wait_for_selector("body[data-ols-ready='1']", timeout=30_000)
    zoom = page.evaluate("window.OLS.map.getZoom()")
    assert zoom != 14 and zooms == {zoom}, (zoom, zooms)
    page.close()
