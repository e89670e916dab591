"""Places of any kind: the controlled list of kinds, files of one or several kinds, and a patrol rule per kind."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.errors import InvalidInputError
from ols.patrols.candidates import from_observatory
from ols.patrols.planning import parse_window
from ols.periods import parse_period
from ols.reference.places import PLACE_KINDS, place_kind, save_places
from ols.settings import database_settings
from tests.helpers import add_territory, run_cli

BOUNDS = (2.95, 50.58, 3.05, 50.63)
PLACES = {  # name: kind, all inside BOUNDS
    "École Jules Ferry": "school", "Collège Descartes": "college", "Arrêt Gare": "bus_stop", "Parc du Château": "park",
    "Boulangerie du centre": "commerce", "Marché de la place": "market", "Hall 12 résidence des Sarts": "bailleur_hall",
    "Hôtel de ville": "town_hall", "Caméra place": "camera",
}  # fmt: skip


def _feature(name: str, kind: str, index: int) -> dict[str, object]:
    point = {"type": "Point", "coordinates": [2.96 + index * 0.008, 50.60]}
    return {"type": "Feature", "geometry": point, "properties": {"nom": name, "type": kind}}


def test_a_kind_is_a_code_or_its_french_label_and_anything_else_is_refused_with_the_list() -> None:
    assert place_kind("Collège") == "college" and place_kind("arrêt de bus") == "bus_stop"
    assert place_kind("bus_stop") == "bus_stop" and place_kind("HALL DE BAILLEUR") == "bailleur_hall"
    with pytest.raises(InvalidInputError) as refused:
        place_kind("station")
    assert "type de lieu inconnu : « station »" in str(refused.value)
    assert all(label in str(refused.value) for label in PLACE_KINDS.values())


def test_cli_loads_a_file_of_several_kinds_and_refuses_it_whole_for_one_unknown_kind(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.setenv("OLS_DATABASE_URL", database_url)
    database_settings.cache_clear()
    features = [_feature(name, kind, i) for i, (name, kind) in enumerate(PLACES.items())]
    good = tmp_path / "lieux.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    bad = tmp_path / "mauvais.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [*features, _feature("X", "kiosque", 0)]}),
                   encoding="utf-8")  # fmt: skip
    shops = tmp_path / "commerces.gpkg"
    gpd.GeoDataFrame({"nom": ["Tabac", "Pharmacie"]}, geometry=[Point(2.97, 50.61), Point(2.98, 50.61)],
                     crs=4326).to_crs(2154).to_file(shops, driver="GPKG")  # fmt: skip
    try:
        status, _, err = run_cli("places", "load", str(bad), "--kind-field", "type", "--name-column", "nom")
        assert status != 0 and "type de lieu inconnu : « kiosque »" in err
        status, out, err = run_cli("places", "load", str(good), "--kind-field", "type", "--name-column", "nom")
        assert status == 0, err
        assert "9 lieux chargés" in out and "collège : 1" in out and "hall de bailleur : 1" in out
        status, out, err = run_cli("places", "load", str(shops), "--kind", "commerce", "--name-column", "nom")
        assert status == 0 and "2 lieux chargés (commerce : 2)" in out, err
        status, _, err = run_cli("places", "load", str(shops), "--name-column", "nom")
        assert status != 0 and "--kind-field" in err
    finally:
        database_settings.cache_clear()
    with engine.connect() as connection:
        kinds = dict(connection.execute(text("SELECT kind, count(*) FROM place GROUP BY kind")).all())
    assert kinds == {**dict.fromkeys(set(PLACES.values()), 1), "commerce": 3}


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("mar 16:00-18:00", {"sortie d'école", "sortie de collège", "parc ou jardin aux heures d'ouverture",
                             "commerce aux heures d'ouverture"}),
        ("sam 21:00-23:00", {"arrêt de bus en soirée", "hall de bailleur en soirée"}),
        ("dim 09:00-12:00", {"parc ou jardin aux heures d'ouverture", "marché aux heures du marché"}),
    ],
)  # fmt: skip
def test_each_kind_is_a_candidate_at_its_own_hours(engine: Engine, window: str, expected: set[str]) -> None:
    add_territory(engine, BOUNDS, code="59999", insee="59999")
    names = list(PLACES)
    points = [Point(2.96 + i * 0.008, 50.60) for i in range(len(names))]
    places = gpd.GeoDataFrame({"name": names, "kind": [PLACES[n] for n in names]}, geometry=points, crs=4326)
    with engine.begin() as connection:
        save_places(connection, places, kind_field="kind")
        found = from_observatory(connection, parse_period("2026-S1"), parse_window(window), Audience.operator())
    assert {c.reason.split(" : ")[0] for c in found} == expected
    assert all(c.reason.split(" : ")[1] in PLACES for c in found)
    with engine.begin() as connection:
        holidays = from_observatory(connection, parse_period("2026-S1"), parse_window(window), Audience.operator(),
                                    holidays=True)  # fmt: skip
    assert not any(c.reason.startswith("sortie d") for c in holidays)  # schools are closed in the holidays
