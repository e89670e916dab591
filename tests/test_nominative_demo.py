"""No false positives on legitimate partner text: the demo's files and police.uk's real files.

After the demo's partner files are ingested, every text column of the database is searched with
the detectors, bare first name + surname included. What they catch, listed: the names of three
metro stations that honour people ("JEAN JAURES", "PRES EDGARD" and "EDGARD PISANI" in
``place.name`` and ``place.name_key``) and an IRIS named after a king ("Louis XIV" in
``sector.name``), reference tables no partner file fills; in a partner's
file a station name is a location, searched without bare names, so no row is lost to it. Nothing
a partner file brings (labels, attributes, references, rejected rows) is caught, and no row or
column is refused for nominative data. In police.uk's files, the only catch is a street
("On or near Austin Friars") in the ``Location`` attribute, which the mapping declares a column of
places (``nominative.places``): no row is lost to it either.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from etl.demo.run import run_demo
from etl.ingest import BatchReport, ingest_file
from etl.mapping import load_mapping
from tests.helpers import add_territory
from tests.stored_text import personal_data_found, text_columns

# Columns that hold what partner files bring: nothing may be caught there.
PARTNER_TEXT = {("event", "raw_label"), ("event", "partner_ref"), ("event", "attributes"), ("rejected_row", "raw"),
                ("rejected_row", "message"), ("batch", "filename")}  # fmt: skip
REFERENCE_TEXT = {("place", "name"), ("place", "name_key"), ("sector", "name")}


@pytest.fixture(scope="module")
def demo(
    template_url: str, server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, list[BatchReport]]]:
    """The demo loaded once into its own database."""
    name = f"ols_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE ols_test_template"))
    engine = create_engine(make_url(server_url).set(database=name))
    reports = run_demo(engine, out=tmp_path_factory.mktemp("demo"), seed=7, echo=lambda _: None)
    yield engine, reports
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def test_the_demo_files_lose_no_row_and_no_column_to_the_screening(demo: tuple[Engine, list[BatchReport]]) -> None:
    _, reports = demo
    assert len(reports) == 30
    assert [r.file for r in reports if "nominative_data" in r.rejected_by_reason or r.dropped_columns] == []


def test_every_text_column_after_the_demo_holds_nothing_a_partner_brought(
    demo: tuple[Engine, list[BatchReport]],
) -> None:
    engine, _ = demo
    assert set(text_columns(engine)) >= PARTNER_TEXT
    caught = personal_data_found(engine)
    in_partner_text = [hit for hit in caught if (hit[0], hit[1]) in PARTNER_TEXT]
    assert in_partner_text == [], in_partner_text
    # What is caught elsewhere, listed: the reference tables only (see the module's docstring).
    assert {(table, column) for table, column, _, _ in caught} <= REFERENCE_TEXT, caught


def test_police_uk_real_files_lose_no_row_to_the_screening(engine: Engine, shared: Path) -> None:
    files = sorted((shared / "incidents" / "police_uk_city_of_london").glob("*.csv"))
    add_territory(engine, (-0.25, 51.4, 0.7, 52.05))
    mapping = load_mapping("police_uk")
    reports = [ingest_file(engine, path, source_code="police-uk", mapping=mapping) for path in files]
    assert [r.file for r in reports if "nominative_data" in r.rejected_by_reason or r.dropped_columns] == []
    caught = {(table, column, value) for table, column, value, _ in personal_data_found(engine)}
    assert caught == {("event", "attributes", "Austin Friars")}  # the name of a street, in a column of places
