"""Video-protection coverage on the shared Paris camera list with generated facts (issue 17).

The share of facts covered is checked against a direct PostGIS computation, the solver of the extension
against the greedy baseline (with its gap), and a camera added in an uncovered hot cell must raise the share.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.coverage.cameras import CameraSpec, read_cameras, save_cameras
from ols.coverage.csu import CsuEntry, enter
from ols.coverage.extension import Problem, greedy, solve
from ols.coverage.service import coverage
from ols.errors import InvalidInputError
from tests.conftest import shared_data
from tests.factsgen import cluster, mapping_file, send, uniform, write_facts
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
