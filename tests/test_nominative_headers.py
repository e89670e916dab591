"""Nominative headers: the 13 of the finding and their variants refuse the file, headers of places pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from etl.privacy.headers import header_key, nominative_header
from ols.errors import InvalidInputError
from tests.helpers import add_territory, count
from tests.nominative_cases import FINDING_HEADERS, HEADER_VARIANTS, INNOCENT_HEADERS, MONS, nominative_cases

TABLES = ("batch", "event", "rejected_row")


@pytest.mark.parametrize("header", FINDING_HEADERS + HEADER_VARIANTS)
def test_nominative_header_is_recognised(header: str) -> None:
    assert nominative_header(header) is not None, header_key(header)


@pytest.mark.parametrize("header", INNOCENT_HEADERS)
def test_header_of_a_place_a_number_or_a_fact_passes(header: str) -> None:
    assert nominative_header(header) is None, header_key(header)


def test_headers_are_folded_whatever_their_spelling() -> None:
    assert header_key("Né(e) le") == "NE E LE"
    assert header_key("dateNaissance_MEC") == "DATE NAISSANCE MEC"
    assert header_key("N° de téléphone") == "N DE TELEPHONE"


def _ingest(engine: Engine, path: Path, mapping: str, source: str) -> None:
    ingest_file(engine, path, source_code=source, mapping=load_mapping(mapping))


@pytest.mark.parametrize("header", FINDING_HEADERS)
def test_file_with_a_nominative_header_is_refused_whole_in_french(engine: Engine, tmp_path: Path, header: str) -> None:
    add_territory(engine, (MONS[0] - 0.05, MONS[1] - 0.05, MONS[0] + 0.05, MONS[1] + 0.05))
    name, content, expected = next(case for case in nominative_cases() if case[2].message[-1] == header)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError) as refused:
        _ingest(engine, path, expected.mapping, expected.source)
    message = str(refused.value)
    assert f"« {header} »" in message
    assert "fichier refusé, données nominatives interdites" in message
    assert "Retirez ces colonnes" in message
    assert all(value not in message for value in expected.planted)
    assert [count(engine, table) for table in TABLES] == [0, 0, 0]


def test_file_with_only_innocent_extra_headers_is_ingested(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, (MONS[0] - 0.05, MONS[1] - 0.05, MONS[0] + 0.05, MONS[1] + 0.05))
    _, content, _ = next(nominative_cases())
    lines = content.decode("cp1252").splitlines()
    header, rows = lines[0].rsplit(";", 1)[0], [line.rsplit(";", 1)[0] for line in lines[1:]]
    extra = [h for h in INNOCENT_HEADERS if h not in header.split(";")]
    text = "\n".join([";".join([header, *extra]), *(";".join([row, *("x" for _ in extra)]) for row in rows)])
    path = tmp_path / "innocent.csv"
    path.write_bytes(text.encode("cp1252"))
    report = ingest_file(engine, path, source_code="police-nationale", mapping=load_mapping("police_nationale"))
    assert (report.rows_read, report.accepted, report.rejected) == (3, 3, 0)
