"""The embedded PostgreSQL + PostGIS cluster OLS starts for itself.

With no ``OLS_DATABASE_URL`` OLS keeps a private cluster: created with ``initdb`` on first use,
listening only on a unix socket inside its own data directory (no TCP port, trust
authentication protected by the directory's permissions). ``initdb`` refuses to run as root, so
when OLS runs as root the cluster belongs to the unprivileged ``postgres`` account that the
Debian packages create, and its data directory lives under ``/var/lib/ols`` (a root-owned home
is not traversable by that account); ``$OLS_HOME/cluster`` then points to it.

A cluster kept outside ``OLS_HOME`` outlives the folder: deleted, then created again at the same
path, ``OLS_HOME`` would hash to the same data directory and silently get the old facts back. So
each cluster and its ``OLS_HOME`` name each other: the data directory holds ``ols-home.json`` (the
``OLS_HOME`` it was created for and a random token), ``OLS_HOME`` holds ``cluster-id`` (the same
token). A cluster whose ``OLS_HOME`` no longer holds its token belongs to a deleted observatory: it
is never started for the new one, only destroyed (``ols db destroy --orphan``) or knowingly
adopted (``ols db adopt``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pwd
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from ols.errors import ClusterError, ConfigurationError
from ols.settings import DatabaseSettings

logger = logging.getLogger(__name__)

SUPERUSER = "ols"
DATABASE = "ols"
ROOT_CLUSTERS = Path("/var/lib/ols/clusters")
OWNER_FILE = "ols-home.json"  # in the data directory: the OLS_HOME it was created for, and its token
HOME_MARKER = "cluster-id"  # in OLS_HOME: the token of the cluster that belongs to it
HOME_LINK = "cluster"  # in OLS_HOME, as root: the link to the data directory
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
CLIENT_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


@dataclass(frozen=True)
class Owner:
    """The observatory a cluster was created for: its ``OLS_HOME`` and the token both of them keep."""

    home: Path
    token: str


def home_digest(home: Path) -> str:
    """The name of the data directory of ``home``'s cluster under :data:`ROOT_CLUSTERS` (its id)."""
    return hashlib.sha256(str(home).encode()).hexdigest()[:12]


def home_token(home: Path) -> str | None:
    """The token ``OLS_HOME`` keeps of its cluster, ``None`` when it keeps none (deleted, recreated, older OLS)."""
    try:
        return (home / HOME_MARKER).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


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
    msg = "programmes du serveur PostgreSQL absents : lancez scripts/setup.sh ou donnez leur dossier (OLS_PG_BINDIR)"
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
        return cls(datadir=ROOT_CLUSTERS / home_digest(home), bindir=bindir, port=settings.pg_port, run_as="postgres")

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
        """Create the data directory with ``initdb``, write the server settings and claim it for ``home``."""
        self.datadir.parent.mkdir(parents=True, exist_ok=True)
        self.datadir.mkdir(mode=0o700, exist_ok=True)
        if self.run_as is not None:
            account = pwd.getpwnam(self.run_as)
            os.chown(self.datadir, account.pw_uid, account.pw_gid)
            home.mkdir(parents=True, exist_ok=True)
            link = home / HOME_LINK
            if not link.is_symlink() and not link.exists():
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
        self.claim(home)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        logger.info("démarrage du cluster PostgreSQL de %s", self.datadir)
        log = self.datadir / "server.log"
        self._run(["pg_ctl", "start", "-w", "-t", "60", "-D", str(self.datadir), "-l", str(log)])

    def stop(self) -> None:
        """Stop the server (fast shutdown: open transactions roll back)."""
        logger.info("arrêt du cluster PostgreSQL de %s", self.datadir)
        self._run(["pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.datadir)])

    def remove(self, home: Path | None = None) -> None:
        """Stop the server if it runs, then delete the data directory and what ``home`` keeps of it.

        ``home`` defaults to the ``OLS_HOME`` the cluster names as its own; its link and token go
        only if they are this cluster's.
        """
        owner = self.owner()
        home = home or (owner.home if owner else None)
        if self.status() == "running":
            self.stop()
        logger.info("suppression du cluster PostgreSQL de %s", self.datadir)
        shutil.rmtree(self.datadir)
        if home is None:
            return
        link = home / HOME_LINK
        if link.is_symlink() and link.resolve() == self.datadir.resolve():
            link.unlink()
        if owner is not None and home_token(home) == owner.token:
            (home / HOME_MARKER).unlink()

    def destroy(self, home: Path | None = None, *, force: bool = False) -> None:
        """Remove the cluster for good, refusing while other sessions use it unless ``force`` cuts them."""
        if self.status() == "running" and not force:
            sessions = self.client_connections()
            if sessions:
                msg = (
                    f"la base {self.datadir} est utilisée par {sessions} connexion(s) ouverte(s) (ols serve, psql, "
                    "notebook…) : arrêtez-les d'abord, ou relancez avec --force pour les couper. "
                    "Rien n'a été supprimé."
                )
                raise ClusterError(msg)
        self.remove(home)

    def client_connections(self) -> int:
        """Sessions open on the running server other than this count's own (``ols serve``, psql, a notebook)."""
        target = self._psql_target("postgres", port=self._live_port())
        result = self._run(["psql", *target, "-tA"], stdin=CLIENT_SESSIONS)
        return int(result.stdout.strip() or 0)

    def _live_port(self) -> int:
        """The port the running server chose at start (line 4 of ``postmaster.pid``), the configured one otherwise."""
        try:
            return int((self.datadir / "postmaster.pid").read_text(encoding="utf-8").splitlines()[3])
        except (OSError, IndexError, ValueError):
            return self.port

    def owner(self) -> Owner | None:
        """The observatory this cluster was created for, ``None`` for a cluster made before the markers."""
        try:
            data = json.loads((self.datadir / OWNER_FILE).read_text(encoding="utf-8"))
            return Owner(home=Path(data["home"]), token=str(data["token"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def created(self) -> datetime | None:
        """When ``initdb`` made the cluster."""
        try:
            return datetime.fromtimestamp((self.datadir / "PG_VERSION").stat().st_mtime)
        except OSError:
            return None

    def belongs_to(self, home: Path) -> bool:
        """Whether ``home`` is the observatory this cluster was created for, and still names it."""
        if self.datadir.is_relative_to(home):  # the data lives inside OLS_HOME: deleting one deletes the other
            return True
        owner = self.owner()
        if owner is None:  # made before the markers: the link OLS_HOME keeps is the only witness
            return self._linked_from(home)
        return owner.home == home and home_token(home) == owner.token

    def check_owner(self, home: Path) -> None:
        """Refuse the data of a deleted observatory at the same path; bring older markers up to date."""
        if not self.belongs_to(home):
            raise ClusterError(self.foreign_message(home))
        if self.owner() != Owner(home=home, token=home_token(home) or ""):
            self.claim(home)

    def foreign_message(self, home: Path) -> str:
        """Why this cluster is not started for ``home``, and the two ways out."""
        owner = self.owner()
        created = self.created()
        whose = f"créée pour {owner.home}" if owner else "créée par une version antérieure d'OLS"
        when = f" le {created:%d/%m/%Y à %H:%M}" if created else ""
        return (
            f"le dossier de données {self.datadir} contient la base d'un observatoire précédent ({whose}{when}) : "
            f"{home} a été supprimé ou recréé depuis et ne la désigne plus. Rien n'a été démarré. "
            f"Pour effacer ces anciennes données : ols db destroy --orphan {self.datadir.name} ; "
            "pour les reprendre sciemment : ols db adopt"
        )

    def claim(self, home: Path) -> Owner:
        """Make this cluster and ``home`` name each other (the cluster keeps its token if it has one)."""
        current = self.owner()
        owner = Owner(home=home, token=current.token if current else uuid.uuid4().hex)
        marker = self.datadir / OWNER_FILE
        marker.write_text(json.dumps({"home": str(home), "token": owner.token}), encoding="utf-8")
        home.mkdir(parents=True, exist_ok=True)
        (home / HOME_MARKER).write_text(f"{owner.token}\n", encoding="utf-8")
        if self.run_as is not None:
            account = pwd.getpwnam(self.run_as)
            os.chown(marker, account.pw_uid, account.pw_gid)
            link = home / HOME_LINK
            if link.is_symlink() and not self._linked_from(home):
                link.unlink()
            if not link.exists() and not link.is_symlink():
                link.symlink_to(self.datadir)
        logger.info("cluster %s rattaché à %s", self.datadir, home)
        return owner

    def _linked_from(self, home: Path) -> bool:
        link = home / HOME_LINK
        return link.is_symlink() and link.resolve() == self.datadir.resolve()

    def disk_usage(self) -> int:
        """Bytes the data directory takes on disk (files vanishing while they are counted are skipped)."""
        total = 0
        for folder, _, files in os.walk(self.datadir):
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_blocks * 512
                except OSError:
                    continue
        return total

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

    def _psql_target(self, dbname: str, *, port: int | None = None) -> list[str]:
        return [
            "-h",
            str(self.socket_dir),
            "-p",
            str(port or self.port),
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
            msg = (f"{' '.join(args[:2])} a échoué (code {result.returncode}) : "
                   f"{result.stderr.strip() or result.stdout.strip()}")  # fmt: skip
            raise ClusterError(msg)
        return result


def ensure_running(settings: DatabaseSettings) -> Cluster:
    """Create, start and prepare the embedded cluster as needed; return it ready for connections.

    A cluster left by a deleted observatory at the same ``OLS_HOME`` is refused (ClusterError),
    running or not: its data are not the new observatory's.
    """
    cluster = Cluster.from_settings(settings)
    home = settings.home.expanduser().resolve()
    state = cluster.status()
    if state == "absent":
        cluster.init(home)
    else:
        cluster.check_owner(home)
    if state != "running":
        cluster.start()
    cluster.ensure_database()
    return cluster
