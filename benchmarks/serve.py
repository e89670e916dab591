"""Serving benchmark: the cached heatmap of a 20,000-cell semester under uvicorn on loopback.

It builds a semester of about 20,000 res-9 cells in a fresh database, starts ``ols serve`` on
127.0.0.1, then measures in the same run: 100 sequential ``GET /api/v1/heatmap`` (p50, p95),
a bounded concurrency run with 50 clients (wrk when installed, else an asyncio client), and
the live PostGIS ``ST_AsGeoJSON`` FeatureCollection query of the same cells (the peer).
Usage: ``.venv/bin/python benchmarks/serve.py``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
from shapely.geometry import MultiPolygon, box
from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).parent))

from ingest import fresh_database

from ols.access.users import create_user
from ols.cartography.grid import cover
from ols.cartography.tiles import store_cells
from ols.reference.territories import Boundary, save_territory
from ols.store import db
from ols.store.models import CellCount, Refresh

BOUNDS = (2.70, 50.42, 3.32, 50.80)
PERIOD = "2025-S2"
LIVE = (
    "SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(ST_AsGeoJSON(t.*)::json)) FROM ("
    "SELECT g.geom, to_hex(c.h3) AS h3, sum(c.count) AS count FROM cell_count c JOIN h3_cell g USING (h3) "
    "WHERE c.period = :p AND c.resolution = 9 GROUP BY g.geom, c.h3) t"
)


def prepare() -> tuple[str, str, int]:
    """A database with a refreshed 20,000-cell semester and a coordinator token."""
    url = fresh_database(db.database_url())
    engine = create_engine(url)
    cells = cover(MultiPolygon([box(*BOUNDS)]), 9)
    counts = np.random.default_rng(3).poisson(40, len(cells)) + 1
    with engine.begin() as connection:
        territory = save_territory(connection, code="bench", name="bench",
                                   boundary=Boundary(MultiPolygon([box(*BOUNDS)])), source="bench")  # fmt: skip
        connection.execute(insert(CellCount), [
            {"period": PERIOD, "resolution": 9, "h3": int(c), "category": "theft", "source_id": 1,
             "territory_id": territory, "family": "property", "count": int(n)}
            for c, n in zip(cells, counts, strict=True)
        ])  # fmt: skip
        connection.execute(insert(Refresh).values(period=PERIOD, method={"resolution": 9}, summary={"sources": []}))
        store_cells(connection, cells, 9)
        token = create_user(connection, "bench", role="coordinator")
    engine.dispose()
    return url, token, len(cells)


@contextmanager
def served(database: str) -> Iterator[str]:
    """``ols serve`` on a free loopback port for the database, until the block ends; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = dict(os.environ, OLS_DATABASE_URL=database)
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


async def concurrent(url: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    """Requests per second with ``clients`` concurrent keep-alive clients, for ``seconds``."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await client.get(url, headers=headers)
            assert response.status_code == 200
            done += 1

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=clients)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return done / (time.perf_counter() - started)


def wrk(url: str, token: str, clients: int, seconds: int) -> float | None:
    """Requests per second measured by wrk (None when wrk is not installed)."""
    if shutil.which("wrk") is None:
        return None
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}",
               "-H", "Accept-Encoding: gzip", url]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


def main() -> None:
    database, token, cells = prepare()
    with served(database) as base:
        url = f"{base}/api/v1/heatmap?period={PERIOD}&resolution=9"
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        with httpx.Client() as client:
            first = time.perf_counter()
            warm = client.get(url, headers=headers)
            cold_ms = 1000 * (time.perf_counter() - first)
            assert warm.status_code == 200 and len(warm.json()["features"]) == cells
            samples = []
            for _ in range(100):
                started = time.perf_counter()
                with client.stream("GET", url, headers=headers) as response:
                    size = sum(len(chunk) for chunk in response.iter_raw())
                    assert response.status_code == 200 and size > 0
                samples.append(1000 * (time.perf_counter() - started))
        p50, p95 = percentiles(samples)
        rate = wrk(url, token, 50, 10)
        tool = "wrk"
        if rate is None:
            rate, tool = asyncio.run(concurrent(url, headers, 50, 10.0)), "asyncio httpx"
        engine = create_engine(database)
        live = []
        with engine.connect() as connection:
            for _ in range(10):
                started = time.perf_counter()
                connection.execute(text(LIVE), {"p": PERIOD}).scalar_one()
                live.append(1000 * (time.perf_counter() - started))
        live_p50 = statistics.median(live)
        print(
            f"heatmap of {cells:,} res-9 cells ({len(warm.content) / 1e6:.1f} MB JSON, {size / 1e6:.2f} MB gzipped; "
            f"first request {cold_ms:.0f} ms)"
        )
        print(f"cached GET /api/v1/heatmap, 100 sequential: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
        print(f"50 concurrent clients ({tool}, 10 s): {rate:,.0f} req/s")
        print(f"live ST_AsGeoJSON FeatureCollection of the same cells (peer): p50 {live_p50:.1f} ms")
        targets = "targets: p50 <= 5 ms, p95 <= 15 ms, >= 10x, >= 1,000 req/s"
        print(f"ratio live / cached p50: {live_p50 / p50:.1f}x ({targets})")


if __name__ == "__main__":
    main()
