"""Per-commune outputs of an intercommunal observatory (issue 18): the CISPD Loos–Haubourdin–Emmerin built from the
shared communes file, a seeded police file spread over the three communes and a cluster planted on the
Loos–Haubourdin border.

Gi* and the zones run over the whole observatory, so the cluster is one hot spot and one zone;
the breakdown by commune reports it in both communes (cells meeting the commune, not only those
whose centre lies in it); the zone is filed under both and named where it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ols.cartography.refresh import refresh
from ols.periods import parse_period
from ols.settings import CartographySettings
from tests import communes_gen
from tests.communes_gen import EMMERIN, HAUBOURDIN, LOOS, Cispd

SEMESTER = parse_period("2025-S1")
SETTINGS = CartographySettings(hotspot_resolutions=(9, 10), zone_resolution=10, permutations=199)


@pytest.fixture
def cispd(engine: Engine, shared: Path, tmp_path: Path) -> Cispd:
    """The CISPD with its generated facts, refreshed for the first semester of 2025."""
    built = communes_gen.build(engine, shared)
    communes_gen.load(engine, tmp_path, built)
    refresh(engine, SEMESTER, settings=SETTINGS)
    return built


def test_facts_carry_their_commune(engine: Engine, cispd: Cispd) -> None:
    with engine.connect() as connection:
        counts = dict(connection.execute(text(
            "SELECT t.insee, count(*) FROM event e JOIN territory t ON t.id = e.territory_id GROUP BY 1"
        )).all())  # fmt: skip
    assert set(counts) == {LOOS, HAUBOURDIN, EMMERIN} and sum(counts.values()) == len(communes_gen.facts(cispd))
    assert counts[LOOS] > 50 and counts[HAUBOURDIN] > 50 and counts[EMMERIN] > 30


def test_the_border_cluster_is_one_zone_filed_under_both_communes(engine: Engine, cispd: Cispd) -> None:
    with engine.connect() as connection:
        zones = connection.execute(text(
            "SELECT code, name, communes FROM zone WHERE kind = 'computed' AND scope = 'full'")).all()  # fmt: skip
    assert len(zones) == 1, zones
    _, name, communes = zones[0]
    assert set(communes) == {LOOS, HAUBOURDIN}
    assert name.startswith("Zone de vigilance n°1 (près de École du Canal, ") and "?" not in name
    assert "Loos" in name and "Haubourdin" in name
