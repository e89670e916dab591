"""Storing files: each fact once, whatever the size of the file and the ingests running beside it; ids stable.

A file's facts go through a temporary table into ``event`` (``etl.load``). Large files take the
same path; what sets them apart is only that ``event`` is analysed after them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from alembic import command
from sqlalchemy import Connection, Engine, text

import etl.ingest
import etl.load
from etl.fingerprint import FactIds
from etl.ingest import BatchReport, ingest_file
from etl.mapping import Mapping, load_mapping
from etl.validate import file_constants, validate_chunks
from ols.store.db import alembic_config
from tests.helpers import add_territory, count, write_csv

MAPPING = {
    "name": "t",
    "format": "csv",
    "label": "nature",
    "date": {"column": "date", "formats": ["%Y-%m-%d %H:%M:%S"]},
    "location": {"type": "lonlat", "lon": "lon", "lat": "lat"},
    "categories": {"Tags": "graffiti", "Cambriolage": "residential_burglary"},
}
TABLES = ("batch", "event", "rejected_row")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "large" file (analysed after it) is 100 rows or more, read 30 rows at a time after a first chunk of 7."""
    monkeypatch.setattr(etl.load, "ANALYZE_MIN_ROWS", 100)
    monkeypatch.setattr(etl.ingest, "FIRST_CHUNK_ROWS", 7)
    monkeypatch.setattr(etl.ingest, "CHUNK_ROWS", 30)


def _rows(count_: int, *, seed: int = 1) -> list[dict[str, str]]:
    """Facts with a few unknown labels, and identical rows (distinct facts) across chunk boundaries."""
    rng = np.random.default_rng(seed)
    rows = [
        {
            "nature": "Tags" if i % 9 else "???",
            "date": f"2024-0{1 + i % 9}-1{i % 10} 2{i % 4}:{10 + i % 50}:00",
            "lon": f"{3.1 + rng.uniform(0, 0.05):.6f}",
            "lat": f"{50.6 + rng.uniform(0, 0.05):.6f}",
        }
        for i in range(count_)
    ]
    for copy, original in ((35, 2), (36, 2), (100, 50)):
        if copy < count_:
            rows[copy] = dict(rows[original])
    return rows


def _known(rows: list[dict[str, str]]) -> int:
    return sum(row["nature"] == "Tags" for row in rows)


def _setup(engine: Engine, tmp_path: Path) -> Path:
    add_territory(engine, (3.0, 50.0, 3.5, 51.0))
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING), encoding="utf-8")
    return mapping


def _relations(engine: Engine) -> list[str]:
    """Every table, index and sequence of the database (temporary ones included), by schema."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
                    "ORDER BY 1"
                )
            ).scalars()
        )


def _partitions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = CAST('event' AS regclass) ORDER BY 1"
                )
            ).scalars()
        )


@pytest.mark.usefixtures("small_chunks")
def test_a_large_file_is_stored_once_then_analysed(engine: Engine, tmp_path: Path) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(240)
    path = write_csv(tmp_path / "large.csv", rows)
    before = _relations(engine)
    report = ingest_file(engine, path, source_code="mediation", mapping=mapping)
    known = _known(rows)
    assert (report.rows_read, report.accepted, report.duplicates, report.rejected) == (240, known, 0, 240 - known)
    assert report.rejected_by_reason == {"unknown_label": 240 - known}
    assert _relations(engine) == before  # no table of its own, nothing left behind
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(DISTINCT id) FROM event")).scalar_one() == known
        analysed = connection.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = 'event'"))
        assert analysed.scalar_one() >= 10  # the refresh that follows gets row counts and value spreads
    again = ingest_file(engine, path, source_code="mediation", mapping=mapping)
    assert again.already_ingested
    assert [count(engine, table) for table in TABLES] == [1, known, 240 - known]


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("size", [40, 240])  # a small file, a large one (analysed after)
def test_values_a_file_shares_are_sent_once_as_defaults_and_not_left_behind(
    engine: Engine, tmp_path: Path, size: int
) -> None:
    add_territory(engine, (3.0, 50.0, 3.5, 51.0), insee="59410")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump({**MAPPING, "categories": {"Tags": "graffiti", "???": "deal_point_report"}}))
    loaded = load_mapping(mapping)
    with engine.connect() as connection:
        context = etl.ingest.load_context(connection, loaded)
    assert file_constants(loaded, context) == {
        "territory_id": context.territories[0].id,
        "commune_insee": "59410",
        "time_precision": "minute",
        "location_precision": "exact",
        "measure": "facts",  # every label of the file counts facts (issue 13)
    }
    rows = _rows(size)
    report = ingest_file(engine, write_csv(tmp_path / "f.csv", rows), source_code="mediation", mapping=loaded)
    assert report.rejected == 0
    with engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT e.source_id = s.id, e.batch_id, e.territory_id, e.commune_insee, e.time_precision, "
                "e.location_precision, e.confidentiality, count(*) FROM event e JOIN source s ON s.code = 'mediation' "
                "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 7"
            )
        ).all()
        defaults = connection.execute(
            text(
                "SELECT DISTINCT a.attname FROM pg_attrdef d JOIN pg_attribute a ON (a.attrelid, a.attnum) = "
                "(d.adrelid, d.adnum) JOIN pg_class c ON c.oid = d.adrelid WHERE c.relname LIKE 'event%'"
            )
        ).scalars()
        assert list(defaults) == ["attributes"]
    territory = context.territories[0].id
    deal_reports = sum(row["nature"] == "???" for row in rows)
    assert [tuple(row) for row in stored] == [
        (True, report.batch_id, territory, "59410", "minute", "exact", "partners", size - deal_reports),
        (True, report.batch_id, territory, "59410", "minute", "exact", "police", deal_reports),
    ]


def test_rows_keep_their_own_values_where_a_file_does_not_share_them(engine: Engine, tmp_path: Path) -> None:
    add_territory(engine, (3.0, 50.0, 3.125, 51.0), code="A", insee="59001")
    add_territory(engine, (3.125, 50.0, 3.5, 51.0), code="B", insee="59002")
    mapping = tmp_path / "m.yaml"
    date = {"column": "date", "formats": ["%Y-%m-%d"], "time_column": "heure", "time_formats": ["%H:%M"]}
    spec = {**MAPPING, "date": date}
    mapping.write_text(yaml.safe_dump(spec))
    loaded = load_mapping(mapping)
    with engine.connect() as connection:
        assert file_constants(loaded, etl.ingest.load_context(connection, loaded)) == {
            "location_precision": "exact",
            "measure": "facts",
        }
    rows = [{**row, "date": row["date"][:10], "heure": "" if i % 2 else "21:30"} for i, row in enumerate(_rows(40))]
    ingest_file(engine, write_csv(tmp_path / "f.csv", rows), source_code="mediation", mapping=loaded)
    with engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT t.code, e.commune_insee, e.time_precision, count(*) FROM event e "
                "JOIN territory t ON t.id = e.territory_id GROUP BY 1, 2, 3 ORDER BY 1, 3"
            )
        ).all()
    assert {(code, insee, precision) for code, insee, precision, _ in stored} == {
        ("A", "59001", "day"),
        ("A", "59001", "minute"),
        ("B", "59002", "day"),
        ("B", "59002", "minute"),
    }


@pytest.mark.usefixtures("small_chunks")
def _meeting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingests meet before storing their facts: both store at once, unless one already waits for the other."""
    together = threading.Barrier(2)
    store = etl.ingest.store_facts

    def meeting(connection: Connection) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=3)
        return store(connection)

    monkeypatch.setattr(etl.ingest, "store_facts", meeting)


def _at_once(engine: Engine, mapping: Mapping, files: list[tuple[Path, str]]) -> list[BatchReport]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda item: ingest_file(engine, item[0], source_code=item[1], mapping=mapping), files))


@pytest.mark.usefixtures("small_chunks")
def test_two_large_files_ingested_at_once_both_land(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    _meeting(monkeypatch)
    files = [
        (write_csv(tmp_path / f"{code}.csv", _rows(240, seed=seed)), code)
        for seed, code in ((1, "mediation"), (2, "transport"))
    ]
    reports = _at_once(engine, mapping, files)
    assert [r.accepted for r in reports] == [_known(_rows(240, seed=seed)) for seed in (1, 2)]
    assert count(engine, "event") == sum(r.accepted for r in reports)


def test_two_files_sharing_facts_ingested_at_once_store_each_fact_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files list the same facts in opposite orders: inserted in file order, the ingests would deadlock."""
    mapping = load_mapping(_setup(engine, tmp_path))
    _meeting(monkeypatch)
    rows = _rows(3000)  # long enough an insert for the two to overlap
    files = [
        (write_csv(tmp_path / "a.csv", rows), "mediation"),
        (write_csv(tmp_path / "b.csv", rows[::-1] + _rows(30, seed=2)), "mediation"),
    ]
    first, second = _at_once(engine, mapping, files)
    known, extra = _known(rows), _known(_rows(30, seed=2))
    assert first.accepted + second.accepted == known + extra
    assert first.duplicates + second.duplicates == known
    assert count(engine, "event") == known + extra


@pytest.mark.usefixtures("small_chunks")
def test_the_same_file_ingested_twice_at_once_is_one_batch(engine: Engine, tmp_path: Path) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    path = write_csv(tmp_path / "f.csv", _rows(240))
    reports = _at_once(engine, mapping, [(path, "mediation"), (path, "mediation")])
    assert sorted(r.already_ingested for r in reports) == [False, True]
    assert reports[0].batch_id == reports[1].batch_id
    assert {r.accepted + r.duplicates for r in reports} == {_known(_rows(240))}
    assert [count(engine, table) for table in TABLES] == [1, _known(_rows(240)), 240 - _known(_rows(240))]


@pytest.mark.usefixtures("small_chunks")
def test_facts_already_stored_are_duplicates(engine: Engine, tmp_path: Path) -> None:
    """A second large file repeating stored facts, then a small one: both count them as duplicates."""
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(240)
    first = ingest_file(engine, write_csv(tmp_path / "a.csv", rows), source_code="mediation", mapping=mapping)
    extra = _rows(60, seed=2)
    overlap = ingest_file(
        engine, write_csv(tmp_path / "b.csv", rows[:150] + extra), source_code="mediation", mapping=mapping
    )
    assert (overlap.accepted, overlap.duplicates) == (_known(extra), _known(rows[:150]))
    small = ingest_file(engine, write_csv(tmp_path / "c.csv", rows[:40]), source_code="mediation", mapping=mapping)
    assert (small.accepted, small.duplicates, small.rejected) == (0, _known(rows[:40]), 40 - _known(rows[:40]))
    assert count(engine, "event") == first.accepted + overlap.accepted


@pytest.mark.usefixtures("small_chunks")
def test_a_failed_large_ingest_leaves_the_database_as_it_was(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    path = write_csv(tmp_path / "large.csv", _rows(240))
    before = _relations(engine)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(etl.ingest, "insert_rejected", interrupted)  # after the facts were inserted
    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, path, source_code="mediation", mapping=mapping)
    assert [count(engine, table) for table in TABLES] == [0, 0, 0]
    assert _relations(engine) == before


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("failing_chunk", [0, 6])  # before any row was sent; after most were
def test_an_error_while_rows_stream_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_chunk: int
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    before = _relations(engine)

    def failing(*args: Any, **kwargs: Any) -> Iterator[object]:
        for number, item in enumerate(validate_chunks(*args, **kwargs)):
            if number == failing_chunk:
                msg = "disk full"
                raise OSError(msg)
            yield item

    monkeypatch.setattr(etl.ingest, "validate_chunks", failing)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(engine, write_csv(tmp_path / "large.csv", _rows(240)), source_code="mediation", mapping=mapping)
    assert [count(engine, table) for table in TABLES] == [0, 0, 0]
    assert _relations(engine) == before


KILLED_INGEST = """
import os, sys, time
from pathlib import Path
from sqlalchemy import create_engine
import etl.ingest
from etl.ingest import ingest_file
from etl.mapping import load_mapping

etl.ingest.FIRST_CHUNK_ROWS, etl.ingest.CHUNK_ROWS = 7, 30

def stop_midway(step, done, total):
    if step == "Validation" and done < total:
        print("streaming", flush=True)
        time.sleep(600)

engine = create_engine(sys.argv[1], connect_args={"application_name": "ols-killed-ingest"})
ingest_file(engine, Path(sys.argv[2]), source_code="mediation", mapping=load_mapping(Path(sys.argv[3])),
            progress=stop_midway)
"""


def _wait_until_gone(engine: Engine, application: str) -> None:
    """Wait for the server to notice its client died and end its session (rolling its transaction back)."""
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"), {"a": application}
        ).scalar_one():
            assert time.monotonic() < deadline, "the killed ingest's session is still open"
            time.sleep(0.1)


@pytest.mark.usefixtures("small_chunks")
def test_a_killed_ingest_leaves_the_database_as_it_was(engine: Engine, database_url: str, tmp_path: Path) -> None:
    mapping_path = _setup(engine, tmp_path)
    path = write_csv(tmp_path / "large.csv", _rows(240))
    before = _relations(engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST, database_url, str(path), str(mapping_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    ) as ingest:
        assert ingest.stdout is not None
        assert ingest.stdout.readline().strip() == "streaming"  # its batch row written, its facts half sent
        os.kill(ingest.pid, signal.SIGKILL)
    _wait_until_gone(engine, "ols-killed-ingest")
    assert [count(engine, table) for table in TABLES] == [0, 0, 0]
    assert _relations(engine) == before
    report = ingest_file(engine, path, source_code="mediation", mapping=load_mapping(mapping_path))
    assert report.accepted == _known(_rows(240))


def test_ids_do_not_depend_on_how_the_file_is_cut() -> None:
    rng = np.random.default_rng(0)
    size = 5000
    rows = pd.DataFrame(
        {
            "category": rng.choice(["graffiti", "residential_burglary"], size),
            "occurred_epoch": rng.integers(0, 4, size),
            "lon": rng.integers(0, 3, size) * 0.5,
            "lat": np.zeros(size),
            "partner_ref": [""] * size,
        }
    )
    whole = FactIds("pm")(rows)
    cut = FactIds("pm")
    pieces = [cut(rows.iloc[start : start + 700].reset_index(drop=True)) for start in range(0, size, 700)]
    for half in (0, 1):
        assert (np.concatenate([piece[half] for piece in pieces]) == whole[half]).all()
    assert not pd.DataFrame({"high": whole[0], "low": whole[1]}).duplicated().any()  # identical rows, distinct ids


def test_a_fact_keeps_its_id_whether_or_not_its_file_repeats_rows() -> None:
    rows = pd.DataFrame(
        {
            "category": ["graffiti", "graffiti", "graffiti"],
            "occurred_epoch": [10, 20, 20],
            "lon": [3.1, 3.2, 3.2],
            "lat": [50.6, 50.6, 50.6],
            "partner_ref": ["", "", ""],
        }
    )
    among_repeats = FactIds("pm")(rows)
    for row in (0, 1):  # a fact alone in its file, and the first of two identical rows
        alone = FactIds("pm")(rows.iloc[row : row + 1].reset_index(drop=True))
        assert (alone[0][0], alone[1][0]) == (among_repeats[0][row], among_repeats[1][row])
    assert among_repeats[0][2] != among_repeats[0][1]


def test_a_reference_seen_earlier_in_the_file_is_a_duplicate() -> None:
    rows = pd.DataFrame(
        {
            "category": ["graffiti"] * 4,
            "occurred_epoch": [1, 2, 3, 4],
            "lon": [3.1] * 4,
            "lat": [50.6] * 4,
            "partner_ref": ["A", "B", "A", ""],
        }
    )
    ids = FactIds("pm")
    assert ids(rows.iloc[:2])[2].tolist() == [True, True]
    assert ids(rows.iloc[2:].reset_index(drop=True))[2].tolist() == [False, True]


def _primary_key(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'event_pkey'")
            ).scalar_one()
        )


@pytest.mark.usefixtures("small_chunks")
def test_the_fact_key_migration_goes_down_to_batch_partitions_and_back(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(240)
    ingest_file(engine, write_csv(tmp_path / "f.csv", rows), source_code="mediation", mapping=mapping)
    assert _primary_key(engine) == "PRIMARY KEY (source_id, id)"
    assert _partitions(engine) == []
    config = alembic_config(database_url)
    command.downgrade(config, "0008")
    assert _partitions(engine) == ["event_default"]
    assert _primary_key(engine) == "PRIMARY KEY (id, batch_id, line)"
    assert count(engine, "event") == _known(rows)
    command.downgrade(config, "0006")
    assert _primary_key(engine) == "PRIMARY KEY (id, batch_id)"
    command.upgrade(config, "head")
    assert _primary_key(engine) == "PRIMARY KEY (source_id, id)"
    assert count(engine, "event") == _known(rows)


def test_the_fact_key_migration_keeps_one_row_of_a_fact_stored_twice(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Under the batch key, two batches could store one fact: the first row stays, the other is a duplicate."""
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(40)
    first = ingest_file(engine, write_csv(tmp_path / "a.csv", rows), source_code="mediation", mapping=mapping)
    config = alembic_config(database_url)
    command.downgrade(config, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO batch (source_id, sha256, filename, mapping_name, mapping, ingested_by, rows_read, "
                "accepted, duplicates, rejected) SELECT source_id, 'again', 'b.csv', 't', '{}', 'x', 3, 3, 0, 0 "
                "FROM batch"
            )
        )
        connection.execute(
            text(
                "INSERT INTO event SELECT e.id, e.source_id, b.id, e.territory_id, e.category, e.family, e.raw_label, "
                "e.occurred_at, e.time_precision, e.geom, e.location_precision, e.h3_r8, e.h3_r9, e.h3_r10, "
                "e.commune_insee, e.partner_ref, e.confidentiality, e.line, e.attributes "
                "FROM event e JOIN batch b ON b.sha256 = 'again' ORDER BY e.line LIMIT 3"
            )
        )
    assert count(engine, "event") == first.accepted + 3
    command.upgrade(config, "head")
    assert count(engine, "event") == first.accepted
    with engine.connect() as connection:
        batches = connection.execute(text("SELECT sha256 = 'again', accepted, duplicates FROM batch ORDER BY id")).all()
    assert [tuple(b) for b in batches] == [(False, first.accepted, 0), (True, 0, 3)]


def test_the_partition_migration_keeps_the_events(engine: Engine, database_url: str, tmp_path: Path) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(40)
    ingest_file(engine, write_csv(tmp_path / "f.csv", rows), source_code="mediation", mapping=mapping)
    config = alembic_config(database_url)
    command.downgrade(config, "0005")
    assert _partitions(engine) == []
    assert count(engine, "event") == _known(rows)
    command.upgrade(config, "head")
    assert _primary_key(engine) == "PRIMARY KEY (source_id, id)"
    assert count(engine, "event") == _known(rows)


def test_fact_ids_are_stable_across_versions() -> None:
    """Stored ids must not change with the code: a partner's next export must find its facts again."""
    rows = pd.DataFrame(
        {
            "category": ["graffiti", "residential_burglary"],
            "occurred_epoch": [1_700_000_000, 1_700_003_600],
            "lon": [3.123456, 3.1],
            "lat": [50.654321, 50.6],
            "partner_ref": ["", "PV-42"],
        }
    )
    high, low, _ = FactIds("police-municipale")(rows)
    ids = [f"{h:016x}{lo:016x}" for h, lo in zip(high, low, strict=True)]
    assert ids == ["e7b9666794178e2757da9e5d006cc321", "36d4ed9e622f6954a91b4628f8bdd4c6"]


def test_iso_dates_take_the_fast_path_and_impossible_ones_still_fall_out(engine: Engine, tmp_path: Path) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = [
        {"nature": "Tags", "date": "2024-03-10 21:15:00", "lon": "3.1", "lat": "50.6"},
        {"nature": "Tags", "date": "2024-07-01 08:00:00", "lon": "3.2", "lat": "50.6"},
    ]
    clean = ingest_file(engine, write_csv(tmp_path / "iso.csv", rows), source_code="mediation", mapping=mapping)
    assert clean.accepted == 2
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM event ORDER BY 1")
        ).scalars()
        assert list(stored) == ["2024-03-10 20:15", "2024-07-01 06:00"]  # Paris winter and summer time
    rows.append({"nature": "Tags", "date": "2024-02-30 10:00:00", "lon": "3.3", "lat": "50.6"})
    mixed = ingest_file(engine, write_csv(tmp_path / "mixed.csv", rows), source_code="mediation", mapping=mapping)
    assert (mixed.accepted, mixed.duplicates, mixed.rejected_by_reason) == (0, 2, {"invalid_date": 1})
