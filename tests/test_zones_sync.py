"""Declared zones are never lost: one absolute zones folder, a sync that deletes only with ``--prune``.

``ols zones sync`` used to read ``data/zones`` relative to the current directory: run from anywhere
else it found no file, deleted every declared zone and said "0 zones déclarées chargées". The API
wrote to ``<code>.geojson`` even when the zone lived in another file, so that a later sync brought
back the old outline (or a deleted zone).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from shapely.geometry import box
from sqlalchemy import Engine, text

from ols.cartography.zones import delete_declared, read_declared, sync_declared, write_declared

DEMO_ZONES = Path(__file__).resolve().parents[1] / "data" / "zones"
BOTH = ["DEMO-FORT", "DEMO-MONS-SART"]


def _ols(database_url: str, cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != "OLS_ZONES_DIR"}
    env.update(OLS_DATABASE_URL=database_url, OLS_HOME=str(cwd / "observatoire"), **variables)
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          check=False)  # fmt: skip


def _said(result: subprocess.CompletedProcess[str]) -> str:
    """Everything a command printed, without the spaces: rich wraps long paths even inside a word."""
    return "".join((result.stdout + result.stderr).split())


def _says(result: subprocess.CompletedProcess[str], *phrases: str) -> bool:
    """Whether the command printed every phrase (spaces and line breaks aside)."""
    return all("".join(phrase.split()) in _said(result) for phrase in phrases)


def _declared(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT code FROM zone WHERE kind = 'declared' ORDER BY code")).scalars())


def _names(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT code, name FROM zone WHERE kind = 'declared'")).all()
    return {row.code: row.name for row in rows}


def _copy(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(DEMO_ZONES / name, folder / name)
    return folder


def _with_demo_zones(engine: Engine) -> None:
    with engine.begin() as connection:
        sync_declared(connection, DEMO_ZONES)
    assert _declared(engine) == BOTH


def test_a_sync_from_another_directory_loses_no_zone(engine: Engine, database_url: str, tmp_path: Path) -> None:
    _with_demo_zones(engine)
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    missing = _ols(database_url, elsewhere, "zones", "sync")
    assert missing.returncode == 1
    assert _says(missing, f"le dossier des zones déclarées {elsewhere / 'observatoire' / 'zones'} n'existe pas",
                 "rien n'a été chargé ni supprimé")  # fmt: skip
    assert "Traceback" not in _said(missing)
    assert _declared(engine) == BOTH

    folder = _copy(tmp_path / "zones", "demo-fort.geojson", "demo-mons-sart.geojson")
    loaded = _ols(database_url, elsewhere, "zones", "sync", OLS_ZONES_DIR=str(folder))
    assert loaded.returncode == 0, loaded.stderr
    assert _says(loaded, f"2 zones déclarées chargées depuis {folder}")
    assert _declared(engine) == BOTH


def test_a_sync_that_would_delete_names_the_zones_and_waits_for_prune(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    _with_demo_zones(engine)
    folder = _copy(tmp_path / "zones", "demo-fort.geojson")
    kept = _ols(database_url, tmp_path, "zones", "sync", "--folder", str(folder))
    assert kept.returncode == 0, kept.stderr
    assert _says(kept, "1 zone(s) déclarée(s) sans fichier dans ce dossier, gardées : DEMO-MONS-SART")
    assert _says(kept, "--prune")
    assert _declared(engine) == BOTH

    pruned = _ols(database_url, tmp_path, "zones", "sync", "--folder", str(folder), "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert _says(pruned, "supprimée(s) : DEMO-MONS-SART")
    assert _declared(engine) == ["DEMO-FORT"]


def test_a_bad_zone_file_changes_nothing(engine: Engine, database_url: str, tmp_path: Path) -> None:
    _with_demo_zones(engine)
    folder = _copy(tmp_path / "zones", "demo-fort.geojson")
    (folder / "cassee.geojson").write_text('{"type": "Feature", "properties": {', encoding="utf-8")
    broken = _ols(database_url, tmp_path, "zones", "sync", "--folder", str(folder), "--prune")
    assert broken.returncode == 1
    assert _says(broken, "cassee.geojson : zone déclarée illisible") and "Traceback" not in _said(broken)
    (folder / "cassee.geojson").unlink()
    shutil.copyfile(DEMO_ZONES / "demo-fort.geojson", folder / "copie.geojson")
    twice = _ols(database_url, tmp_path, "zones", "sync", "--folder", str(folder), "--prune")
    assert twice.returncode == 1
    assert _says(twice, "copie.geojson et demo-fort.geojson déclarent tous deux la zone DEMO-FORT")
    assert _declared(engine) == BOTH


def test_the_zones_folder_is_absolute_and_shown(database_url: str, tmp_path: Path) -> None:
    relative = _ols(database_url, tmp_path, "db", "status", OLS_ZONES_DIR="data/zones")
    assert relative.returncode == 1
    assert _says(relative, "OLS_ZONES_DIR doit être un chemin absolu")
    shown = _ols(database_url, tmp_path, "db", "status")
    assert shown.returncode == 0, shown.stderr
    assert _says(shown, f"zones déclarées : {tmp_path / 'observatoire' / 'zones'} (dossier absent")


def test_an_edited_or_deleted_zone_stays_so_after_a_sync(engine: Engine, tmp_path: Path) -> None:
    folder = _copy(tmp_path / "zones", "demo-fort.geojson", "demo-mons-sart.geojson")
    redrawn = {"name": "Secteur du Fort, redessiné", "geom": box(3.1, 50.6, 3.11, 50.61)}
    fort = read_declared(folder / "demo-fort.geojson") | redrawn
    assert write_declared(folder, fort) == folder / "demo-fort.geojson"
    assert sorted(path.name for path in folder.iterdir()) == ["demo-fort.geojson", "demo-mons-sart.geojson"]
    with engine.begin() as connection:
        sync_declared(connection, folder)
    assert _names(engine)["DEMO-FORT"] == "Secteur du Fort, redessiné"

    with engine.begin() as connection:
        delete_declared(connection, folder, "DEMO-FORT")
    assert [path.name for path in folder.iterdir()] == ["demo-mons-sart.geojson"]
    with engine.begin() as connection:
        result = sync_declared(connection, folder)
    assert result.loaded == ("DEMO-MONS-SART",) and result.kept == ()
    assert _declared(engine) == ["DEMO-MONS-SART"]
    assert json.loads((folder / "demo-mons-sart.geojson").read_text(encoding="utf-8"))["type"] == "FeatureCollection"
