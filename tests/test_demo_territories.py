"""The demo generator is driven by a territory spec: the CISPD Loos–Haubourdin–Emmerin runs through the same code
as Mons-en-Barœul, at a reduced scale here, with facts in each of its three communes, a refresh and a plan that
stays in the start's commune; and no Mons-en-Barœul is left in the generic code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from shapely import wkt
from shapely.geometry import shape
from sqlalchemy import Engine, text

from etl.demo.run import run_demo
from etl.demo.spec import CISPD_LHE, DEMOS, demo_named
from ols import settings as ols_settings
from ols.cartography.refresh import refresh
from ols.cartography.zones import sync_declared
from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.settings import CartographySettings
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
GENERIC = ("commune.py", "exports.py", "generate.py", "partners.py", "places.py", "run.py", "__init__.py")
COMMUNE_WORDS = re.compile(r"\bmons\b|barœul|baroeul|\bloos\b|haubourdin|emmerin|59410|59360|59286|59193", re.I)


def test_the_cispd_demo_loads_three_communes_with_facts_in_each_and_refreshes(engine: Engine, tmp_path: Path) -> None:
    reports = run_demo(engine, out=tmp_path, seed=3, echo=lambda _: None, demo=CISPD_LHE, scale=0.05)
    assert len(reports) == 25  # five partners (no metro operator in the CISPD), five yearly files each
    with engine.connect() as connection:
        territories = dict(connection.execute(text("SELECT insee, population FROM territory")).all())
        facts = dict(connection.execute(text("SELECT commune_insee, count(*) FROM event GROUP BY 1")).all())
        bailleur = dict(connection.execute(text(
            "SELECT commune_insee, count(*) FROM event JOIN source ON source.id = event.source_id "
            "WHERE source.code = 'bailleur-demo' GROUP BY 1")).all())  # fmt: skip
        places = connection.execute(text("SELECT kind, name, insee, attributes->>'source' FROM place")).all()
        official = set(connection.execute(text("SELECT DISTINCT scope, code FROM official_indicator")).all())
        observatory = connection.execute(text("SELECT code, name, kind FROM observatory")).all()
    assert observatory == [("CISPD-LHE", "CISPD Loos–Haubourdin–Emmerin", "cispd")]
    assert {("departement", "59"), ("commune", "59360")} <= official  # the bilans' SSMSI context (Loos only)
    assert ("commune", "59286") not in official  # the SSMSI file holds communes of 20 000 to 50 000 inhabitants
    assert territories == {"59360": 22_000, "59286": 15_000, "59193": 3_400}
    assert set(facts) == set(territories) and min(facts.values()) > 50, facts
    assert set(bailleur) == set(territories), bailleur  # addresses geocoded in their own commune
    halls = {name for kind, name, _, _ in places if kind == "town_hall"}
    assert halls == {"Hôtel de ville de Loos", "Hôtel de ville de Haubourdin", "Hôtel de ville d'Emmerin"}
    assert {source for *_, source in places} == {"SYNTHETIQUE"} and {insee for _, _, insee, _ in places} == set(facts)
    readme = (tmp_path / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert "CISPD Loos–Haubourdin–Emmerin" in readme
    assert "lieux (hôtels de ville, écoles, collèges, arrêts de bus) sont SYNTHÉTIQUES" in readme
    with engine.begin() as connection:
        synced = sync_declared(connection, CISPD_LHE.zones)
    assert sorted(synced.loaded) == ["DEMO-HAUBOURDIN-CENTRE", "DEMO-LOOS-CENTRE"]
    summary = refresh(engine, parse_period("2026-S1"), settings=CartographySettings(permutations=99))
    with engine.connect() as connection:
        hot = connection.execute(text("SELECT count(*) FROM hotspot WHERE period = '2026-S1'")).scalar_one()
    assert summary["period"] == "2026-S1" and hot > 0


def test_ols_demo_territory_cispd_lhe_installs_its_zones_and_plans_in_haubourdin(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command as a user runs it (at a reduced scale): its own zones, a refresh, a patrol from Haubourdin."""
    for name, value in {"OLS_DATABASE_URL": database_url, "OLS_ZONES_DIR": str(tmp_path / "zones"),
                        "OLS_PERMUTATIONS": "99"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    settings = [accessor for accessor in vars(ols_settings).values() if hasattr(accessor, "cache_clear")]
    for accessor in settings:
        accessor.cache_clear()
    try:
        status, out, err = run_cli("demo", "--territory", "cispd-lhe", "--scale", "0.05", "--seed", "3",
                                   "--out", str(tmp_path / "demo"))  # fmt: skip
    finally:
        for accessor in settings:
            accessor.cache_clear()
    assert status == 0, err
    assert "CISPD Loos–Haubourdin–Emmerin : Loos (59360), Haubourdin (59286), Emmerin (59193) chargé ;" in out
    assert sorted(path.name for path in (tmp_path / "zones").iterdir()) == [
        "demo-haubourdin-centre.geojson", "demo-loos-centre.geojson"]  # fmt: skip
    plan = json.loads((tmp_path / "demo" / "plan-vendredi.geojson").read_text(encoding="utf-8"))
    assert "plan limité à Haubourdin (59286)" in plan["notes"]
    with engine.connect() as connection:
        outline = wkt.loads(
            connection.execute(text("SELECT ST_AsText(geom) FROM territory WHERE insee = '59286'")).scalar_one()
        )
    stops = [shape(f["geometry"]) for f in plan["features"] if f["properties"]["kind"] == "stop"]
    assert len(stops) >= 4 and all(outline.covers(stop) for stop in stops)


def test_a_demo_is_chosen_by_its_key() -> None:
    assert demo_named("mons") is DEMOS["mons"] and demo_named("cispd-lhe") is CISPD_LHE
    with pytest.raises(InvalidInputError, match="au choix : mons, cispd-lhe"):
        demo_named("lille")


def test_no_commune_is_named_outside_the_demo_specs_and_no_mons_outside_demo_data() -> None:
    named = [path.name for path in (ROOT / "etl" / "demo").glob("*.py")
             if path.name in GENERIC and COMMUNE_WORDS.search(path.read_text(encoding="utf-8"))]  # fmt: skip
    assert named == []
    leaks = [f"{path.relative_to(ROOT)}:{number}"
             for folder in ("ols", "etl", "api") for path in sorted((ROOT / folder).rglob("*"))
             if path.is_file() and path.suffix in (".py", ".yaml", ".sql") and "demo" not in path.parts
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search(r"\bmons\b", line, re.I)]  # fmt: skip
    assert leaks == []
