"""Removing an observatory removes its data: ``ols db destroy``, ``ols db status --all``, orphans and adoption.

As root the cluster of an ``OLS_HOME`` lives under ``/var/lib/ols/clusters/<hash of OLS_HOME>``, so
deleting the folder left the facts there and the next ``ols db start`` at the same path served them
again. Each test here runs its own observatory (an ``OLS_HOME`` under ``tmp_path``, its own port) through
the real command line, and removes its cluster at the end whatever happened; the test session's own
cluster (``.ols/test``) is only ever asked about, never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ols.settings import DatabaseSettings
from ols.store.cluster import HOME_LINK, HOME_MARKER, OWNER_FILE, Cluster, home_digest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="only root keeps a cluster outside OLS_HOME; otherwise it goes with the folder"
)


@dataclass(frozen=True)
class Observatory:
    """A throw-away observatory: its OLS_HOME, the environment of its commands and its cluster."""

    home: Path
    env: dict[str, str]
    cluster: Cluster

    def ols(self, *args: str, answer: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``ols`` for this observatory (``answer`` typed at a confirmation prompt)."""
        return subprocess.run([sys.executable, "-m", "cli", *args], env=self.env, input=answer or "",
                              capture_output=True, text=True, check=False, cwd=self.home.parent)  # fmt: skip

    def trace(self) -> str | None:
        """The note left in the database by :meth:`leave_trace`, ``None`` when the table is not there."""
        engine = create_engine(self.cluster.url, poolclass=NullPool)
        with engine.connect() as connection:
            if connection.execute(text("SELECT to_regclass('trace')")).scalar_one() is None:
                return None
            return str(connection.execute(text("SELECT note FROM trace")).scalar_one())

    def leave_trace(self) -> None:
        """A fact of the old observatory, to see whether it comes back."""
        engine = create_engine(self.cluster.url, poolclass=NullPool)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE trace (note text)"))
            connection.execute(text("INSERT INTO trace VALUES ('ancienne donnée')"))


def _said(result: subprocess.CompletedProcess[str]) -> str:
    """Everything a command printed, without the spaces: rich wraps long paths even inside a word."""
    return "".join((result.stdout + result.stderr).split())


def _says(result: subprocess.CompletedProcess[str], *phrases: str) -> bool:
    """Whether the command printed every phrase (spaces and line breaks aside)."""
    return all("".join(phrase.split()) in _said(result) for phrase in phrases)


@pytest.fixture
def observatory(tmp_path: Path) -> Iterator[Observatory]:
    """An observatory under ``tmp_path``; its cluster is removed after the test, passed or failed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    home = tmp_path / "observatoire"
    env = dict(os.environ, OLS_HOME=str(home), OLS_PG_PORT=str(port))
    for variable in ("OLS_DATABASE_URL", "OLS_ZONES_DIR"):
        env.pop(variable, None)
    cluster = Cluster.from_settings(DatabaseSettings(home=home, database_url=None, pg_port=port))
    assert cluster.datadir.parent == Path("/var/lib/ols/clusters") and not cluster.datadir.exists()
    yield Observatory(home=home, env=env, cluster=cluster)
    if cluster.datadir.exists():
        cluster.remove(home)


def test_destroy_erases_the_data_and_a_new_start_finds_an_empty_database(observatory: Observatory) -> None:
    assert observatory.ols("db", "start").returncode == 0
    observatory.leave_trace()
    status = observatory.ols("db", "status")
    assert _says(
        status, f"données : {observatory.cluster.datadir} (", f"zones déclarées : {observatory.home / 'zones'}"
    )

    refused = observatory.ols("db", "destroy", answer="/ailleurs\n")
    assert refused.returncode == 1
    assert _says(refused, "rien n'a été effacé")
    assert observatory.trace() == "ancienne donnée"

    destroyed = observatory.ols("db", "destroy", answer=f"{observatory.home}\n")
    assert destroyed.returncode == 0, destroyed.stderr
    assert _says(destroyed, f"base de l'observatoire {observatory.home} effacée")
    assert not observatory.cluster.datadir.exists()
    assert not (observatory.home / HOME_LINK).is_symlink()
    assert not (observatory.home / HOME_MARKER).exists()

    assert observatory.ols("db", "start").returncode == 0
    assert observatory.trace() is None


def test_a_deleted_observatory_is_not_served_again_and_its_orphan_is_listed_then_destroyed(
    observatory: Observatory,
) -> None:
    assert observatory.ols("db", "start").returncode == 0
    observatory.leave_trace()
    cluster_id = observatory.cluster.datadir.name
    in_use = create_engine(observatory.cluster.url, poolclass=NullPool).connect()
    try:
        shutil.rmtree(observatory.home)

        restarted = observatory.ols("db", "start")
        assert restarted.returncode == 1
        assert _says(restarted, "contient la base d'un observatoire précédent", "ols db adopt",
                     f"ols db destroy --orphan {cluster_id}")  # fmt: skip
        assert "Traceback" not in _said(restarted)
        assert observatory.ols("db", "url").returncode == 1  # no command reaches the old data
        assert not observatory.home.exists()

        listed = observatory.ols("db", "status", "--all", "--json")
        entries = {entry["id"]: entry for entry in map(json.loads, listed.stdout.splitlines())}
        assert entries[cluster_id] | {"size": 0} == {
            "id": cluster_id, "datadir": str(observatory.cluster.datadir), "home": str(observatory.home),
            "home_exists": False, "standing": "orphan", "status": "running", "size": 0,
        }  # fmt: skip
        assert entries[cluster_id]["size"] > 10_000_000
        assert _says(observatory.ols("db", "status", "--all"), cluster_id, "orphelin (supprimé)")

        busy = observatory.ols("db", "destroy", "--orphan", cluster_id, "--yes")
        assert busy.returncode == 1
        assert _says(busy, "1 connexion(s) ouverte(s)")
        assert observatory.cluster.datadir.exists()
    finally:
        in_use.close()

    mistyped = observatory.ols("db", "destroy", "--orphan", cluster_id, answer="000000000000\n")
    assert mistyped.returncode == 1 and observatory.cluster.datadir.exists()
    destroyed = observatory.ols("db", "destroy", "--orphan", cluster_id, answer=f"{cluster_id}\n")
    assert destroyed.returncode == 0, destroyed.stderr
    assert not observatory.cluster.datadir.exists()
    listed = observatory.ols("db", "status", "--all", "--json").stdout
    assert cluster_id not in listed


def test_adopt_takes_the_old_data_back_only_when_asked(observatory: Observatory) -> None:
    assert observatory.ols("db", "start").returncode == 0
    observatory.leave_trace()
    assert observatory.ols("db", "stop").returncode == 0
    shutil.rmtree(observatory.home)
    observatory.home.mkdir()  # the same folder made again, empty
    assert observatory.ols("db", "start").returncode == 1

    adopted = observatory.ols("db", "adopt")
    assert adopted.returncode == 0, adopted.stderr
    assert _says(adopted, f"rattachée à {observatory.home}")
    assert observatory.ols("db", "start").returncode == 0
    assert observatory.trace() == "ancienne donnée"


def test_a_cluster_made_before_the_markers_is_kept_by_its_link_and_refused_without_it(
    observatory: Observatory,
) -> None:
    assert observatory.ols("db", "start").returncode == 0
    (observatory.cluster.datadir / OWNER_FILE).unlink()
    (observatory.home / HOME_MARKER).unlink()
    assert observatory.ols("db", "start").returncode == 0  # the link OLS_HOME keeps is the witness
    assert (observatory.cluster.datadir / OWNER_FILE).exists() and (observatory.home / HOME_MARKER).exists()

    (observatory.cluster.datadir / OWNER_FILE).unlink()
    (observatory.home / HOME_MARKER).unlink()
    (observatory.home / HOME_LINK).unlink()
    refused = observatory.ols("db", "start")
    assert refused.returncode == 1
    assert _says(refused, "créée par une version antérieure d'OLS")


def test_the_session_cluster_and_bad_ids_are_never_destroyed_as_orphans(
    observatory: Observatory, server_url: str
) -> None:
    session_home = (ROOT / ".ols" / "test").resolve()
    session_cluster = Path("/var/lib/ols/clusters") / home_digest(session_home)
    refused = observatory.ols("db", "destroy", "--orphan", session_cluster.name, "--yes", "--force")
    assert refused.returncode == 1
    if session_cluster.exists():
        assert _says(refused, f"appartient à {session_home}")
        assert (session_cluster / "PG_VERSION").exists()
    with create_engine(server_url, poolclass=NullPool).connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    for bad in ("../clusters", "*", ""):
        assert observatory.ols("db", "destroy", "--orphan", bad, "--yes").returncode == 1
