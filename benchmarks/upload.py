"""Upload benchmark: 200,000 partner rows uploaded through the API as the import page does, while a map reader asks.

On a fresh database of the configured server (dropped at exit): a square territory, a seeded
police-nationale export of ``--rows`` rows in it (the ``police_nationale`` mapping's layout: CSV ``;``,
cp1252, Lambert-93), and one month refreshed from a first small file so that the map has layers. ``ols
serve`` runs in a process of its own. A map reader (one client, closed loop) asks the heatmap cells of
the month (answered from the response cache, as a reader clicking around) and time profiles of random
day ranges (no cache can answer them) for ``--seconds`` without any ingest, then again while the big
file is uploaded (``POST /api/v1/intake/files``) and its job followed (``GET /api/v1/jobs/{id}`` every
half second, as the page polls). Printed: the upload and ingest times, the progress updates seen, and
the map requests' p50/p95 without and during the ingest, and their ratio.

Usage: ``.venv/bin/python benchmarks/upload.py [--rows 200000] [--seconds 20]``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import MultiPolygon, box
from sqlalchemy import create_engine

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.access.users import create_user
from ols.cartography.refresh import refresh
from ols.periods import parse_period
from ols.reference.territories import Boundary, save_territory
from ols.settings import CartographySettings
from ols.store import db

sys.path.insert(0, str(Path(__file__).parent))

from ingest import fresh_database

BOUNDS = (3.08, 50.62, 3.14, 50.66)
MONTH = "2025-03"
LABELS = ["Cambriolage de résidence principale", "Vol à la roulotte", "Destructions dégradations", "Vol simple",
          "Coups et blessures volontaires", "Trafic de stupéfiants"]  # fmt: skip


def write_export(path: Path, rows: int, seed: int) -> Path:
    """A police-nationale export of ``rows`` facts in the territory, over 2024–2025 (seeded)."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(BOUNDS[0], BOUNDS[2], rows), rng.uniform(BOUNDS[1], BOUNDS[3], rows)
    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(lon, lat)
    stamps = pd.Series(np.datetime64("2024-01-01T00:00") + rng.integers(0, 730 * 1440, rows).astype("timedelta64[m]"))
    frame = pd.DataFrame({
        "N° fait": [f"B{seed}-{i:07d}" for i in range(rows)], "Date des faits": stamps.dt.strftime("%d/%m/%Y"),
        "Heure": stamps.dt.strftime("%H:%M"), "Nature de l'infraction": rng.choice(LABELS, rows),
        "X (L93)": [f"{v:.1f}".replace(".", ",") for v in x], "Y (L93)": [f"{v:.1f}".replace(".", ",") for v in y],
    })  # fmt: skip
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")
    return path


def prepare(url: str, folder: Path) -> str:
    """The territory, a first small file ingested, the month refreshed; a coordinator's token."""
    engine = create_engine(url)
    with engine.begin() as connection:
        save_territory(connection, code="bench", name="Banc d'essai", source="bench",
                       boundary=Boundary(MultiPolygon([box(*BOUNDS).buffer(0.001)])))  # fmt: skip
        token = create_user(connection, "bench-upload", role="coordinator")
    ingest_file(engine, write_export(folder / "first.csv", 20_000, seed=1), source_code="police-nationale",
                mapping=load_mapping("police_nationale"), ingested_by="bench")  # fmt: skip
    refresh(engine, parse_period(MONTH), settings=CartographySettings(permutations=99))
    engine.dispose()
    return token


class Reader(threading.Thread):
    """The map reader: cached heatmap cells and uncached time profiles, one after the other, until stopped."""

    def __init__(self, base: str, token: str, seed: int) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        self.rng = random.Random(seed)
        self.samples: dict[str, list[float]] = {"heatmap": [], "profiles": []}
        self.errors = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for kind, path, params in (("heatmap", "/api/v1/heatmap/cells", {"period": MONTH, "resolution": 9}),
                                       ("profiles", "/api/v1/profiles/time", self.profile())):  # fmt: skip
                started = time.perf_counter()
                answer = self.client.get(path, params=params)
                if answer.status_code == 200:
                    self.samples[kind].append(time.perf_counter() - started)
                else:
                    self.errors += 1

    def profile(self) -> dict[str, Any]:
        start = date(2024, 1, 1) + timedelta(days=self.rng.randint(0, 600))
        return {"period": f"{start}..{start + timedelta(days=self.rng.randint(7, 120))}"}


def read_for(base: str, token: str, seed: int, seconds: float | None, until: threading.Event | None = None) -> Reader:
    """Run a reader for ``seconds`` (or until ``until`` is set); it, stopped, with its samples.

    Each run has its own ``seed``: a run repeating another's day ranges would be answered from the cache.
    """
    reader = Reader(base, token, seed)
    reader.start()
    if until is not None:
        until.wait()
    else:
        time.sleep(seconds or 0)
    reader.stop.set()
    reader.join()
    return reader


def upload(base: str, token: str, path: Path, done: threading.Event, seen: list[tuple[float, float, str]]) -> None:
    """Upload the file as the page does and follow its job until it ends; note each progress seen."""
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client, path.open("rb") as handle:
        answer = client.post("/api/v1/intake/files", data={"source": "police-nationale", "mapping": "police_nationale"},
                             files=[("files", (path.name, handle, "text/csv"))])  # fmt: skip
        answer.raise_for_status()
        job_id = answer.json()["jobs"][0]["job"]
        seen.append((time.perf_counter() - started, 0.0, "envoyé"))
        while True:
            job = client.get(f"/api/v1/jobs/{job_id}").json()
            if not seen or (job["progress"], job["message"]) != seen[-1][1:]:
                seen.append((time.perf_counter() - started, job["progress"], job["message"]))
            if job["state"] in ("done", "failed"):
                outcome = job["error"] or str(job["result"]["accepted"])
                seen.append((time.perf_counter() - started, job["progress"], outcome))
                break
            time.sleep(0.5)
    done.set()


def served(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``ols serve`` on the database, once it answers ``/health``."""
    port = 18_000 + os.getpid() % 1000
    env = dict(os.environ, OLS_DATABASE_URL=url)
    with log.open("w") as errors:
        server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=errors)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"le serveur n'a pas démarré : {log.read_text()[-2000:]}")


def quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    return float(np.percentile(samples, 50) * 1000), float(np.percentile(samples, 95) * 1000)


def report(quiet: Reader, busy: Reader, seen: list[tuple[float, float, str]]) -> None:
    """Print the ingest's timeline and the map's latencies without and during it."""
    print(f"ingest : {seen[-1][0]:.1f} s de l'envoi à la fin de la tâche ({seen[0][0]:.1f} s pour l'envoi), "
          f"{len(seen) - 2} états de progression vus, faits intégrés : {seen[-1][2]}")  # fmt: skip
    for when, progress, message in seen:
        print(f"  {when:6.1f} s  {progress:5.0%}  {message}")
    for kind in ("heatmap", "profiles"):
        (q50, q95), (b50, b95) = quantiles(quiet.samples[kind]), quantiles(busy.samples[kind])
        print(f"{kind}: sans import p50 {q50:.0f} ms p95 {q95:.0f} ms ({len(quiet.samples[kind])} req.) ; "
              f"pendant l'import p50 {b50:.0f} ms p95 {b95:.0f} ms ({len(busy.samples[kind])} req.) ; "
              f"rapport p50 ×{b50 / q50:.2f}, p95 ×{b95 / q95:.2f}")  # fmt: skip
    print(f"erreurs : {quiet.errors} sans import, {busy.errors} pendant")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = fresh_database(db.database_url())
        token = prepare(url, folder)
        big = write_export(folder / "gros-fichier.csv", args.rows, seed=2)
        print(f"{datetime.now():%H:%M:%S} fichier de {args.rows} lignes : {big.stat().st_size / 1e6:.1f} Mo")
        server, base = served(url, folder / "serve.log")
        try:
            read_for(base, token, 1, 3)  # warm the cache and the connections
            quiet = read_for(base, token, 2, args.seconds)
            done, seen = threading.Event(), []
            uploader = threading.Thread(target=upload, args=(base, token, big, done, seen))
            uploader.start()
            busy = read_for(base, token, 3, None, until=done)
            uploader.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
        report(quiet, busy, seen)


if __name__ == "__main__":
    main()
