"""All-or-nothing batches and the refusal of nominative files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

import etl.ingest
from etl.ingest import ingest_file
from etl.mapping import load_mapping
from tests.helpers import add_territory, count, write_csv

MAPPING = {
    "name": "t",
    "format": "csv",
    "ref": "ref",
    "label": "nature",
    "attributes": ["observations"],
    "date": {"column": "date", "formats": ["%d/%m/%Y"]},
    "location": {"type": "lonlat", "lon": "lon", "lat": "lat"},
    "categories": {"Tags": "graffiti"},
}
TABLES = ("batch", "event", "rejected_row")


def _setup(engine: Engine, tmp_path: Path, rows: list[dict[str, str]]) -> tuple[Path, Path]:
    add_territory(engine, (3.0, 50.0, 3.5, 51.0))
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING), encoding="utf-8")
    return write_csv(tmp_path / "f.csv", rows), mapping


def _rows(count_: int, **extra: str) -> list[dict[str, str]]:
    return [
        {
            "ref": str(i),
            "nature": "Tags" if i % 10 else "??",
            "date": "01/02/2024",
            "lon": "3.1",
            "lat": "50.6",
            "observations": "RAS",
        }
        | extra
        for i in range(count_)
    ]


def test_interrupted_ingest_leaves_the_database_as_it_was(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, mapping = _setup(engine, tmp_path, _rows(200))

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(etl.ingest, "insert_rejected", interrupted)  # after the events were inserted
    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping))
    assert [count(engine, table) for table in TABLES] == [0, 0, 0]
    monkeypatch.undo()
    report = ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping))
    assert (report.accepted, report.rejected) == (180, 20)
    assert [count(engine, table) for table in TABLES] == [1, 180, 20]


@pytest.mark.parametrize(
    "columns", [["Nom", "Prénom"], ["date de naissance"], ["Téléphone", "E-mail"], ["NOM DU MIS EN CAUSE"]]
)
def test_nominative_columns_refuse_the_whole_file(engine: Engine, tmp_path: Path, columns: list[str]) -> None:
    path, mapping = _setup(engine, tmp_path, _rows(5, **dict.fromkeys(columns, "x")))
    with pytest.raises(ValueError, match="données nominatives") as refused:
        ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping))
    for column in columns:
        assert column in str(refused.value)
    assert [count(engine, table) for table in TABLES] == [0, 0, 0]


def test_contact_details_in_a_kept_column_refuse_the_file(engine: Engine, tmp_path: Path) -> None:
    """Under the ``refuse_file`` policy (by default, the row alone is rejected: tests/test_nominative_ingest.py)."""
    rows = _rows(5)
    rows[3]["observations"] = "rappeler au 06 12 34 56 78"
    path, mapping = _setup(engine, tmp_path, rows)
    mapping.write_text(yaml.safe_dump(MAPPING | {"nominative": {"policy": "refuse_file"}}), encoding="utf-8")
    with pytest.raises(ValueError, match="observations"):
        ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping))
    assert count(engine, "batch") == 0


def test_street_name_columns_are_not_mistaken_for_names(engine: Engine, tmp_path: Path) -> None:
    path, mapping = _setup(engine, tmp_path, _rows(5, **{"nom_voie": "Rue X", "Nom de la station": "Mons Sart"}))
    report = ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping))
    assert report.accepted == 4


def test_a_file_with_only_its_header_is_an_empty_batch(engine: Engine, tmp_path: Path) -> None:
    _, mapping = _setup(engine, tmp_path, [])
    path = tmp_path / "vide.csv"
    path.write_text("ref,nature,date,lon,lat,observations\n", encoding="utf-8")
    report = ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping))
    assert (report.rows_read, report.accepted, report.duplicates, report.rejected) == (0, 0, 0, 0)
    assert [count(engine, table) for table in TABLES] == [1, 0, 0]
