"""Large files: staged, indexed and attached as a partition of their own; ids stable across chunks."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
import yaml
from alembic import command
from sqlalchemy import Connection, Engine, text

import etl.ingest
import etl.load
from etl.fingerprint import FactIds
from etl.ingest import ingest_file
from etl.mapping import load_mapping
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


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "large" file is 100 rows or more, read 30 rows at a time (after a first chunk of 7), in leaves of 60+."""
    monkeypatch.setattr(etl.load, "PARTITION_MIN_ROWS", 100)
    monkeypatch.setattr(etl.load, "LEAF_MIN_ROWS", 60)
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


def _partitions(engine: Engine, parent: str = "event") -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = CAST(:parent AS regclass) ORDER BY 1"
                ),
                {"parent": parent},
            ).scalars()
        )


def _staged(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'ols_staging'")).scalars()
        )


@pytest.mark.usefixtures("small_chunks")
def test_a_large_file_becomes_a_partition_split_in_indexed_leaves(engine: Engine, tmp_path: Path) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(240)
    path = write_csv(tmp_path / "large.csv", rows)
    report = ingest_file(engine, path, source_code="mediation", mapping=mapping)
    known = _known(rows)
    assert (report.rows_read, report.accepted, report.duplicates, report.rejected) == (240, known, 0, 240 - known)
    assert report.rejected_by_reason == {"unknown_label": 240 - known}
    name = f"event_batch_{report.batch_id}"
    assert _partitions(engine) == [name, "event_default"]
    leaves = _partitions(engine, name)
    assert leaves == [f"{name}_{k}" for k in (1, 2, 3)]  # 240 rows in leaves of 60+: shares 3, 2, 1
    assert _staged(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() == known
        assert connection.execute(text("SELECT count(DISTINCT id) FROM event")).scalar_one() == known
        bounds = connection.execute(
            text("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = ANY(:l) ORDER BY relname"),
            {"l": leaves},
        ).scalars()
        assert list(bounds) == [
            "FOR VALUES FROM (2) TO (122)",
            "FOR VALUES FROM (122) TO (202)",
            "FOR VALUES FROM (202) TO (242)",
        ]
        for leaf in leaves:
            held = connection.execute(text(f"SELECT min(line), max(line), count(*) FROM {leaf}")).one()
            assert held[2] > 0
            indexes = connection.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"), {"t": leaf})
            definitions = " ".join(indexes.scalars())
            assert "gist (geom)" in definitions
            assert "(occurred_at)" in definitions
            assert "UNIQUE INDEX" in definitions
            kinds = connection.execute(
                text("SELECT contype FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) ORDER BY 1"), {"t": leaf}
            ).scalars()
            assert "".join(kinds) == "ccccffp"  # 3 checks + batch and line range, batch and territory keys, key
            analysed = connection.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = :t"), {"t": leaf})
            assert analysed.scalar_one() >= 10  # the refresh that follows gets row counts and value spreads
        plan = connection.execute(text(f"EXPLAIN SELECT * FROM event WHERE batch_id = {report.batch_id} AND line = 5"))
        assert f"{name}_1" in " ".join(plan.scalars())
    again = ingest_file(engine, path, source_code="mediation", mapping=mapping)
    assert again.already_ingested
    assert [count(engine, table) for table in TABLES] == [1, known, 240 - known]


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("size", [40, 240])  # a small file (temporary table), a large one (leaves)
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
        assert file_constants(loaded, etl.ingest.load_context(connection, loaded)) == {"location_precision": "exact"}
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
def test_two_large_files_ingested_at_once_both_land(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both hold their batch row when they come to take the keys: they must not deadlock."""
    mapping = load_mapping(_setup(engine, tmp_path))
    together = threading.Barrier(2)
    store = etl.load.PartitionLoad.store

    def meeting(self: etl.load.PartitionLoad, connection: Connection, *, source_id: int) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=3)  # both at this point at once, unless one waits for the other
        return store(self, connection, source_id=source_id)

    monkeypatch.setattr(etl.load.PartitionLoad, "store", meeting)
    files = [
        (write_csv(tmp_path / f"{code}.csv", _rows(240, seed=seed)), code)
        for seed, code in ((1, "mediation"), (2, "transport"))
    ]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda item: ingest_file(engine, item[0], source_code=item[1], mapping=mapping), files))
    assert sorted(len(_partitions(engine, f"event_batch_{r.batch_id}")) for r in reports) == [3, 3]
    assert count(engine, "event") == sum(r.accepted for r in reports)


def test_leaves_cover_the_lines_and_shrink_towards_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = np.arange(1_000_000) + 2
    bounds = etl.load.leaf_bounds(lines)
    assert bounds == [(2, 500_002), (500_002, 833_335), (833_335, 1_000_002)]
    assert etl.load.leaf_bounds(lines[:150_000]) == [(2, 150_002)]  # one leaf under twice the leaf size
    assert len(etl.load.leaf_bounds(lines[:250_000])) == 2
    assert etl.load.leaf_bounds(lines[::-1].copy()) == [(2, 1_000_002)]  # lines out of order: one leaf


@pytest.mark.usefixtures("small_chunks")
def test_facts_already_stored_are_duplicates_in_either_path(engine: Engine, tmp_path: Path) -> None:
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
    assert len(_partitions(engine)) == 3


@pytest.mark.usefixtures("small_chunks")
def test_a_failed_large_ingest_leaves_no_partition_nor_staging_table(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    path = write_csv(tmp_path / "large.csv", _rows(240))

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(etl.ingest, "insert_rejected", interrupted)  # after the partition was attached
    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, path, source_code="mediation", mapping=mapping)
    assert [count(engine, table) for table in TABLES] == [0, 0, 0]
    assert _partitions(engine) == ["event_default"]
    assert _staged(engine) == []


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("failing_chunk", [3, 6])  # inside the first leaf; once it is committed and indexing
def test_an_error_while_rows_stream_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_chunk: int
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))

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
    assert _partitions(engine) == ["event_default"]
    assert _staged(engine) == []


@pytest.mark.usefixtures("small_chunks")
def test_a_staging_table_left_by_a_killed_ingest_is_dropped_by_the_next(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE ols_staging.event_batch_999 (LIKE event)"))
        connection.execute(text("CREATE TABLE ols_staging.event_batch_997_2 (LIKE event)"))
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as live:  # another ingest, still running
        live.execute("SELECT pg_advisory_lock(%s, %s)", (etl.load.STAGING_LOCKS, 998))
        live.execute("CREATE TABLE ols_staging.event_batch_998 (LIKE event)")
        ingest_file(engine, write_csv(tmp_path / "large.csv", _rows(120)), source_code="mediation", mapping=mapping)
        assert _staged(engine) == ["event_batch_998"]


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


@pytest.mark.usefixtures("small_chunks")
def test_the_line_key_migration_merges_the_leaves_back_and_splits_nothing_on_the_way_up(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(240)
    report = ingest_file(engine, write_csv(tmp_path / "f.csv", rows), source_code="mediation", mapping=mapping)
    name = f"event_batch_{report.batch_id}"
    config = alembic_config(database_url)
    command.downgrade(config, "0006")
    assert _partitions(engine) == [name, "event_default"]
    assert _partitions(engine, name) == []
    assert count(engine, "event") == _known(rows)
    command.upgrade(config, "head")
    with engine.connect() as connection:
        definition = connection.execute(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'event_pkey'")
        ).scalar_one()
    assert definition == "PRIMARY KEY (id, batch_id, line)"
    assert count(engine, "event") == _known(rows)


def test_the_partition_migration_keeps_the_events(engine: Engine, database_url: str, tmp_path: Path) -> None:
    mapping = load_mapping(_setup(engine, tmp_path))
    rows = _rows(40)
    ingest_file(engine, write_csv(tmp_path / "f.csv", rows), source_code="mediation", mapping=mapping)
    config = alembic_config(database_url)
    command.downgrade(config, "0005")
    assert _partitions(engine) == []
    assert count(engine, "event") == _known(rows)
    command.upgrade(config, "head")
    assert _partitions(engine) == ["event_default"]
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
