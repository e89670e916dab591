"""Refresh benchmark: a semester of 1,000,000 generated events over a city and over a metropolitan box.

For each area it ingests the events through the ``ols ingest`` path, then times ``ols refresh``
for the semester (cell counts, Gi* for all families and each family, emerging hot spots over six
semesters, computed zones) at resolution 9, and times our Gi* (H3 weights, esda, FDR) against a
plain ``esda.G_Local`` on the same counts, checking that the z-scores are identical.
Usage: ``.venv/bin/python benchmarks/refresh.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from esda import G_Local
from shapely.geometry import MultiPolygon, box
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).parent))

from ingest import MAPPING, fresh_database

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.cartography import aggregates
from ols.cartography.grid import study_area, weights
from ols.cartography.hotspots import gi_star
from ols.cartography.refresh import refresh
from ols.periods import parse_period
from ols.reference.territories import Boundary, save_territory
from ols.settings import CartographySettings
from ols.store import db

AREAS = {
    "city (~2,000 res-9 cells)": (3.00, 50.58, 3.20, 50.71),
    "metropolitan box (~20,000 cells)": (2.70, 50.40, 3.34, 50.82),
}
SEMESTER = "2025-S2"
# One sensitive category, as in every real observatory: the refresh then computes the open scope
# (without it) of the hot spots, emerging hot spots and zones for the roles below the police.
REFRESH_MAPPING = MAPPING | {"categories": {**MAPPING["categories"], "Trafic": "drug_trafficking"}}


def write_events(path: Path, bounds: tuple[float, float, float, float], rows: int, seed: int) -> None:
    """Events of the semester: a uniform background and a few dozen hot clusters."""
    rng = np.random.default_rng(seed)
    west, south, east, north = bounds
    hot = rows // 3
    centres = rng.uniform((west, south), (east, north), (40, 2))
    picks = rng.integers(0, len(centres), hot)
    lon = np.concatenate([rng.uniform(west, east, rows - hot), centres[picks, 0] + rng.normal(0, 0.003, hot)])
    lat = np.concatenate([rng.uniform(south, north, rows - hot), centres[picks, 1] + rng.normal(0, 0.002, hot)])
    inside = (lon > west) & (lon < east) & (lat > south) & (lat < north)
    lon, lat = lon[inside], lat[inside]
    seconds = rng.integers(0, 182 * 86400, len(lon))
    stamps = pd.Series(np.datetime64("2025-07-01T00:00:00") + seconds.astype("timedelta64[s]"))
    pd.DataFrame(
        {
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "timestamp": stamps.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "label": rng.choice(list(REFRESH_MAPPING["categories"]), len(lon)),  # type: ignore[arg-type]
        }
    ).to_csv(path, index=False)


def ingest_area(
    bounds: tuple[float, float, float, float], rows: int, folder: Path, *, seed: int
) -> tuple[str, Any, float]:
    """A fresh database with a territory over ``bounds`` and ``rows`` ingested events: (url, report, seconds)."""
    csv, mapping = folder / "events.csv", folder / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(REFRESH_MAPPING, allow_unicode=True), encoding="utf-8")
    write_events(csv, bounds, rows, seed=seed)
    url = fresh_database(db.database_url())
    engine = create_engine(url)
    with engine.begin() as connection:
        save_territory(
            connection, code="bench", name="bench", boundary=Boundary(MultiPolygon([box(*bounds)])), source="bench"
        )
    started = time.perf_counter()
    report = ingest_file(engine, csv, source_code="police-municipale", mapping=load_mapping(mapping))
    engine.dispose()
    return url, report, time.perf_counter() - started


def bench_area(name: str, bounds: tuple[float, float, float, float], rows: int, folder: Path) -> None:
    url, report, ingest_s = ingest_area(bounds, rows, folder, seed=7)
    engine = create_engine(url)
    settings = CartographySettings(hotspot_resolutions=(9,), zone_resolution=9)
    summary = refresh(engine, parse_period(SEMESTER), settings=settings)
    with engine.connect() as connection:
        totals = aggregates.cell_totals(connection, SEMESTER, 9)
    cells = study_area(MultiPolygon([box(*bounds)]), 9, totals.index.to_numpy())
    counts = totals.reindex(cells, fill_value=0).to_numpy()
    started = time.perf_counter()
    ours = gi_star(cells, counts)
    ours_s = time.perf_counter() - started
    w = weights(cells)
    started = time.perf_counter()
    plain = G_Local(counts.astype(float), w, transform="B", permutations=999, star=True, seed=1, n_jobs=1)
    esda_s = time.perf_counter() - started
    gap = float(np.max(np.abs(ours.z - plain.Zs)))
    print(f"{name}: {report.accepted:,} events, {len(cells):,} res-9 cells (ingest {ingest_s:.1f} s)")
    print(f"  ols refresh {SEMESTER}: {summary['seconds']:.2f} s ({len(summary['zones'])} zones)")
    print(
        f"  Gi* ours (H3 weights, numpy permutations, FDR): {ours_s:.2f} s; "
        f"plain esda.G_Local (W given): {esda_s:.2f} s; "
        f"ratio {esda_s / ours_s:.2f}x; max |z - z_esda| = {gap:.1e}"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, bounds in AREAS.items():
            bench_area(name, bounds, args.rows, Path(folder))


if __name__ == "__main__":
    main()
