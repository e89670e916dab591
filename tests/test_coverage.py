"""Video-protection coverage on the shared Paris camera list with generated facts (issue 17).

The share of facts covered is checked against a direct PostGIS computation, the solver of the extension
against the greedy baseline (with its gap), and a camera added in an uncovered hot cell must raise the share.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from alembic import command
from shapely.geometry import Point
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.coverage.buildings import load_buildings
from ols.coverage.cameras import CLIPPED, NOT_CLIPPED, CameraSpec, read_cameras, save_cameras
from ols.coverage.csu import CsuEntry, enter
from ols.coverage.extension import Problem, greedy, solve
from ols.coverage.service import coverage
from ols.errors import InvalidInputError
from ols.store import db
from tests.buildingsgen import footprint, random_footprints, write_buildings
from tests.conftest import shared_data
from tests.factsgen import BOX, CENTRE, Fact, cluster, mapping_file, send, shifted, uniform, write_facts
from tests.helpers import add_territory

PARIS = (2.3380, 48.8520, 2.3650, 48.8660)  # Paris centre (1er to 4e arrondissements), about 2 km by 1.5 km
HOT = (2.3600, 48.8540)  # a cluster of facts where the list has few cameras
OPERATOR = Audience.operator()
DIRECT = text(
    "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM camera c WHERE c.state = 'active' "
    "AND ST_DWithin(c.geom::geography, e.geom::geography, c.radius_m))), count(*) FROM event e "
    "WHERE e.occurred_at >= '2025-01-01 00:00+01' AND e.occurred_at < '2025-07-01 00:00+02' AND e.measure = 'facts'"
)


@pytest.fixture
def paris(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """The Paris centre box, the shared camera list (radius 40 m) and generated facts of 2025-S1 and 2024."""
    add_territory(engine, PARIS, code="P", insee="75056")
    cameras = read_cameras(shared_data() / "cctv" / "paris_videoprotection_geocoded.csv", radius=40.0)
    with engine.begin() as connection:
        save_cameras(connection, cameras, source_file="paris_videoprotection_geocoded.csv")
    rng = np.random.default_rng(17)
    facts = uniform(rng, 1200, datetime(2025, 1, 1), 180, bounds=PARIS)
    facts += cluster(rng, 80, HOT, datetime(2025, 1, 1), 180, metres=30)
    facts += uniform(rng, 600, datetime(2024, 1, 1), 360, bounds=PARIS)
    mapping = mapping_file(tmp_path)
    send(engine, write_facts(tmp_path / "faits.csv", facts), "police-municipale", mapping)
    yield engine


def test_the_shares_match_postgis_and_the_solver_beats_greedy(paris: Engine) -> None:
    with paris.begin() as connection:
        direct_covered, direct_total = connection.execute(DIRECT).one()
        result = coverage(connection, "2025-S1", OPERATOR, extend=4, semesters=3)
    assert result["cameras"] == 707  # every geocoded site of the list is installed before 2025
    assert (result["facts"]["covered"], result["facts"]["total"]) == (direct_covered, direct_total)
    assert 0 < direct_covered < direct_total
    greedy, solver = result["extension"]["greedy"], result["extension"]["solver"]
    assert solver["covered"] >= greedy["covered"] > 0
    assert solver["gap"] is not None and 0 <= solver["gap"] <= 1 and solver["bound"] >= solver["covered"]
    assert len(solver["sites"]) <= 4
    print(
        f"\nsolveur {solver['covered']} faits (borne {solver['bound']}, écart {solver['gap']:.2%}, "
        f"optimal {solver['optimal']}) ; glouton {greedy['covered']} faits"
    )


def test_a_camera_in_an_uncovered_hot_cell_raises_the_share(paris: Engine) -> None:
    with paris.begin() as connection:
        before = coverage(connection, "2025-S1", OPERATOR)
        top = before["hot_cells"]["uncovered"][0]
        save_cameras(connection, [CameraSpec("test-new", "Nouvelle caméra", top["lon"], top["lat"], radius_m=60)])
        after = coverage(connection, "2025-S1", OPERATOR)
    assert after["facts"]["share"] > before["facts"]["share"]
    assert after["hot_cells"]["covered"] > before["hot_cells"]["covered"]
    assert top["h3"] not in [cell["h3"] for cell in after["hot_cells"]["uncovered"]]


def test_csu_figures_need_a_provenance(engine: Engine) -> None:
    with engine.begin() as connection:
        with pytest.raises(InvalidInputError, match="provenance"):
            enter(connection, CsuEntry("2025-S1", " ", hours=100), "test")
        enter(connection, CsuEntry("2025-S1", "registre du CSU", "police nationale", 1200, 85, 12, 40), "test")
        enter(connection, CsuEntry("2025-S1", "registre du CSU", "police nationale", 1300, 85, 12, 41), "test")
        rows = connection.execute(text("SELECT hours, requisitions FROM csu_activity")).all()
    assert rows == [(1300.0, 41)]


def test_the_solver_finds_what_greedy_misses() -> None:
    """The textbook case: the best single site (the middle one) is in no best pair."""
    spec = Problem(np.array([2, 3, 3, 2]), [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)],
                   [np.array([1, 2]), np.array([0, 1]), np.array([2, 3])])  # fmt: skip
    baseline = greedy(spec, 2)
    best = solve(spec, 2, start=baseline)
    assert (baseline.covered, best.covered, best.optimal, best.gap) == (8, 10, True, 0.0)
    assert sorted(site.lon for site in best.sites) == [1.0, 2.0]


CLIPPED_DIRECT = text(
    "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM camera c WHERE c.state = 'active' "
    "AND ST_Intersects(c.coverage, e.geom))), count(*) FROM event e "
    "WHERE e.occurred_at >= '2025-01-01 00:00+01' AND e.occurred_at < '2025-07-01 00:00+02' AND e.measure = 'facts'"
)


def _ols(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, check=False)


def test_a_building_between_a_camera_and_a_fact_hides_it(engine: Engine, database_url: str, tmp_path: Path) -> None:
    """A 10 m deep block 10 m east of a camera: the fact 30 m east, behind it, is no longer covered; the fact
    30 m north, beside it, still is. Loaded by the command line from a Lambert-93 GeoPackage."""
    add_territory(engine, BOX, code="T", insee="59410")
    lon, lat = CENTRE
    with engine.begin() as connection:
        save_cameras(connection, [CameraSpec("cam", "Parvis", lon, lat, radius_m=50)])
    behind, beside = shifted(lon, lat, 30, 0), shifted(lon, lat, 0, 30)
    facts = [Fact("Cambriolage", datetime(2025, 3, 1, 12), *behind), Fact("Cambriolage", datetime(2025, 3, 2, 12),
                                                                          *beside)]  # fmt: skip
    send(engine, write_facts(tmp_path / "faits.csv", facts), "police-municipale", mapping_file(tmp_path))
    with engine.begin() as connection:
        before = coverage(connection, "2025-S1", OPERATOR)
    assert before["facts"]["covered"] == 2 and before["caveats"] == [NOT_CLIPPED]
    block = footprint(lon, lat, (10, 20), (-5, 5))
    loaded = _ols(database_url, "territory", "load-buildings", str(write_buildings(tmp_path / "bati.gpkg", [block])))
    assert loaded.returncode == 0, loaded.stderr
    assert "1 bâtiments chargés" in loaded.stdout and "1 caméras" in loaded.stdout
    with engine.begin() as connection:
        after = coverage(connection, "2025-S1", OPERATOR)
        seen = connection.execute(
            text("SELECT ST_Intersects(coverage, ST_SetSRID(ST_MakePoint(:x, :y), 4326)), clipped FROM camera"),
            {"x": behind[0], "y": behind[1]},
        ).one()
    assert after["facts"]["covered"] == 1 and after["facts"]["total"] == 2
    assert tuple(seen) == (False, True)
    assert after["caveats"] == [CLIPPED]
    command.downgrade(db.alembic_config(database_url), "0020")  # the clipped view goes back to one polygon
    with engine.connect() as connection:
        kind = connection.execute(text("SELECT GeometryType(coverage), ST_NPoints(coverage) > 10 FROM camera")).one()
    assert tuple(kind) == ("POLYGON", True)
    command.upgrade(db.alembic_config(database_url), "head")


def test_the_share_covered_past_generated_buildings_matches_postgis(paris: Engine, tmp_path: Path) -> None:
    """Seeded footprints over the Paris centre: the clipped coverage covers fewer facts than the discs, and the
    share the service computes equals a direct PostGIS count over the clipped polygons."""
    with paris.begin() as connection:
        discs = connection.execute(DIRECT).one()
        sites = [(float(x), float(y)) for x, y in connection.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM camera"))]
    footprints = random_footprints(np.random.default_rng(1717), 2500, PARIS, sites)
    path = write_buildings(tmp_path / "bati.geojson", footprints)
    started = time.perf_counter()
    with paris.begin() as connection:
        loaded = load_buildings(connection, path)
    elapsed = time.perf_counter() - started
    with paris.begin() as connection:
        direct_covered, direct_total = connection.execute(CLIPPED_DIRECT).one()
        result = coverage(connection, "2025-S1", OPERATOR)
        buildings = connection.execute(text("SELECT count(*), min(ST_SRID(geom)) FROM building")).one()
    assert (loaded.buildings, loaded.cameras) == (2500, 707) and tuple(buildings) == (2500, 4326)
    assert (result["facts"]["covered"], result["facts"]["total"]) == (direct_covered, direct_total)
    assert 0 < direct_covered < discs[0] and direct_total == discs[1]
    assert result["caveats"] == [CLIPPED]
    assert elapsed < 60, f"clipping 707 cameras took {elapsed:.0f} s"
    print(f"\n{discs[0]} faits couverts par les disques, {direct_covered} une fois découpés ({elapsed:.1f} s)")


def test_a_buildings_file_without_polygons_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"nom": ["a"]}, geometry=[Point(*CENTRE)], crs=4326).to_file(path, driver="GeoJSON")
    with engine.begin() as connection, pytest.raises(InvalidInputError, match="aucune emprise"):
        load_buildings(connection, path)
