"""Ingest benchmark: 1,000,000 generated partner rows through ``ols ingest``'s code path vs geopandas.

Both paths run in the same process on the same database (a fresh database on the configured
server, or on the embedded cluster, dropped at exit, with a checkpoint before each path): the
OLS path (read CSV, validate, H3 at three resolutions, fingerprint, COPY into a temporary table,
then ``INSERT ... ON CONFLICT DO NOTHING`` into ``event``, whose primary key, foreign keys and
indexes are maintained row by row) and ``geopandas.GeoDataFrame.to_postgis`` of the same rows
(read CSV, build points, write into a new table with its GiST index). Prints rows/s for both and
the ratio. Usage: ``.venv/bin/python benchmarks/ingest.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import atexit
import tempfile
import time
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml
from shapely.geometry import MultiPolygon, box
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.reference.territories import Boundary, save_territory
from ols.store import db

BOUNDS = (3.08, 50.62, 3.14, 50.66)
MAPPING = {
    "name": "bench",
    "format": "csv",
    "label": "label",
    "date": {"column": "timestamp", "formats": ["%Y-%m-%d %H:%M:%S"]},
    "location": {"type": "lonlat", "lon": "lon", "lat": "lat"},
    "categories": {
        "Vol à la roulotte": "theft_from_vehicle",
        "Tags": "graffiti",
        "Cambriolage": "residential_burglary",
        "Attroupement": "gathering",
        "Rodéo": "urban_rodeo",
    },
}


def write_rows(path: Path, rows: int, seed: int) -> None:
    """A partner CSV with lon/lat, a timestamp and a label per row."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01T00:00:00")
    seconds = rng.integers(0, 4 * 365 * 86400, rows)
    frame = pd.DataFrame(
        {
            "lon": np.round(rng.uniform(BOUNDS[0], BOUNDS[2], rows), 6),
            "lat": np.round(rng.uniform(BOUNDS[1], BOUNDS[3], rows), 6),
            "timestamp": pd.Series(start + seconds.astype("timedelta64[s]")).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "label": rng.choice(list(MAPPING["categories"]), rows),  # type: ignore[arg-type]
        }
    )
    frame.to_csv(path, index=False)


def fresh_database(server: str) -> str:
    """A new migrated database on the server, dropped when the benchmark exits; returns its URL."""
    name = f"ols_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    db.migrate(url)
    atexit.register(drop_database, server, url)
    return url


def drop_database(server: str, url: str) -> None:
    """Remove the benchmark's database (a run leaves about 1 GB behind otherwise)."""
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
    admin.dispose()


def checkpoint(url: str) -> None:
    """Flush dirty buffers first, so that neither path pays for writes the other (or a past run) left."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CHECKPOINT"))
    engine.dispose()


def bench_ols(url: str, csv: Path, mapping_path: Path) -> tuple[float, int]:
    engine = create_engine(url)
    with engine.begin() as connection:
        save_territory(
            connection,
            code="bench",
            name="bench",
            boundary=Boundary(MultiPolygon([box(*BOUNDS).buffer(0.001)])),
            source="bench",
        )
    started = time.perf_counter()
    report = ingest_file(engine, csv, source_code="police-municipale", mapping=load_mapping(mapping_path))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, report.accepted


def bench_geopandas(url: str, csv: Path) -> float:
    engine = create_engine(url)
    started = time.perf_counter()
    frame = pd.read_csv(csv)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=4326)
    gdf.to_postgis("bench_geopandas", engine, if_exists="replace", index=False)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv, mapping_path = Path(folder) / "bench.csv", Path(folder) / "bench.yaml"
        mapping_path.write_text(yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8")
        write_rows(csv, args.rows, args.seed)
        url = fresh_database(db.database_url())
        checkpoint(url)
        ols_seconds, accepted = bench_ols(url, csv, mapping_path)
        checkpoint(url)
        gpd_seconds = bench_geopandas(url, csv)
    assert accepted == args.rows, f"only {accepted} of {args.rows} rows accepted"
    ols_rate, gpd_rate = args.rows / ols_seconds, args.rows / gpd_seconds
    print(f"rows: {args.rows:,}")
    print(f"ols ingest (validate, H3 x3, fingerprint, COPY, insert once): {ols_seconds:.2f} s = {ols_rate:,.0f} rows/s")
    print(f"geopandas to_postgis (peer): {gpd_seconds:.2f} s = {gpd_rate:,.0f} rows/s")
    print(f"ratio ols / geopandas: {ols_rate / gpd_rate:.2f}x (targets: >= 200,000 rows/s and >= 3x)")


if __name__ == "__main__":
    main()
