"""Every shipped mapping on the demo generator's files in the partners' native formats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from etl.demo.generate import MARK
from etl.demo.run import SOURCES, run_demo
from etl.mapping import builtin_mappings, load_mapping
from ols.access.audience import Audience
from ols.nomenclature import CATEGORY_BY_CODE

EXPECTED_REJECTIONS = {
    "police_nationale": {"missing_coordinates": 3, "unknown_label": 2, "invalid_date": 1},
    "police_municipale": {"outside_territory": 2},
    "bailleur": {"geocoding_failed": 2},
    "mediation": {"impossible_date": 1, "missing_coordinates": 1},
    "transport": {"unknown_place": 1},
    "services_techniques": {},
}


@pytest.fixture(scope="module")
def demo(template_url: str, server_url: str, tmp_path_factory: pytest.TempPathFactory, shared: Path) -> object:
    """The demo loaded once into its own database."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"ols_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE ols_test_template"))
    engine = create_engine(make_url(server_url).set(database=name))
    out = tmp_path_factory.mktemp("demo")
    reports = run_demo(engine, out=out, seed=7, echo=lambda _: None)
    yield engine, out, reports
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))


def test_every_shipped_mapping_is_exercised() -> None:
    assert set(builtin_mappings()) == set(EXPECTED_REJECTIONS) | {"police_uk", "doleances"}  # tested on their own
    for name in builtin_mappings():
        mapping = load_mapping(name)
        assert set(mapping.categories.values()) <= set(CATEGORY_BY_CODE)


@pytest.mark.parametrize("mapping_name", sorted(EXPECTED_REJECTIONS))
def test_mapping_reads_its_native_format(demo: tuple[Engine, Path, list[object]], mapping_name: str) -> None:
    engine, out, reports = demo
    files = sorted(out.glob(f"{MARK}_{mapping_name}_*"))
    assert len(files) == 5
    mine = [r for r in reports if r.file in {f.name for f in files}]  # type: ignore[attr-defined]
    assert len(mine) == 5
    for report in mine:
        assert report.rejected_by_reason == EXPECTED_REJECTIONS[mapping_name]
        assert report.accepted > 50
        assert report.accepted + report.duplicates + report.rejected == report.rows_read
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT count(*) FROM event e JOIN source s ON s.id = e.source_id WHERE s.code = :code"),
            {"code": SOURCES[mapping_name]},
        ).scalar_one()
    assert stored == sum(r.accepted for r in mine)  # type: ignore[attr-defined]


def test_demo_has_resent_facts_and_rhythms(demo: tuple[Engine, Path, list[object]]) -> None:
    engine, _, reports = demo
    assert sum(r.duplicates for r in reports) == 20  # type: ignore[attr-defined]
    with engine.connect() as connection:
        evening = connection.execute(
            text(
                "SELECT avg((extract(hour FROM occurred_at AT TIME ZONE 'Europe/Paris') BETWEEN 18 AND 23)::int) "
                "FROM event WHERE time_precision = 'minute'"
            )
        ).scalar_one()
        sensitive = (
            connection.execute(
                text(
                    "SELECT DISTINCT confidentiality FROM event "
                    "WHERE category IN ('drug_trafficking', 'deal_point_report')"
                )
            )
            .scalars()
            .all()
        )
        communes = connection.execute(text("SELECT DISTINCT commune_insee FROM event")).scalars().all()
    assert evening > 0.4
    assert sensitive == ["police"]
    assert communes == ["59410"]


def test_demo_cartography(demo: tuple[Engine, Path, list[object]]) -> None:
    from ols.analysis.indicators import local_evolution
    from ols.cartography.aggregates import zone_counts
    from ols.cartography.refresh import refresh
    from ols.cartography.zones import sync_declared
    from ols.periods import parse_period
    from ols.settings import CartographySettings

    engine, _, _ = demo
    with engine.begin() as connection:
        assert sync_declared(connection, Path(__file__).parents[1] / "data" / "zones").loaded == (
            "DEMO-FORT",
            "DEMO-MONS-SART",
        )
    summary = refresh(engine, parse_period("2026-S1"), settings=CartographySettings(permutations=199))
    assert summary["zones"], "the demo's hot spots around stations and blocks must give zones"
    assert any("MONS" in (zone["near"] or "") for zone in summary["zones"])
    with engine.connect() as connection:
        table = local_evolution(connection, parse_period("2025"), Audience.operator(), by="category").set_index("key")
        activity = local_evolution(connection, parse_period("2025"), Audience.operator(), by="source",
                                   measure="activity").set_index("key")  # fmt: skip
        year = "extract(year FROM e.occurred_at AT TIME ZONE 'Europe/Paris') = 2025"
        counted = connection.execute(text(  # facts, each once across partners (issue 13)
            f"SELECT count(*) FROM event e WHERE {year} AND e.measure = 'facts' AND NOT EXISTS "
            "(SELECT 1 FROM event_link l WHERE l.source_id = e.source_id AND l.id = e.id)")).scalar_one()  # fmt: skip
        mediation = connection.execute(text(f"SELECT count(*), bool_and(e.measure = 'activity') FROM event e "
                                            f"JOIN source s ON s.id = e.source_id WHERE {year} "
                                            "AND s.code = 'mediation'")).one()  # fmt: skip
        zones = zone_counts(connection, parse_period("2026-S1"), Audience.operator(), timezone="Europe/Paris")
    assert mediation[0] > 1000 and mediation[1]  # the finding: the mediators' interventions were in the Total
    assert table.loc["total", "2025"] == counted
    assert activity.loc["mediation", "2025"] == mediation[0] and activity.loc["total", "2025"] > mediation[0]
    assert table.loc["residential_burglary", "ssmsi"] == "Cambriolages de logement"
    assert pd.isna(table.loc["residential_burglary", "rate_per_thousand"])  # no dwellings known: no rate
    assert table.loc["total", "rate_per_thousand"] == round(1000 * counted / 20_993, 2)
    assert set(zones["kind"]) == {"computed", "declared"}
