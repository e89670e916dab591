"""The embedded cluster and the schema."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text

from ols.settings import DatabaseSettings
from ols.store.cluster import Cluster, ensure_running
from ols.store.db import alembic_config, current_revision

ROOT = Path(__file__).resolve().parents[1]


def test_schema_is_at_head_with_postgis(engine: Engine, database_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    with engine.connect() as connection:
        assert current_revision(connection) == head
        assert connection.execute(text("SELECT postgis_lib_version()")).scalar_one().startswith("3.")
        tables = set(connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert {"event", "source", "batch", "rejected_row", "territory", "place", "address"} <= tables


def test_no_column_can_hold_a_person(engine: Engine) -> None:
    with engine.connect() as connection:
        columns = (
            connection.execute(text("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"))
            .scalars()
            .all()
        )
    forbidden = {"first_name", "last_name", "surname", "birth_date", "phone", "email", "nom", "prenom"}
    assert forbidden.isdisjoint(columns)


def test_cli_db_commands_drive_the_embedded_cluster(server_url: str) -> None:
    env = dict(os.environ, OLS_HOME=str(ROOT / ".ols" / "test"))
    env.pop("OLS_DATABASE_URL", None)
    ols = [sys.executable, "-m", "cli"]
    status = subprocess.run([*ols, "db", "status"], env=env, capture_output=True, text=True, check=True)
    assert status.stdout.startswith("en marche")
    url = subprocess.run([*ols, "db", "url"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert url.startswith("postgresql+psycopg://ols@/ols?host=")
    with create_engine(url).connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1


def test_a_removed_cluster_leaves_no_data_directory_behind(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = DatabaseSettings(home=tmp_path / "home", database_url=None, pg_port=port)
    cluster = ensure_running(settings)
    with create_engine(cluster.url).connect() as connection:
        assert connection.execute(text("SELECT postgis_lib_version() IS NOT NULL")).scalar_one()
    cluster.remove((tmp_path / "home").resolve())
    assert not cluster.datadir.exists()
    assert not (tmp_path / "home" / "cluster").exists()
    assert Cluster.from_settings(settings).status() == "absent"
