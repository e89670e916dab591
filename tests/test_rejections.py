"""Every rejection reason, named with its line and column; nothing read is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, text

from etl.batches import rejected_rows
from etl.ingest import ingest_file
from etl.mapping import load_mapping
from etl.verdicts import REASONS
from ols.reference.places import save_places
from tests.helpers import add_territory, count, write_csv

MONS = (3.09, 50.63, 3.13, 50.65)
LONLAT_MAPPING = {
    "name": "test_lonlat",
    "format": "csv",
    "csv": {"delimiter": ";", "encoding": "cp1252", "decimal": ","},
    "ref": "ref",
    "label": "nature",
    "date": {"column": "date", "formats": ["%d/%m/%Y"], "time_column": "heure"},
    "location": {"type": "lonlat", "lon": "lon", "lat": "lat"},
    "attributes": ["suite"],
    "categories": {"Vol à la roulotte": "theft_from_vehicle", "Tags": "graffiti"},
}


def _mapping(tmp_path: Path, spec: dict[str, object], name: str = "mapping.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def _row(**cells: str) -> dict[str, str]:
    base = {
        "ref": "",
        "nature": "Tags",
        "date": "05/03/2024",
        "heure": "21:30",
        "lon": "3,11",
        "lat": "50,64",
        "suite": "Rappel à l'ordre",
    }
    return base | cells


def test_each_reason_on_its_line_and_column(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, MONS)
    rows = [
        _row(ref="A1"),
        _row(ref="A2", nature=""),
        _row(ref="A3", nature="Vol de bicyclette"),
        _row(ref="A4", date=""),
        _row(ref="A5", date="32/13/2024"),
        _row(ref="A6", heure="25h99"),
        _row(ref="A7", date="01/01/2099"),
        _row(ref="A8", date="01/01/1970"),
        _row(ref="A9", lon="", lat=""),
        _row(ref="A10", lon="trois", lat="50,64"),
        _row(ref="A11", lon="3,06", lat="50,63"),
        _row(ref="A12", nature="Vol à la roulotte", heure=""),
    ]
    path = write_csv(tmp_path / "pm.csv", rows, sep=";", encoding="cp1252")
    report = ingest_file(
        engine,
        path,
        source_code="police-municipale",
        mapping=load_mapping(_mapping(tmp_path, LONLAT_MAPPING)),
    )
    assert report.rejected_by_reason == {
        "missing_label": 1,
        "unknown_label": 1,
        "missing_date": 1,
        "invalid_date": 2,
        "impossible_date": 2,
        "missing_coordinates": 1,
        "invalid_coordinates": 1,
        "outside_territory": 1,
    }
    assert (report.rows_read, report.accepted, report.duplicates) == (12, 2, 0)
    with engine.connect() as connection:
        frame = rejected_rows(connection, report.batch_id)
        precisions = connection.execute(text("SELECT partner_ref, time_precision FROM event ORDER BY line")).all()
    by_line = frame.set_index("ligne")
    assert by_line.loc[3, "motif"] == "missing_label"
    assert by_line.loc[4, ["motif", "colonne"]].tolist() == ["unknown_label", "nature"]
    assert "Vol de bicyclette" in by_line.loc[4, "message"]
    assert by_line.loc[7, ["motif", "colonne"]].tolist() == ["invalid_date", "heure"]
    assert by_line.loc[12, "motif"] == "outside_territory"
    assert by_line.loc[11, "ref"] == "A10"  # the partner's own cells come back with the reason
    assert precisions == [("A1", "minute"), ("A12", "day")]


def test_geocoding_and_place_reasons(engine: Engine, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    add_territory(engine, MONS, insee="59410")
    with engine.begin() as connection:
        save_places(
            connection,
            gpd.GeoDataFrame({"name": ["MAIRIE DE MONS"]}, geometry=[Point(3.1098, 50.6423)], crs=4326),
            kind="metro",
        )
    place_spec = dict(
        LONLAT_MAPPING,
        name="test_place",
        location={"type": "place", "place": "station", "place_kind": "metro", "precision": "zone"},
    )
    rows = [_row(ref="P1", station="Mairie de Mons"), _row(ref="P2", station="Station Fantôme")]
    path = write_csv(tmp_path / "transport.csv", rows, sep=";", encoding="cp1252")
    report = ingest_file(engine, path, source_code="transport", mapping=load_mapping(_mapping(tmp_path, place_spec)))
    assert report.rejected_by_reason == {"unknown_place": 1}

    address_spec = dict(LONLAT_MAPPING, name="test_address", location={"type": "address", "address": "adresse"})
    path = write_csv(
        tmp_path / "bailleur.csv", [_row(ref="B1", adresse="1 rue Nulle Part")], sep=";", encoding="cp1252"
    )
    report = ingest_file(engine, path, source_code="mediation", mapping=load_mapping(_mapping(tmp_path, address_spec)))
    assert report.rejected_by_reason == {"geocoding_failed": 1}


def test_nominative_data_is_named_by_its_column_and_masked(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, MONS)
    rows = [
        _row(ref="N1"),
        _row(ref="N2", suite="Rappel à l'ordre à Jean DUPONT"),
        _row(ref="N3", suite="06 12 34 56 78"),
    ]
    path = write_csv(tmp_path / "pm.csv", rows, sep=";", encoding="cp1252")
    mapping = load_mapping(_mapping(tmp_path, LONLAT_MAPPING))
    report = ingest_file(engine, path, source_code="police-municipale", mapping=mapping)
    assert (report.accepted, report.rejected_by_reason) == (1, {"nominative_data": 2})
    with engine.connect() as connection:
        by_line = rejected_rows(connection, report.batch_id).set_index("ligne")
    assert by_line.loc[3, ["motif", "colonne", "suite"]].tolist() == [
        "nominative_data",
        "suite",
        "Rappel à l'ordre à [masqué]",
    ]
    assert by_line.loc[4, "message"] == "donnée nominative (des numéros de téléphone) dans « suite » : valeur masquée"


def test_all_reasons_are_covered_by_the_suite() -> None:
    covered = {
        "missing_label",
        "unknown_label",
        "nominative_data",
        "missing_date",
        "invalid_date",
        "impossible_date",
        "missing_coordinates",
        "invalid_coordinates",
        "outside_territory",
        "unknown_place",
        "geocoding_failed",
        "malformed_row",  # these four: tests/test_bad_files.py
        "invalid_geometry",
        "too_long",
        "invalid_text",
    }
    assert covered == set(REASONS)


def test_same_fact_in_two_files_is_a_duplicate(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, MONS)
    mapping = load_mapping(_mapping(tmp_path, LONLAT_MAPPING))
    january = [_row(ref=f"R{i}", date=f"{i:02d}/01/2024") for i in range(1, 11)]
    refless = [_row(date="15/01/2024"), _row(date="15/01/2024")]
    first = write_csv(tmp_path / "jan.csv", january + refless, sep=";", encoding="cp1252")
    second = write_csv(
        tmp_path / "jan-feb.csv",
        january + refless + [_row(ref="R99", date="02/02/2024")],
        sep=";",
        encoding="cp1252",
    )
    one = ingest_file(engine, first, source_code="police-municipale", mapping=mapping)
    two = ingest_file(engine, second, source_code="police-municipale", mapping=mapping)
    assert (one.accepted, one.duplicates) == (12, 0)  # two identical ref-less rows are two facts
    assert (two.accepted, two.duplicates) == (1, 12)
    assert count(engine, "event") == 13
    other_source = ingest_file(engine, first, source_code="mediation", mapping=mapping)
    assert other_source.accepted == 12  # deduplication is within a source


def test_unknown_source_and_missing_columns_are_clear(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, MONS)
    mapping = load_mapping(_mapping(tmp_path, LONLAT_MAPPING))
    path = write_csv(tmp_path / "short.csv", [{"ref": "1", "nature": "Tags"}], sep=";")
    with pytest.raises(LookupError, match="source inconnue « nobody »"):
        ingest_file(engine, path, source_code="nobody", mapping=mapping)
    missing = "« date », « heure », « lon », « lat », « suite » attendues par la correspondance « test_lonlat »"
    with pytest.raises(ValueError, match=rf"short\.csv : les colonnes {missing} sont absentes"):
        ingest_file(engine, path, source_code="police-municipale", mapping=mapping)
    assert count(engine, "batch") == 0


def test_attributes_keep_only_declared_columns(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, MONS)
    path = write_csv(
        tmp_path / "extra.csv", [_row(ref="X1") | {"observations": "texte libre"}], sep=";", encoding="cp1252"
    )
    ingest_file(
        engine,
        path,
        source_code="police-municipale",
        mapping=load_mapping(_mapping(tmp_path, LONLAT_MAPPING)),
    )
    with engine.connect() as connection:
        attributes = connection.execute(text("SELECT attributes FROM event")).scalar_one()
    assert attributes == {"suite": "Rappel à l'ordre"}
