"""The embedded PostgreSQL + PostGIS cluster OLS starts for itself.

With no ``OLS_DATABASE_URL`` OLS keeps a private cluster: created with ``initdb`` on first use,
listening only on a unix socket inside its own data directory (no TCP port, trust
authentication protected by the directory's permissions). ``initdb`` refuses to run as root, so
when OLS runs as root the cluster belongs to the unprivileged ``postgres`` account that the
Debian packages create, and its data directory lives under ``/var/lib/ols`` (a root-owned home
is not traversable by that account); ``$OLS_HOME/cluster`` then points to it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ols.errors import ClusterError, ConfigurationError
from ols.settings import DatabaseSettings

logger = logging.getLogger(__name__)

SUPERUSER = "ols"
DATABASE = "ols"
ROOT_CLUSTERS = Path("/var/lib/ols/clusters")
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "shared_buffers": "'512MB'",
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'1GB'",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "synchronous_commit": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "jit": "off",
    "log_min_messages": "warning",
}

Status = Literal["running", "stopped", "absent"]


def find_bindir(configured: Path | None = None) -> Path:
    """Directory holding ``initdb``/``pg_ctl``: the configured one, else the newest Debian install."""
    if configured is not None:
        candidates = [configured]
    else:
        candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major_version, reverse=True)
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    msg = "PostgreSQL server binaries not found: run scripts/setup.sh or set OLS_PG_BINDIR"
    raise ConfigurationError(msg)


def _major_version(bindir: Path) -> int:
    try:
        return int(bindir.parent.name)
    except ValueError:
        return 0


@dataclass(frozen=True)
class Cluster:
    """A private PostgreSQL cluster: where it lives, who runs it, how to reach it."""

    datadir: Path
    bindir: Path
    port: int
    run_as: str | None

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Cluster:
        """The cluster belonging to ``OLS_HOME`` for the current OS user."""
        home = settings.home.expanduser().resolve()
        bindir = find_bindir(settings.pg_bindir)
        if os.geteuid() != 0:
            return cls(datadir=home / "pg", bindir=bindir, port=settings.pg_port, run_as=None)
        digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
        return cls(datadir=ROOT_CLUSTERS / digest, bindir=bindir, port=settings.pg_port, run_as="postgres")

    @property
    def socket_dir(self) -> Path:
        """The unix socket lives in the data directory, reachable only by its owner (and root)."""
        return self.datadir

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's ``ols`` database."""
        return f"postgresql+psycopg://{SUPERUSER}@/{DATABASE}?host={self.socket_dir}&port={self.port}"

    def status(self) -> Status:
        """``absent`` before ``initdb``, then ``running`` or ``stopped``."""
        if not (self.datadir / "PG_VERSION").exists():
            return "absent"
        result = self._run(["pg_ctl", "status", "-D", str(self.datadir)], check=False)
        return "running" if result.returncode == 0 else "stopped"

    def init(self, home: Path) -> None:
        """Create the data directory with ``initdb`` and write the server settings."""
        self.datadir.parent.mkdir(parents=True, exist_ok=True)
        self.datadir.mkdir(mode=0o700, exist_ok=True)
        if self.run_as is not None:
            account = pwd.getpwnam(self.run_as)
            os.chown(self.datadir, account.pw_uid, account.pw_gid)
            home.mkdir(parents=True, exist_ok=True)
            link = home / "cluster"
            if not link.exists():
                link.symlink_to(self.datadir)
        self._run(
            [
                "initdb",
                "-D",
                str(self.datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ],
        )
        logger.info("création du cluster PostgreSQL dans %s", self.datadir)
        settings = dict(SERVER_SETTINGS, unix_socket_directories=f"'{self.socket_dir}'", port=str(self.port))
        conf = "\n".join(f"{key} = {value}" for key, value in settings.items())
        self._run(["sh", "-c", f"cat >> '{self.datadir}/postgresql.conf' <<'EOF'\n{conf}\nEOF"], bin_prefix=False)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        logger.info("démarrage du cluster PostgreSQL de %s", self.datadir)
        log = self.datadir / "server.log"
        self._run(["pg_ctl", "start", "-w", "-t", "60", "-D", str(self.datadir), "-l", str(log)])

    def stop(self) -> None:
        """Stop the server (fast shutdown: open transactions roll back)."""
        logger.info("arrêt du cluster PostgreSQL de %s", self.datadir)
        self._run(["pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.datadir)])

    def remove(self, home: Path) -> None:
        """Stop the server if it runs, then delete the data directory and the link ``home`` keeps to it."""
        if self.status() == "running":
            self.stop()
        logger.info("suppression du cluster PostgreSQL de %s", self.datadir)
        shutil.rmtree(self.datadir)
        link = home / "cluster"
        if link.is_symlink() and link.resolve() == self.datadir.resolve():
            link.unlink()

    def ensure_database(self) -> None:
        """Create the ``ols`` database with PostGIS if the cluster does not have it yet."""
        exists = self._run(
            ["psql", *self._psql_target("postgres"), "-tA", "-v", f"database={DATABASE}"],
            stdin="SELECT 1 FROM pg_database WHERE datname = :'database'",
        ).stdout.strip()
        if exists != "1":
            logger.info("création de la base %s avec PostGIS", DATABASE)
            self._run(["createdb", "-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER, DATABASE])
        self._run(["psql", *self._psql_target(DATABASE), "-qc", "CREATE EXTENSION IF NOT EXISTS postgis"])

    def _psql_target(self, dbname: str) -> list[str]:
        return [
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            dbname,
            "-v",
            "ON_ERROR_STOP=1",
        ]

    def _run(
        self, args: list[str], *, check: bool = True, bin_prefix: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]] if bin_prefix else args
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, cwd="/", check=False)
        if check and result.returncode != 0:
            msg = f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
            raise ClusterError(msg)
        return result


def ensure_running(settings: DatabaseSettings) -> Cluster:
    """Create, start and prepare the embedded cluster as needed; return it ready for connections."""
    cluster = Cluster.from_settings(settings)
    state = cluster.status()
    if state == "absent":
        cluster.init(settings.home.expanduser().resolve())
    if state != "running":
        cluster.start()
    cluster.ensure_database()
    return cluster
