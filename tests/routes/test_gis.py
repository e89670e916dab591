"""QGIS / SIG interoperability, read with GDAL: the GeoPackage export and the OGC API – Features endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio
from sqlalchemy.engine import Engine

from tests.routes.conftest import PERIOD


def test_geopackage_reads_in_gdal(api_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "obs.gpkg"
    env = dict(os.environ, OLS_DATABASE_URL=api_engine.url.render_as_string(hide_password=False))
    subprocess.run([sys.executable, "-m", "cli", "export", "gpkg", "--period", PERIOD, "--out", str(out)], env=env,
                   check=True, capture_output=True)  # fmt: skip
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert layers == {"hexagones", "points_chauds", "zones", "lieux", "territoires"}
    hexagons = pyogrio.read_dataframe(out, layer="hexagones")
    assert hexagons.crs.to_epsg() == 2154 and hexagons["faits"].sum() > 1000
    listing = subprocess.run(["ogrinfo", "-ro", "-so", str(out)], check=True, capture_output=True, text=True).stdout
    assert "hexagones (Polygon)" in listing and "lieux (Point)" in listing
    public = tmp_path / "public.gpkg"
    subprocess.run([sys.executable, "-m", "cli", "export", "gpkg", "--period", PERIOD, "--out", str(public),
                    "--role", "public", "--crs", "4326"], env=env, check=True, capture_output=True)  # fmt: skip
    coarse = pyogrio.read_dataframe(public, layer="hexagones")
    assert set(coarse["resolution"]) == {8} and {name for name, _ in pyogrio.list_layers(public)} == {
        "hexagones",
        "points_chauds",
        "lieux",
        "territoires",
    }
    hot = pyogrio.read_dataframe(public, layer="points_chauds")
    assert {"z", "p", "p_fdr"}.isdisjoint(hot.columns)  # a z-score is a linear function of the exact counts
    assert not ((coarse["faits"] > 0) & (coarse["faits"] < 5)).any()


def test_ogc_api_features_reads_in_gdal(server: str, tokens: dict[str, str]) -> None:
    env = dict(os.environ, GDAL_HTTP_HEADERS=f"Authorization: Bearer {tokens['partner']}")
    listing = subprocess.run(["ogrinfo", "-ro", f"OAPIF:{server}/ogc"], env=env, check=True, capture_output=True,
                             text=True).stdout  # fmt: skip
    assert "hexagones" in listing and "zones" in listing and "lieux" in listing
    summary = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{server}/ogc", "hexagones"], env=env, check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
    assert "Feature Count:" in summary
    features = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{server}/ogc", "lieux"], env=env,
                              check=True, capture_output=True, text=True).stdout  # fmt: skip
    assert len(json.loads(features)["features"]) >= 3
    public = dict(os.environ, GDAL_HTTP_HEADERS=f"Authorization: Bearer {tokens['public']}")
    listing = subprocess.run(["ogrinfo", "-ro", f"OAPIF:{server}/ogc"], env=public, check=True, capture_output=True,
                             text=True).stdout  # fmt: skip
    assert "zones" not in listing
