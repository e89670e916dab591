"""One row per fact is the database's promise, not a lock of the application's.

These tests use only ``ingest_file`` and SQL, so they also run against an older ingest: there, the
first one fails (any two batches could store the same fact, and ingestion serialised them under
advisory locks) and the second blocks on the numbers another application of the database holds.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import yaml
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from tests.helpers import add_territory, count, write_csv

MAPPING = {
    "name": "t",
    "format": "csv",
    "label": "nature",
    "date": {"column": "date", "formats": ["%Y-%m-%d %H:%M:%S"]},
    "location": {"type": "lonlat", "lon": "lon", "lat": "lat"},
    "categories": {"Tags": "graffiti"},
}
ROWS = [
    {
        "nature": "Tags",
        "date": f"2024-03-{1 + i % 28:02d} 21:{i % 60:02d}:00",
        "lon": f"{3.1 + i / 1e4:.6f}",
        "lat": "50.6",
    }
    for i in range(50)
]
OTHER_APPLICATION_KEYS = range(1, 1001)  # small numbers: what another application's locks are likely keyed on


def _ingest(engine: Engine, tmp_path: Path) -> int:
    add_territory(engine, (3.0, 50.0, 3.5, 51.0))
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING), encoding="utf-8")
    report = ingest_file(
        engine, write_csv(tmp_path / "f.csv", ROWS), source_code="mediation", mapping=load_mapping(mapping)
    )
    return report.accepted


def test_the_database_refuses_a_second_row_for_a_stored_fact(engine: Engine, tmp_path: Path) -> None:
    assert _ingest(engine, tmp_path) == len(ROWS)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO batch (source_id, sha256, filename, mapping_name, mapping, ingested_by, rows_read, "
                "accepted, duplicates, rejected) SELECT source_id, 'other', 'g.csv', 't', '{}', 'x', 1, 1, 0, 0 "
                "FROM event LIMIT 1"
            )
        )
    with pytest.raises(IntegrityError, match="event_pkey"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO event SELECT e.id, e.source_id, b.id, e.territory_id, e.category, e.family, e.raw_label, "
                "e.occurred_at, e.time_precision, e.geom, e.location_precision, e.h3_r8, e.h3_r9, e.h3_r10, "
                "e.commune_insee, e.partner_ref, e.confidentiality, 99, e.attributes, e.measure "
                "FROM event e JOIN batch b ON b.sha256 = 'other' LIMIT 1"
            )
        )
    assert count(engine, "event") == len(ROWS)


def test_locks_another_application_holds_do_not_stop_an_ingest(engine: Engine, tmp_path: Path) -> None:
    """Advisory locks are keyed on bare numbers, shared by every application of the database."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    impatient = create_engine(engine.url, connect_args={"options": "-c lock_timeout=2000"})
    with psycopg.connect(url, autocommit=True) as other_application:
        for key in OTHER_APPLICATION_KEYS:
            other_application.execute("SELECT pg_advisory_lock(%s)", (key,))
        assert _ingest(impatient, tmp_path) == len(ROWS)
    impatient.dispose()
