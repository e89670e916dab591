"""Map page benchmark: first full render in headless Chromium at ~2,000 and ~20,000 cells, page weight, export.

For each area it ingests generated events, refreshes the semester at resolution 9, serves the
API on loopback, opens the map page in Debian's Chromium with a session cookie and measures the
time from navigation start to every OLS layer drawn (the page flags it), and the bytes
transferred (page, assets and layers, as sent: gzip where the API compresses). Last, it times
``ols export map`` of the city. Usage: ``.venv/bin/python benchmarks/web.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).parent))

from refresh import ingest_area
from serve import served

from ols.access.audience import Audience
from ols.access.users import create_user
from ols.cartography.refresh import refresh
from ols.periods import parse_period
from ols.publishing.mapexport import Snapshot, render
from ols.settings import CartographySettings

AREAS = {"city": (3.00, 50.58, 3.20, 50.71), "metropolitan box": (2.70, 50.40, 3.34, 50.82)}
PERIOD = "2025-S2"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def prepare(bounds: tuple[float, float, float, float], rows: int, folder: Path) -> tuple[str, str]:
    """A refreshed semester over ``bounds`` and a coordinator token."""
    url, _, _ = ingest_area(bounds, rows, folder, seed=5)
    engine = create_engine(url)
    refresh(engine, parse_period(PERIOD), settings=CartographySettings(hotspot_resolutions=(9,), zone_resolution=9))
    with engine.begin() as connection:
        token = create_user(connection, f"bench-{time.time_ns()}", role="coordinator")
    engine.dispose()
    return url, token


def measure(database: str, token: str) -> tuple[float, int, int]:
    """(seconds to full render, bytes transferred, heatmap features) of the map page."""
    with served(database) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        opened = context.request.post(f"{base}/api/v1/session", data={"token": token}, headers={"Origin": base})
        assert opened.ok, opened.text()  # the session cookie (never the token) is now in the context
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        page.goto(f"{base}/?basemap=none")
        page.wait_for_selector("body[data-ols-ready='1']", state="attached", timeout=60_000)
        seconds = page.evaluate("performance.now()") / 1000
        weight = page.evaluate(
            "performance.getEntriesByType('navigation').concat("
            "performance.getEntriesByType('resource')).reduce((t, e) => t + e.transferSize, 0)"
        )
        features = page.evaluate("window.OLS_STATE.counts.heatmap")
        shots = Path(__file__).resolve().parents[1] / "out" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"benchmark-{features}-cells.png"))
        slow = page.evaluate(
            "performance.getEntriesByType('resource').filter(e => e.duration > 150)"
            ".map(e => e.name.split('?')[0].split('/').slice(-2).join('/') + ' ' + Math.round(e.duration))"
        )
        if slow:
            print("  slow requests (ms):", ", ".join(slow))
        page.goto(f"{base}/?basemap=none")
        page.wait_for_selector("body[data-ols-ready='1']", state="attached", timeout=60_000)
        warm = page.evaluate("performance.now()") / 1000
        browser.close()
    print(f"  second visit (server cache warm): {warm:.2f} s")
    return seconds, int(weight), int(features)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, bounds in AREAS.items():
            database, token = prepare(bounds, 300_000, Path(folder))
            seconds, weight, features = measure(database, token)
            print(
                f"{name}: {features:,} hexagons, first full render {seconds:.2f} s, "
                f"page weight {weight / 1e6:.2f} MB (as transferred; targets <= 1.5 s, <= 1 MB at 20,000 cells)"
            )
            if name == "city":
                with create_engine(database).connect() as connection:
                    started = time.perf_counter()
                    snapshot = Snapshot(parse_period(PERIOD), ("heatmap", "zones"))
                    render(connection, snapshot, Audience.of("bench", "police"), image_format="png")
                    print(f"  ols export map (PNG, A4 200 dpi): {time.perf_counter() - started:.2f} s (target <= 3 s)")


if __name__ == "__main__":
    main()
