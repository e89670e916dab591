"""The strategy's follow-up in the library: a computed indicator is the count SQL gives, an entered value keeps who
entered it, a refresh recomputes and an edition freezes the indicators, nominative free text is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import box
from sqlalchemy import Engine, text

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.access.audience import Audience
from ols.cartography.editions import publish
from ols.cartography.refresh import refresh
from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.settings import CartographySettings
from ols.strategy.indicators import compute_indicators, enter_value
from ols.strategy.plan import check_free_text, load_strategy, set_action_state
from tests.helpers import add_territory, police_nationale_csv

BOUNDS = (3.0, 50.6, 3.04, 50.63)
SHIPPED = Path(__file__).parents[1] / "data" / "strategy" / "mons-en-baroeul.yaml"
CATEGORIES = ["residential_burglary", "theft_from_vehicle"]
COORDINATOR = Audience.of("coordonnatrice-test", "coordinator")
STRATEGY = {"axes": [{"code": "1", "title": "Prévention situationnelle", "actions": [
    {"code": "1.1", "title": "Cambriolages", "objective": "Réduire les cambriolages.", "pilot": "Police municipale",
     "partners": ["Police nationale"], "schedule": "2026", "state": "en_cours", "indicators": [
        {"code": "CAMB", "name": "Cambriolages et vols à la roulotte", "kind": "result", "unit": "faits",
         "direction": "down", "source": "computed", "spec": {"territory": "T", "categories": CATEGORIES}},
        {"code": "MARCHES", "name": "Marches exploratoires", "kind": "activity", "unit": "marches", "target": 4,
         "direction": "up", "source": "entered"}]}]}]}  # fmt: skip


@pytest.fixture
def facts(engine: Engine, tmp_path: Path) -> Engine:
    """A territory, 400 seeded police facts over 2025–2026-S1, and the small strategy above."""
    add_territory(engine, BOUNDS, code="T", insee="59999")
    path = police_nationale_csv(tmp_path / "pn.csv", box(*BOUNDS), count=400, seed=16)
    ingest_file(engine, path, source_code="police-nationale", mapping=load_mapping("police_nationale"),
                ingested_by="test")  # fmt: skip
    with engine.begin() as connection:
        load_strategy(connection, STRATEGY, by="test")
    return engine


def _direct(engine: Engine, start: str, end: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM event e WHERE e.category = ANY(:categories) AND e.measure = 'facts' "
            "AND e.occurred_at >= (CAST(:start AS date) AT TIME ZONE 'Europe/Paris') "
            "AND e.occurred_at < (CAST(:end AS date) AT TIME ZONE 'Europe/Paris') "
            "AND NOT EXISTS (SELECT 1 FROM event_link l WHERE l.source_id = e.source_id AND l.id = e.id)"),
            {"categories": CATEGORIES, "start": start, "end": end}).scalar_one())  # fmt: skip


def _stored(engine: Engine, code: str, period: str) -> tuple[float, str, str]:
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT v.value, v.provenance, v.recorded_by FROM indicator_value v JOIN indicator i ON i.id = "
            "v.indicator_id WHERE i.code = :code AND v.period = :period"),
            {"code": code, "period": period}).one()  # fmt: skip
    return float(row.value), str(row.provenance), str(row.recorded_by)


def test_a_computed_indicator_is_the_direct_sql_count(facts: Engine) -> None:
    with facts.begin() as connection:
        values = compute_indicators(connection, parse_period("2025"))
    expected = _direct(facts, "2025-01-01", "2026-01-01")
    assert 50 < expected < 400
    assert values == {"CAMB": expected}
    assert _stored(facts, "CAMB", "2025") == (expected, "computed", "rafraîchissement")


def test_a_refresh_recomputes_the_indicators_and_an_edition_freezes_them(facts: Engine) -> None:
    refresh(facts, parse_period("2026-S1"), settings=CartographySettings(permutations=19))
    expected = _direct(facts, "2026-01-01", "2026-07-01")
    assert _stored(facts, "CAMB", "2026-S1")[0] == expected
    with facts.begin() as connection:
        publish(connection, parse_period("2026-S1"), by="test")
        frozen = connection.execute(text("SELECT content->'indicators' FROM edition")).scalar_one()
    assert frozen["CAMB"]["value"] == expected and frozen["CAMB"]["provenance"] == "computed"


def test_an_entered_value_keeps_its_provenance(facts: Engine) -> None:
    with facts.begin() as connection:
        enter_value(connection, "MARCHES", parse_period("2025"), 3, COORDINATOR)
        with pytest.raises(InvalidInputError, match="calculé"):
            enter_value(connection, "CAMB", parse_period("2025"), 3, COORDINATOR)
    assert _stored(facts, "MARCHES", "2025") == (3.0, "entered", "coordonnatrice-test")


def test_a_state_change_is_dated(facts: Engine) -> None:
    with facts.begin() as connection:
        set_action_state(connection, "1.1", "realisee", COORDINATOR)
        states = connection.execute(text("SELECT state FROM action_state_change ORDER BY id")).scalars().all()
    assert states == ["en_cours", "realisee"]


@pytest.mark.parametrize(("text_value", "kinds"), [
    ("Convocation de Jean Dupont, né le 12/03/1987, au CLSPD", "des noms et des dates de naissance"),
    ("Rappeler le 06 12 34 56 78", "des numéros de téléphone"),
    ("Véhicule AB-123-CD stationné dans le hall", "des plaques d'immatriculation"),
])  # fmt: skip
def test_nominative_free_text_is_refused_with_the_reason(text_value: str, kinds: str) -> None:
    with pytest.raises(InvalidInputError, match=kinds) as refused:
        check_free_text(text_value, "le texte de la décision")
    assert "Dupont" not in str(refused.value) and "06 12" not in str(refused.value)
    assert check_free_text("Renforcer la présence de médiation rue Jean Jaurès le soir", "texte")


def test_the_command_line_loads_the_shipped_strategy_and_opens_a_meeting(engine: Engine, database_url: str) -> None:
    add_territory(engine, BOUNDS, code="59410", insee="59410")
    env = dict(os.environ, OLS_DATABASE_URL=database_url)

    def ols(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True,
                              check=False)  # fmt: skip

    loaded = ols("strategy", "load", str(SHIPPED))
    assert loaded.returncode == 0, loaded.stderr
    assert "3 axes, 20 fiches actions, 17 indicateurs" in loaded.stdout
    refused = ols("meeting", "new", "--date", "2026-03-12", "--territory", "59410", "--partner", "Jean Dupont")
    assert refused.returncode == 1 and "jamais une personne" in " ".join(refused.stderr.split())
    opened = ols("meeting", "new", "--date", "2026-03-12", "--territory", "59410", "--partner", "mediation")
    assert opened.returncode == 0 and "Réunion 1 ouverte" in opened.stdout, opened.stderr
    with engine.connect() as connection:
        assert connection.execute(text("SELECT partners FROM meeting")).scalar_one() == ["mediation"]
