"""The police's analyses as the map, the API and the command line give them: near-repeat risk areas, the veille
croisée as named places, and the method text of a period quoting the figures its refresh used."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from shapely.geometry import shape
from sqlalchemy import Engine

from ols.access.audience import Audience
from ols.analysis.crosswatch import WATCH_GROUPS, WATCH_PERMUTATIONS, audience_area, crosswatch, named_places
from ols.cartography.explain import Question, explain
from ols.cartography.layers import refresh_record
from ols.caveats import method_paragraphs, one_line
from ols.periods import parse_period
from ols.publishing.mapexport import Snapshot, render
from ols.settings import cartography_settings
from tests.french_text import english_codes
from tests.routes.conftest import NEIGHBOUR, PERIOD
from tests.routes.test_explain import _hot_cell
from tests.routes.truth import outline

H3_ID = re.compile(r"\b8[0-9a-f]{14}\b")


def _get(client: TestClient, token: str, path: str, **params: object) -> object:
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text[:300]
    return response.json()


def _ols(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OLS_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, check=False)


def test_the_veille_croisee_is_named_places_for_the_police_only(
    client: TestClient, tokens: dict[str, str], api_engine: Engine
) -> None:
    found = _get(client, tokens["police"], "/api/v1/crosswatch", period=PERIOD)
    assert isinstance(found, dict)
    with api_engine.connect() as connection:
        police = Audience.of("t", "police")
        result = crosswatch(connection, parse_period(PERIOD), audience_area(connection, police), WATCH_GROUPS, police,
                            resolution=10, permutations=WATCH_PERMUTATIONS)  # fmt: skip
    places = named_places(result)
    assert places, "the demo has a veille croisée"
    assert [f["properties"]["name"] for f in found["features"]] == [place["name"] for place in places]
    assert [f["properties"]["cells"] for f in found["features"]] == [len(place["cells"]) for place in places]
    assert sum(f["properties"]["cells"] for f in found["features"]) == len(result["flagged"])
    assert not H3_ID.search(json.dumps([f["properties"] for f in found["features"]]))  # names, never cell ids
    assert all(f["properties"]["sentence"].startswith("Près de ") for f in found["features"])
    for role in ("partner", "elu", "public"):
        response = client.get("/api/v1/crosswatch", params={"period": PERIOD},
                              headers={"Authorization": f"Bearer {tokens[role]}"})  # fmt: skip
        assert response.status_code == 403, role


def test_the_risk_sentence_is_the_same_for_the_api_and_the_command_line(
    client: TestClient, tokens: dict[str, str], api_engine: Engine
) -> None:
    risk = _get(client, tokens["police"], "/api/v1/near-repeat", period=PERIOD)
    assert isinstance(risk, dict) and risk["elevated_risk"] is not None, "the demo plants near-repeat burglaries"
    elevated = risk["elevated_risk"]
    ratio = f"{elevated['ratio']:.1f}".replace(".", ",")
    radius = f"{elevated['radius_m']:.0f}"
    assert risk["sentence"] == (f"Après un cambriolage de logement, le risque dans un rayon de {radius} m reste "
                                f"{ratio} fois plus élevé pendant {elevated['days']} jours (comparé à des dates tirées "
                                "au hasard).")  # fmt: skip
    assert all(f["properties"]["sentence"].startswith("Après un cambriolage de logement le ")
               for f in risk["risk_zones"]["features"])  # fmt: skip
    said = _ols(api_engine, "near-repeat", "--period", PERIOD)
    assert said.returncode == 0, said.stderr
    lines = said.stdout.splitlines()
    assert lines[0] == risk["sentence"]
    assert f"{risk['events']} faits datés au jour ou à l'heure" in said.stdout
    assert "0 à 100 m" in said.stdout and "0 à 7 j" in said.stdout  # the ratio table
    assert said.stdout.count("Après un cambriolage de logement le ") == len(risk["risk_zones"]["features"])
    assert not english_codes(said.stdout), english_codes(said.stdout)
    as_json = _ols(api_engine, "near-repeat", "--period", PERIOD, "--json")
    assert json.loads(as_json.stdout)["sentence"] == risk["sentence"]


def test_the_command_line_names_the_places_of_the_veille_croisee(
    client: TestClient, tokens: dict[str, str], api_engine: Engine
) -> None:
    found = _get(client, tokens["coordinator"], "/api/v1/crosswatch", period=PERIOD)
    assert isinstance(found, dict)
    said = _ols(api_engine, "crosswatch", "--period", PERIOD)
    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith(f"Veille croisée {PERIOD} : {len(found['features'])} lieu(x) sur ")
    for feature in found["features"]:
        assert feature["properties"]["sentence"] in said.stdout
    assert "risque que ce soit le hasard" in said.stdout and not H3_ID.search(said.stdout)
    assert not english_codes(said.stdout), english_codes(said.stdout)
    as_json = json.loads(_ols(api_engine, "crosswatch", "--period", PERIOD, "--json").stdout)
    assert len(named_places(as_json)) == len(found["features"])


@pytest.fixture
def permutations_changed(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The permutations setting changed after the package's refreshes."""
    monkeypatch.setenv("OLS_PERMUTATIONS", "4321")
    cartography_settings.cache_clear()
    yield 4321
    monkeypatch.delenv("OLS_PERMUTATIONS")
    cartography_settings.cache_clear()


def _refreshed_with(engine: Engine) -> int:
    """The permutations the period's last refresh used (the package's 99, or the notebook's 199 when it ran first)."""
    with engine.connect() as connection:
        used = int(refresh_record(connection, parse_period(PERIOD))["method"]["permutations"])
    assert used != 4321
    return used


def test_the_method_quotes_the_permutations_of_the_refresh_not_the_setting(
    api_engine: Engine, client: TestClient, tokens: dict[str, str], permutations_changed: int
) -> None:
    now = " ".join(method_paragraphs())
    assert f"({permutations_changed:,})".replace(",", "\u202f") in now  # the setting did change
    cell = _hot_cell(api_engine)
    with api_engine.connect() as connection:
        found = explain(connection, Question(parse_period(PERIOD), cell=cell), Audience.of("t", "police"))
    method, used = " ".join(found["method"]), _refreshed_with(api_engine)
    assert f"des tirages au hasard ({used})" in method and "4321" not in method.replace("\u202f", "")
    assert any(f"({used} tirages au hasard)" in sentence for sentence in found["sentences"])
    layer = _get(client, tokens["police"], "/api/v1/hotspots", period=PERIOD, significant_only=True)
    assert isinstance(layer, dict)
    assert f"des tirages au hasard ({used})" in " ".join(layer["metadata"]["method_text"])


def test_a_map_export_quotes_the_refresh_not_the_setting(api_engine: Engine, permutations_changed: int) -> None:
    with api_engine.connect() as connection:
        pdf = render(connection, Snapshot(parse_period(PERIOD), ("heatmap", "zones")), Audience.of("t", "police"),
                     image_format="pdf")  # fmt: skip
    words = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert f"tirages au hasard ({_refreshed_with(api_engine)})" in words, words[-600:]
    assert f"tirages au hasard ({permutations_changed:,})".replace(",", "\u202f") in one_line()


def test_the_veille_croisee_of_a_police_tied_to_a_territory_stays_in_it(
    client: TestClient, tokens: dict[str, str], scoped_tokens: dict[str, str], api_engine: Engine
) -> None:
    everywhere = _get(client, tokens["coordinator"], "/api/v1/crosswatch", period=PERIOD)
    own = _get(client, scoped_tokens["police-neighbour"], "/api/v1/crosswatch", period=PERIOD)
    assert isinstance(everywhere, dict) and isinstance(own, dict)
    assert 0 < own["metadata"]["cells"] < everywhere["metadata"]["cells"]  # its study area is its commune's
    inside = outline(api_engine, NEIGHBOUR).buffer(0.002)  # an edge hexagon may pass the outline by a little
    assert all(inside.contains(shape(f["geometry"])) for f in own["features"])
    assert not {f["properties"]["name"] for f in own["features"]} & {
        f["properties"]["name"] for f in everywhere["features"] if not inside.intersects(shape(f["geometry"]))
    }
