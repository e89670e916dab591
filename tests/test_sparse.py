"""Guards against sparse data (issue 13, item 3): on generated facts with a known truth, a planted cluster is found,
uniform noise gives no hot spot, a partner starting in 2025 creates no trend, and no evolution from a year without data.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import h3
import numpy as np
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.analysis.indicators import NOT_AVAILABLE, local_evolution
from ols.cartography.grid import study_area, to_int, weights
from ols.cartography.guards import INSUFFICIENT
from ols.cartography.hotspots import gi_star
from ols.cartography.layers import hotspot_frame, hotspot_status
from ols.cartography.refresh import Context, refresh
from ols.periods import parse_period
from ols.settings import CartographySettings
from tests.factsgen import CENTRE, WIDE, Fact, cluster, mapping_file, send, shifted, territory, uniform, write_facts

SEMESTER = parse_period("2025-S1")
START = datetime(2025, 1, 2)
FAST = CartographySettings(hotspot_resolutions=(10,), zone_resolution=10, permutations=199)
OPERATOR = Audience.operator()
HOT = ("hot_90", "hot_95", "hot_99", "cold_90", "cold_95", "cold_99")


def _load(engine: Engine, tmp_path: Path, facts: list[Fact], source: str = "police-nationale") -> None:
    mapping = mapping_file(tmp_path)
    send(engine, write_facts(tmp_path / f"{source}-{len(facts)}.csv", facts), source, mapping)


def _classes(engine: Engine) -> dict[int, tuple[int, int, str]]:
    """h3 → (signalements, neighbourhood, class) of the facts' all-families full layer at resolution 10."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT h3, count, neighbourhood, class FROM hotspot WHERE period = :p AND scope = 'full' "
            "AND resolution = 10 AND family = '*' AND measure = 'facts'"), {"p": SEMESTER.name})  # fmt: skip
        return {int(h3): (count, around, name) for h3, count, around, name in rows}


def _noise(engine: Engine, tmp_path: Path) -> None:
    """73 facts spread uniformly over a territory of about 7 km by 7 km, in one semester (a pure null)."""
    territory(engine, WIDE)
    _load(engine, tmp_path, uniform(np.random.default_rng(1), 73, START, 150, bounds=WIDE))


def test_the_finding_uniform_noise_at_73_facts_made_significant_cells(engine: Engine, tmp_path: Path) -> None:
    """Without the guards, Gi* finds "hot spots" in 73 uniform facts, nearly all in cells without a single fact."""
    _noise(engine, tmp_path)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT h3_r10, count(*) FROM event GROUP BY 1 ORDER BY 1")).all()
        area = Context.load(connection).area
    cells = study_area(area, 10, np.array([cell for cell, _ in found], dtype=np.int64))
    counts = np.zeros(len(cells))
    counts[np.searchsorted(cells, [cell for cell, _ in found])] = [n for _, n in found]
    raw = gi_star(cells, counts, permutations=199, w=weights(cells))
    significant = np.isin(raw.classes, HOT)
    assert significant.sum() > 100 and (counts[significant] == 0).mean() > 0.9, significant.sum()


def test_uniform_noise_at_73_facts_gives_no_hot_spot(engine: Engine, tmp_path: Path) -> None:
    _noise(engine, tmp_path)
    summary = refresh(engine, SEMESTER, settings=FAST)
    classes = _classes(engine)
    assert summary["events"] == 73 and summary["hotspot_status"]["r10"]["status"] == "computed"
    assert not [cell for cell, (_, _, name) in classes.items() if name in HOT]
    assert all(name == INSUFFICIENT for _, around, name in classes.values() if around < 20)
    assert summary["zones"] == []
    with engine.connect() as connection:
        frame = hotspot_frame(connection, SEMESTER, OPERATOR, resolution=10, significant_only=True)
    assert frame.empty


def test_too_few_facts_in_the_study_area_is_insufficient_data(engine: Engine, tmp_path: Path) -> None:
    territory(engine)
    _load(engine, tmp_path, cluster(np.random.default_rng(5), 25, CENTRE, START, 150))
    summary = refresh(engine, SEMESTER, settings=FAST)
    assert summary["hotspot_status"]["r10"]["status"] == "insufficient"
    assert summary["hotspot_status"]["r10"]["reason"].startswith("données insuffisantes : 25 fait(s)")
    assert {name for _, _, name in _classes(engine).values()} == {INSUFFICIENT}
    elu = Audience.of("élu", "elu")
    with engine.connect() as connection:
        police = hotspot_status(connection, SEMESTER, OPERATOR, resolution=10)
        public = hotspot_status(connection, SEMESTER, elu, resolution=8)
    assert police["study_area_facts"] == 25 and "study_area_facts" not in public  # no exact count below the police
    assert public["status"] == "insufficient" and public["reason"].startswith("données insuffisantes : moins de 30")


def test_a_planted_cluster_is_found(engine: Engine, tmp_path: Path) -> None:
    territory(engine)
    rng = np.random.default_rng(2025)
    spot = shifted(*CENTRE, 300, -200)
    _load(engine, tmp_path, uniform(rng, 73, START, 150) + cluster(rng, 40, spot, START, 150))
    summary = refresh(engine, SEMESTER, settings=FAST)
    classes = _classes(engine)
    with engine.connect() as connection:
        planted = connection.execute(text("SELECT h3_r10 FROM event GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
        heart = int(planted.scalar_one())
    assert classes[heart][2] in ("hot_95", "hot_99")
    hot = [cell for cell, (_, _, name) in classes.items() if name.startswith("hot_")]
    assert all(classes[cell][1] >= 20 for cell in hot)
    assert len(summary["zones"]) == 1 and summary["zones"][0]["events"] >= 20
    with engine.connect() as connection:
        cells = connection.execute(text("SELECT cells FROM zone WHERE kind = 'computed' AND scope = 'full'"))
        assert heart in cells.scalar_one()


def test_a_small_cluster_makes_no_zone_of_a_few_facts(engine: Engine, tmp_path: Path) -> None:
    """The finding "5 cellules, 2 faits": a zone is drawn only around enough facts."""
    territory(engine)
    rng = np.random.default_rng(7)
    _load(engine, tmp_path, uniform(rng, 60, START, 150) + cluster(rng, 12, CENTRE, START, 150, metres=20))
    summary = refresh(engine, SEMESTER, settings=FAST)
    assert summary["zones"] == []
    cell = int(to_int([h3.latlng_to_cell(CENTRE[1], CENTRE[0], 10)])[0])
    assert _classes(engine)[cell][2] == INSUFFICIENT  # its neighbourhood holds fewer than 20 facts


def _steady_police(engine: Engine, tmp_path: Path, rng: np.random.Generator) -> None:
    """Police nationale since 2023: noise and a steady cluster, every semester."""
    steady = shifted(*CENTRE, -400, 300)
    early = [
        fact
        for year in (2023, 2024, 2025)
        for half in (1, 7)
        for fact in uniform(rng, 40, datetime(year, half, 2), 170)
        + cluster(rng, 30, steady, datetime(year, half, 2), 170)
    ]
    _load(engine, tmp_path, early, "police-nationale")


def test_a_partner_starting_in_2025_creates_no_trend_before_2025(engine: Engine, tmp_path: Path) -> None:
    territory(engine)
    rng = np.random.default_rng(11)
    _steady_police(engine, tmp_path, rng)
    newcomer = shifted(*CENTRE, 500, -300)
    late = [fact for half in (1, 7) for fact in cluster(rng, 60, newcomer, datetime(2025, half, 2), 170)]
    _load(engine, tmp_path, late, "police-municipale")
    summary = refresh(engine, parse_period("2025-S2"), settings=FAST)
    trend = summary["emerging_status"]
    assert trend["status"] == "insufficient" and trend["semesters"] == ["2025-S1", "2025-S2"]
    assert "police-municipale sans données en 2023-S1, 2023-S2, 2024-S1, 2024-S2" in trend["reason"]
    assert summary["emerging"] == {}
    shorter = CartographySettings(hotspot_resolutions=(10,), zone_resolution=10, permutations=199,
                                  emerging_semesters=4, emerging_min_semesters=3)  # fmt: skip
    without = refresh(engine, parse_period("2025-S2"), settings=shorter)["emerging_status"]
    assert without["status"] == "insufficient"  # the newcomer covers two of the last four semesters only
    with engine.connect() as connection:
        patterns = set(connection.execute(text("SELECT pattern FROM emerging_hotspot")).scalars())
    assert not any(pattern.startswith("new_") for pattern in patterns)


def test_no_evolution_from_a_year_without_data(engine: Engine, tmp_path: Path) -> None:
    """The finding: years before a partner's first file counted 0, and the total rose "+202,7 %"."""
    territory(engine)
    rng = np.random.default_rng(3)
    _load(engine, tmp_path, uniform(rng, 50, datetime(2024, 1, 2), 360) + uniform(rng, 55, datetime(2025, 1, 2), 360))
    _load(engine, tmp_path, uniform(rng, 100, datetime(2025, 1, 2), 360, label="Attroupement"), "police-municipale")
    with engine.connect() as connection:
        by_source = local_evolution(connection, parse_period("2025"), OPERATOR, by="source").set_index("key")
        by_family = local_evolution(connection, parse_period("2025"), OPERATOR, by="family").set_index("key")
    assert by_source.loc["police-nationale", "evolution_pct"] == 10.0  # 50 → 55, both years with data
    newcomer = by_source.loc["police-municipale"]
    assert (newcomer["2024"], newcomer["2025"]) == (NOT_AVAILABLE, 100) and np.isnan(newcomer["evolution_pct"])
    assert "police-municipale : pas de données en 2024" in newcomer["no_data"]
    assert np.isnan(by_source.loc["total", "evolution_pct"]) and np.isnan(by_family.loc["total", "evolution_pct"])
    assert by_family.loc["property", "evolution_pct"] == 10.0  # only the partner present both years counted there


def test_trends_keep_only_the_semesters_every_partner_had_data(engine: Engine, tmp_path: Path) -> None:
    """The finding "consecutive_hot" where a partner's first semesters counted as "not hot": now its cluster is
    persistent over the semesters it had data in."""
    territory(engine)
    rng = np.random.default_rng(17)
    _steady_police(engine, tmp_path, rng)
    newcomer = shifted(*CENTRE, 500, -300)
    late = [fact for year, half in ((2024, 7), (2025, 1), (2025, 7))
            for fact in cluster(rng, 60, newcomer, datetime(year, half, 2), 170)]  # fmt: skip
    _load(engine, tmp_path, late, "police-municipale")
    settings = CartographySettings(hotspot_resolutions=(10,), zone_resolution=10, permutations=199,
                                   emerging_min_semesters=3)  # fmt: skip
    summary = refresh(engine, parse_period("2025-S2"), settings=settings)
    assert summary["emerging_status"]["semesters"] == ["2024-S2", "2025-S1", "2025-S2"]
    heart = int(to_int([h3.latlng_to_cell(newcomer[1], newcomer[0], 10)])[0])
    with engine.connect() as connection:
        found = connection.execute(text("SELECT pattern, hot_periods FROM emerging_hotspot WHERE scope = 'full' "
                                        "AND h3 = :h"), {"h": heart}).one()  # fmt: skip
    assert tuple(found) == ("persistent_hot", 3)
    assert not any(name.startswith(("new_", "consecutive_")) for name in summary["emerging"])


def test_no_evolution_from_a_year_a_partner_began_in(engine: Engine, tmp_path: Path) -> None:
    """The finding "+202,7 %": a partner whose first file starts in September 2024 counted 37 facts in 2024 and 112
    in 2025; its 2024 is partial, so no evolution is computed from it, and its 2023 is "—", not 0."""
    territory(engine)
    rng = np.random.default_rng(11)
    _load(engine, tmp_path, uniform(rng, 50, datetime(2024, 1, 2), 360) + uniform(rng, 55, datetime(2025, 1, 2), 360))
    first = Fact("Cambriolage", datetime(2024, 9, 2, 10), *CENTRE)
    late = [first, *uniform(rng, 36, datetime(2024, 9, 3), 110), *uniform(rng, 112, datetime(2025, 1, 2), 360)]
    _load(engine, tmp_path, late, "police-municipale")
    with engine.connect() as connection:
        by_source = local_evolution(connection, parse_period("2025"), OPERATOR, by="source").set_index("key")
    newcomer = by_source.loc["police-municipale"]
    assert (newcomer["2023"], newcomer["2024"], newcomer["2025"]) == (NOT_AVAILABLE, 37, 112)
    assert round(100 * (112 - 37) / 37, 1) == 202.7 and np.isnan(newcomer["evolution_pct"])
    assert "police-municipale : données à partir du 02/09/2024" in newcomer["no_data"]
    assert by_source.loc["police-nationale", "evolution_pct"] == 10.0
    assert np.isnan(by_source.loc["total", "evolution_pct"])
    assert by_source.loc["total", "2023"] == NOT_AVAILABLE  # no partner had data in 2023
