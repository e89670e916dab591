"""Offline geocoding against a BAN-format file, Lambert-93 conversion."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from etl.geocode import load_ban, parse_address
from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.names import fold, street_key
from tests.helpers import add_territory, write_csv

BAN_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
    "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
    "source_position;source_nom_voie;certification_commune;cad_parcelles"
)
BAN_ROWS = [
    ("59410_0001_00001", "1", "", "Rue Jean Jaurès", "3.1000", "50.6400"),
    ("59410_0001_00003", "3", "", "Rue Jean Jaurès", "3.1002", "50.6401"),
    ("59410_0001_00003_bis", "3", "bis", "Rue Jean Jaurès", "3.1003", "50.6402"),
    ("59410_0001_00005", "5", "", "Rue Jean Jaurès", "3.1004", "50.6403"),
    ("59410_0002_00010", "10", "", "Avenue du Général de Gaulle", "3.1100", "50.6450"),
]


@pytest.fixture
def ban(engine: Engine, tmp_path: Path) -> Path:
    lines = [BAN_HEADER] + [
        f"{ident};59410_0001;{number};{rep};{street};59370;59410;Mons-en-Barœul;;;;;{lon};{lat};entrée;;;"
        f"MONS EN BAROEUL;{street.upper()};commune;commune;1;"
        for ident, number, rep, street, lon, lat in BAN_ROWS
    ]
    path = tmp_path / "adresses-59.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with engine.begin() as connection:
        assert load_ban(connection, path) == len(BAN_ROWS)
    add_territory(engine, (3.09, 50.63, 3.13, 50.65), insee="59410")
    return path


def test_parse_address() -> None:
    parsed = parse_address("3 bis, r. Jean-Jaurès 59370 Mons-en-Barœul")
    assert (parsed.number, parsed.suffix, parsed.postcode) == (3, "BIS", "59370")
    assert street_key(parsed.street) == "RUE JEAN JAURES"
    assert street_key("Av. du Gal de Gaulle") == street_key("AVENUE DU GÉNÉRAL DE GAULLE") == "AVENUE GENERAL GAULLE"


@given(st.text())
def test_keys_are_idempotent_and_ascii(text_value: str) -> None:
    key = street_key(text_value)
    assert key == street_key(key)
    assert key.isascii()
    assert fold(fold(text_value)) == fold(text_value)


def test_addresses_are_geocoded_or_rejected_never_guessed(engine: Engine, ban: Path, tmp_path: Path) -> None:
    mapping_path = tmp_path / "m.yaml"
    mapping_path.write_text(
        yaml.safe_dump(
            {
                "name": "t",
                "format": "csv",
                "label": "type",
                "date": {"column": "date", "formats": ["%d/%m/%Y"]},
                "location": {"type": "address", "number": "num", "street": "voie", "postcode": "cp"},
                "categories": {"Tags": "graffiti"},
            }
        ),
        encoding="utf-8",
    )
    rows = [
        {"num": "3", "voie": "R. Jean Jaurès", "cp": "59370"},
        {"num": "3 bis", "voie": "rue jean jaures", "cp": ""},
        {"num": "99", "voie": "RUE JEAN-JAURES", "cp": "59370"},
        {"num": "10", "voie": "Av. du Gal de Gaulle", "cp": "59370"},
        {"num": "1", "voie": "Rue Inconnue", "cp": "59370"},
    ]
    path = write_csv(tmp_path / "b.csv", [row | {"type": "Tags", "date": "01/02/2024"} for row in rows])
    report = ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping_path))
    assert report.rejected_by_reason == {"geocoding_failed": 1}
    with engine.connect() as connection:
        located = connection.execute(
            text(
                "SELECT line, round(ST_X(geom)::numeric, 4), round(ST_Y(geom)::numeric, 4), location_precision "
                "FROM event ORDER BY line"
            )
        ).all()
        message = connection.execute(text("SELECT message FROM rejected_row")).scalar_one()
    assert [tuple(map(str, row)) for row in located] == [
        ("2", "3.1002", "50.6401", "address"),
        ("3", "3.1003", "50.6402", "address"),
        ("4", "3.1003", "50.6402", "street"),  # unknown number: the street's middle address, said so
        ("5", "3.1100", "50.6450", "address"),
    ]
    assert "RUE INCONNUE" in message


def test_lambert93_coordinates_are_converted(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, (2.9, 46.4, 3.2, 50.7))
    mapping_path = tmp_path / "pn.yaml"
    mapping_path.write_text(
        yaml.safe_dump(
            {
                "name": "l93",
                "format": "csv",
                "csv": {"delimiter": ";", "decimal": ","},
                "label": "nature",
                "date": {"column": "date", "formats": ["%d/%m/%Y"]},
                "location": {"type": "xy", "x": "X", "y": "Y", "crs": "EPSG:2154"},
                "categories": {"Tags": "graffiti"},
            }
        ),
        encoding="utf-8",
    )
    rows = [
        {"X": "700000", "Y": "6600000"},  # the projection's own origin: 3°E, 46.5°N
        {"X": "707780,06", "Y": "7060600,26"},  # the town hall of Mons-en-Barœul
    ]
    path = write_csv(tmp_path / "pn.csv", [row | {"nature": "Tags", "date": "01/02/2024"} for row in rows], sep=";")
    report = ingest_file(engine, path, source_code="police-nationale", mapping=load_mapping(mapping_path))
    assert report.accepted == 2
    with engine.connect() as connection:
        points = connection.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM event ORDER BY line")).all()
        postgis = connection.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) "
                "FROM ST_Transform(ST_SetSRID(ST_MakePoint(707780.06, 7060600.26), 2154), 4326) p"
            )
        ).one()
    assert points[0] == pytest.approx((3.0, 46.5), abs=1e-9)
    assert points[1] == pytest.approx(tuple(postgis), abs=1e-7)  # pyproj agrees with PostGIS's own PROJ
    assert points[1] == pytest.approx((3.1098, 50.6423), abs=1e-5)
