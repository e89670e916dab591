"""The ``ols ingest --json`` and ``ols batches`` contracts, through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.badfiles import MONS, Maker, uk_csv
from tests.helpers import add_territory


def _ols(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, check=False)


def test_ingest_json_and_rejected_csv(engine: Engine, database_url: str, shared: Path) -> None:
    add_territory(engine, (-0.25, 51.4, 0.7, 52.05))
    files = sorted((shared / "incidents" / "police_uk_city_of_london").glob("*.csv"))[:2]
    result = _ols(database_url, "ingest", "--source", "police-uk", "--mapping", "police_uk", "--json", *map(str, files))
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == 2
    assert set(reports[0]) >= {
        "batch_id",
        "source",
        "sha256",
        "rows_read",
        "accepted",
        "duplicates",
        "rejected",
        "rejected_by_reason",
    }
    assert reports[0]["rejected_by_reason"] == {"missing_coordinates": 14}

    exported = _ols(database_url, "batches", "rejected", str(reports[0]["batch_id"]), "--csv")
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.splitlines()
    assert lines[0].startswith("\ufeffligne;motif;colonne;message;")
    assert len(lines) == 15
    listed = _ols(database_url, "batches", "list")
    assert "2017-01-city-of-london-street.csv" in listed.stdout


def test_errors_are_one_clear_line(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = _ols(database_url, "ingest", "--source", "police-uk", "--mapping", "no_such_mapping", str(path))
    assert result.returncode == 1
    assert "correspondance no_such_mapping introuvable" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["[/x]", "[bold]gras[/bold]"])
def test_an_error_is_printed_as_plain_text_never_as_markup(database_url: str, tmp_path: Path, name: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = _ols(database_url, "ingest", "--source", "police-uk", "--mapping", name, str(path))
    assert (result.returncode, "Traceback" in result.stderr) == (1, False), result.stderr
    message = " ".join(result.stderr.split())
    assert message.startswith("erreur: ") and f" {name} " in message, result.stderr


def test_file_names_and_cells_in_tables_are_printed_as_plain_text(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    add_territory(engine, MONS)
    rows = Maker(7).uk(3)
    rows[1][9] = "[/x] [bold]cambriolage"
    path = tmp_path / "[bold]export.csv"
    path.write_bytes(uk_csv(rows))
    ingested = _ols(database_url, "ingest", "--source", "police-uk", "--mapping", "police_uk", "--json", str(path))
    assert ingested.returncode == 0, ingested.stderr
    listed = _ols(database_url, "batches", "list")
    assert "[bold]export.csv" in listed.stdout, listed.stderr
    rejected = _ols(database_url, "batches", "rejected", str(json.loads(ingested.stdout)["batch_id"]))
    assert (rejected.returncode, "Traceback" in rejected.stderr) == (0, False), rejected.stderr
    assert "[/x] [bold]cambriolage" in rejected.stdout


def test_an_unreadable_boundary_file_is_named_without_a_traceback(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "contour.geojson"
    path.write_text("ceci n'est pas du GeoJSON", encoding="utf-8")
    result = _ols(database_url, "territory", "load", "--code", "T", "--name", "T", "--boundary", str(path))
    assert result.returncode == 1
    assert "contour.geojson : fichier géographique illisible" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_ingest_prints_its_counts_and_reasons_in_french(engine: Engine, database_url: str, shared: Path) -> None:
    add_territory(engine, (-0.25, 51.4, 0.7, 52.05))
    path = sorted((shared / "incidents" / "police_uk_city_of_london").glob("*.csv"))[3]
    first = _ols(database_url, "ingest", "--source", "police-uk", "--mapping", "police_uk", str(path))
    assert first.returncode == 0, first.stderr
    said = " ".join(first.stdout.split())
    assert " lignes lues, " in said and " faits, " in said and "coordonnées absentes : " in said, said
    assert "missing_coordinates" not in said and "{" not in said, said  # no reason code, no dictionary
    again = _ols(database_url, "ingest", "--source", "police-uk", "--mapping", "police_uk", str(path))
    assert "(déjà intégré : rien n'a changé)" in again.stdout and " 0 fait, " in again.stdout, again.stdout
