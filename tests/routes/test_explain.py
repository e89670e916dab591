"""« Pourquoi cette cellule ? »: the service, the API and the command line on the refreshed demo."""

from __future__ import annotations

import os
import subprocess
import sys

import h3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ols.access.audience import Audience
from ols.cartography.explain import Question, explain
from ols.cartography.layers import hotspot_frame
from ols.periods import parse_period
from ols.store.models import Zone
from tests.french_text import english_codes
from tests.routes.conftest import PERIOD


def _hot_cell(engine: Engine) -> str:
    with engine.connect() as connection:
        frame = hotspot_frame(connection, parse_period(PERIOD), Audience.of("t", "police"), resolution=9)
    hot = frame[frame["class"].str.startswith("hot")].sort_values("z", ascending=False)
    assert len(hot), "the demo has hot spots at resolution 9"
    return str(hot.iloc[0]["h3"])


def test_a_hot_cell_is_explained_in_french_with_its_numbers(api_engine: Engine) -> None:
    cell = _hot_cell(api_engine)
    with api_engine.connect() as connection:
        found = explain(connection, Question(parse_period(PERIOD), cell=cell), Audience.of("t", "police"))
        frame = hotspot_frame(connection, parse_period(PERIOD), Audience.of("t", "police"), resolution=9)
    row = frame.set_index("h3").loc[cell]
    assert found["count"] == row["count"] and found["class"] == row["class"]
    assert found["label"].startswith("point chaud") and found["z"] == pytest.approx(row["z"])
    assert len(found["neighbours"]) == 6
    # the neighbourhood of 1 ring recomputed from the counts is the z-score stored by the refresh
    assert found["by_neighbourhood"][0]["z"] == pytest.approx(row["z"], abs=0.01)
    assert [item["rings"] for item in found["by_neighbourhood"]] == [1, 2, 3]
    assert {item["resolution"] for item in found["by_resolution"]} == {8, 10}
    assert sum(p["facts"] for p in found["partners"]) == found["count"] + found["merged"]
    text = " ".join(found["sentences"])
    assert "chance" in text and "sur 100 que ce regroupement soit dû au hasard" in text
    assert cell not in text and "hot_" not in text and "not_significant" not in text
    assert "près de" in text  # a named place, never the H3 id
    assert any("réalité de la délinquance" in caveat for caveat in found["caveats"])


def test_a_cell_with_too_few_facts_says_so(api_engine: Engine) -> None:
    with api_engine.connect() as connection:
        frame = hotspot_frame(connection, parse_period(PERIOD), Audience.of("t", "police"), resolution=10)
        sparse = frame[(frame["class"] == "insufficient") & (frame["count"] > 0)]
        assert len(sparse)
        found = explain(connection, Question(parse_period(PERIOD), cell=str(sparse.iloc[0]["h3"])),
                        Audience.of("t", "police"))  # fmt: skip
    text = " ".join(found["sentences"])
    assert found["label"] == "données insuffisantes" and "Il faut au moins 20 faits" in text
    assert "faits constatés et signalements" in text and "l'activité des services est comptée à part" in text
    assert not english_codes(text)


def test_a_partner_gets_no_z_and_rounded_counts(api_engine: Engine) -> None:
    cell = _hot_cell(api_engine)
    with api_engine.connect() as connection:
        found = explain(connection, Question(parse_period(PERIOD), cell=cell), Audience.of("t", "partner"))
    assert found["z"] is None and found["q"] is None and found["by_neighbourhood"] == []
    assert found["count"] is None or found["count"] % 5 == 0
    assert all(p["facts"] is None or p["facts"] % 5 == 0 for p in found["partners"])


def test_a_computed_zone_is_explained(api_engine: Engine) -> None:
    with api_engine.connect() as connection:
        code = (
            connection.execute(
                select(Zone.code).where(Zone.period == PERIOD, Zone.kind == "computed", Zone.scope == "full")
            )
            .scalars()
            .first()
        )
        assert code is not None
        found = explain(connection, Question(parse_period(PERIOD), zone=code), Audience.of("t", "coordinator"))
    assert found["kind"] == "zone" and found["count"] >= 20
    assert any("calculée à partir des points chauds" in sentence for sentence in found["sentences"])
    assert not any(str(h3.int_to_str(0x89194D29CB7FFFF)) in s for s in found["sentences"])


def test_the_api_answers_with_labels(client: TestClient, tokens: dict[str, str], api_engine: Engine) -> None:
    cell = _hot_cell(api_engine)
    headers = {"Authorization": f"Bearer {tokens['police']}"}
    response = client.get("/api/v1/explain", params={"period": PERIOD, "cell": cell}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["class"].startswith("hot_") and body["label"].startswith("point chaud")
    both = client.get("/api/v1/explain", params={"period": PERIOD}, headers=headers)
    assert both.status_code in (400, 422) and "cellule" in both.json()["detail"]
    finer = client.get("/api/v1/explain", params={"period": PERIOD, "cell": h3.cell_to_center_child(cell, 10)},
                       headers={"Authorization": f"Bearer {tokens['elu']}"})  # fmt: skip
    assert finer.status_code == 403


def _ols(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OLS_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, check=False)


def test_the_command_line_explains_in_french(api_engine: Engine) -> None:
    cell = _hot_cell(api_engine)
    result = _ols(api_engine, "explain", "--period", PERIOD, "--cell", cell, "--role", "police")
    assert result.returncode == 0, result.stderr
    assert "Pourquoi cette cellule ?" in result.stdout and "sur 100 que ce regroupement" in result.stdout
    assert "Ce que ces chiffres ne disent pas" in result.stdout and "réalité de la délinquance" in result.stdout
    assert not english_codes(result.stdout), english_codes(result.stdout)
    with api_engine.connect() as connection:
        code = (
            connection.execute(
                select(Zone.code).where(Zone.period == PERIOD, Zone.kind == "computed", Zone.scope == "open")
            )
            .scalars()
            .first()
        )
    assert code is not None
    zone = _ols(api_engine, "explain", "--period", PERIOD, "--zone", code, "--role", "elu")
    assert zone.returncode == 0, zone.stderr
    assert "Pourquoi cette zone ?" in zone.stdout and "Score z" not in zone.stdout
    assert not english_codes(zone.stdout), english_codes(zone.stdout)
    wrong = _ols(api_engine, "explain", "--period", PERIOD, "--cell", "pas-une-cellule")
    assert wrong.returncode == 1 and "n'est pas un identifiant de cellule H3" in wrong.stderr
