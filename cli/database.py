"""Commands for the database: the embedded cluster (where its data live, whose they are, erasing them) and
the schema migrations.

As root the cluster of an ``OLS_HOME`` lives outside it, under ``/var/lib/ols/clusters``: deleting the
folder does not delete the facts. ``ols db status`` therefore says where the data and the declared zones
are, ``ols db status --all`` lists every cluster of the machine with the observatory it belongs to, and
``ols db destroy`` (the current observatory, or ``--orphan`` one whose ``OLS_HOME`` is gone) erases them.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.engine import make_url

from cli.common import app, console, output
from ols.errors import InvalidInputError, NotFoundError
from ols.settings import DatabaseSettings, api_settings, database_settings
from ols.store import db
from ols.store.cluster import ROOT_CLUSTERS, Cluster, ensure_running
from ols.store.inventory import ClusterEntry, every_cluster, find_orphan

db_app = typer.Typer(help="The database: embedded cluster and schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

STATUS = {"running": "en marche", "stopped": "arrêté", "absent": "incomplet"}
STATE = {"running": "en marche", "stopped": "arrêtée", "absent": "absente"}  # the observatory's own database
UNITS = ("o", "Ko", "Mo", "Go", "To")


def size_text(size: float) -> str:
    """A size on disk as a French reader writes it (``52,3 Mo``)."""
    unit = 0
    while size >= 1024 and unit < len(UNITS) - 1:
        size, unit = size / 1024, unit + 1
    return f"{size:.0f} {UNITS[unit]}" if unit == 0 else f"{size:.1f} {UNITS[unit]}".replace(".", ",")


@db_app.command("start")
def db_start() -> None:
    """Create (first time) and start the embedded PostgreSQL + PostGIS cluster."""
    cluster = ensure_running(database_settings())
    typer.echo(f"en marche : {cluster.datadir}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    cluster = Cluster.from_settings(database_settings())
    if cluster.status() == "running":
        cluster.stop()
    typer.echo("arrêtée")


@db_app.command("status")
def db_status(
    every: Annotated[bool, typer.Option("--all", help="Tous les clusters de la machine, orphelins compris")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Avec --all : un objet JSON par cluster")] = False,
) -> None:
    """Say whether the embedded cluster is absent, stopped or running, where its data and the declared zones are."""
    settings = database_settings()
    if every:
        _status_all(settings, as_json=as_json)
        return
    if settings.database_url:
        url = make_url(settings.database_url)
        typer.echo("base sur un serveur externe (OLS_DATABASE_URL)")
        typer.echo(f"données : serveur {url.host or 'local'}:{url.port or 5432}, base {url.database}")
    else:
        _status_embedded(settings)
    zones = api_settings().zones_dir
    if zones.is_dir():
        typer.echo(f"zones déclarées : {zones} ({len(list(zones.glob('*.geojson')))} fichiers)")
    else:
        typer.echo(f"zones déclarées : {zones} (dossier absent : ols zones sync le refusera)")


def _status_embedded(settings: DatabaseSettings) -> None:
    """The current observatory's cluster: state, OLS_HOME, data directory and size, and whether it is its own."""
    home = settings.home.expanduser().resolve()
    cluster = Cluster.from_settings(settings)
    state = cluster.status()
    typer.echo(f"{STATE[state]} : {cluster.datadir}")
    typer.echo(f"observatoire (OLS_HOME) : {home}")
    if state == "absent":
        typer.echo(f"données : aucune (créées dans {cluster.datadir} au premier ols db start)")
        return
    typer.echo(f"données : {cluster.datadir} ({size_text(cluster.disk_usage())})")
    if not cluster.belongs_to(home):
        typer.echo(f"attention : {cluster.foreign_message(home)}")


def _status_all(settings: DatabaseSettings, *, as_json: bool) -> None:
    """Every cluster of the machine, the observatory it belongs to, and what to do with the orphans."""
    entries = every_cluster(settings)
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(entry.as_dict(), ensure_ascii=False))
        return
    if not entries:
        typer.echo(f"aucun cluster sous {ROOT_CLUSTERS}")
        return
    current = Cluster.from_settings(settings).datadir
    table = Table("id", "état", "observatoire (OLS_HOME)", "OLS_HOME", "taille", "données")
    for entry in entries:
        mark = " (celui-ci)" if entry.cluster.datadir == current else ""
        table.add_row(entry.id, STATUS[entry.status], str(entry.home or "?"), _standing(entry) + mark,
                      size_text(entry.size), str(entry.cluster.datadir))  # fmt: skip
    output.print(table)
    if any(entry.standing == "orphan" for entry in entries):
        typer.echo("orphelin : son OLS_HOME a été supprimé ou recréé ; ols db destroy --orphan <id> efface ses données")
    if any(entry.standing == "unknown" for entry in entries):
        typer.echo("inconnu : cluster créé avant qu'OLS note son OLS_HOME ; ols db start avec cet OLS_HOME le "
                   "rattache, ols db destroy --orphan <id> l'efface")  # fmt: skip
    if Cluster.from_settings(settings).run_as is None:
        typer.echo("hors du compte root, chaque base vit dans son OLS_HOME et disparaît avec lui : seule celle-ci")


def _standing(entry: ClusterEntry) -> str:
    if entry.standing == "owned":
        return "présent"
    if entry.standing == "unknown":
        return "inconnu"
    return "orphelin (recréé depuis)" if entry.home_exists else "orphelin (supprimé)"


@db_app.command("destroy")
def db_destroy(
    orphan: Annotated[
        str | None, typer.Option("--orphan", help="Identifiant d'un cluster dont l'OLS_HOME a disparu (--all)")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Ne pas demander de confirmation")] = False,
    force: Annotated[bool, typer.Option("--force", help="Couper les connexions ouvertes au lieu de refuser")] = False,
) -> None:
    """Erase an observatory's database for good: the cluster, its data directory and its marks in OLS_HOME."""
    settings = database_settings()
    if orphan is not None:
        entry = find_orphan(settings, orphan, force=force)
        whose = f"de l'observatoire supprimé {entry.home}" if entry.home else "d'un observatoire inconnu"
        console.print(f"Effacer définitivement la base {whose} : {entry.cluster.datadir} ({size_text(entry.size)})")
        _confirm(orphan, what="son identifiant", yes=yes)
        entry.cluster.destroy(entry.home, force=force)
        typer.echo(f"base {orphan} effacée : {entry.cluster.datadir} ({size_text(entry.size)} libérés)")
        return
    if settings.database_url:
        msg = "la base est un serveur externe (OLS_DATABASE_URL) : OLS n'efface que le cluster qu'il a créé lui-même"
        raise InvalidInputError(msg)
    home = settings.home.expanduser().resolve()
    cluster = Cluster.from_settings(settings)
    if cluster.status() == "absent":
        typer.echo(f"aucune base pour {home} : rien à effacer")
        return
    size = cluster.disk_usage()
    console.print(f"Effacer définitivement la base de l'observatoire {home} (faits, lots, rejets, utilisateurs) : "
                  f"{cluster.datadir} ({size_text(size)})")  # fmt: skip
    _confirm(str(home), what="le chemin de l'observatoire (OLS_HOME)", yes=yes)
    cluster.destroy(home, force=force)
    typer.echo(f"base de l'observatoire {home} effacée : {cluster.datadir} ({size_text(size)} libérés)")
    zones = api_settings().zones_dir
    if zones.is_dir():
        typer.echo(f"le dossier des zones déclarées {zones} est conservé : supprimez-le s'il doit disparaître aussi")


def _confirm(expected: str, *, what: str, yes: bool) -> None:
    """Go on only if the person types ``expected`` (or gave ``--yes``); anything else erases nothing."""
    if yes:
        return
    try:
        answer = console.input(f"Tapez {what} pour confirmer : ")
    except EOFError:  # nothing typed (stdin closed): no confirmation
        console.print()
        answer = ""
    if answer.strip().rstrip("/") != expected.rstrip("/"):
        msg = f"confirmation différente de {expected} : rien n'a été effacé"
        raise InvalidInputError(msg)


@db_app.command("adopt")
def db_adopt() -> None:
    """Knowingly take back the data a deleted observatory left at this OLS_HOME (refused at start otherwise)."""
    settings = database_settings()
    home = settings.home.expanduser().resolve()
    cluster = Cluster.from_settings(settings)
    if cluster.status() == "absent":
        msg = f"aucune base à reprendre pour {home} ({cluster.datadir} n'existe pas)"
        raise NotFoundError(msg)
    if cluster.belongs_to(home):
        typer.echo(f"la base {cluster.datadir} appartient déjà à {home}")
        return
    cluster.claim(home)
    created = cluster.created()
    when = f", créée le {created:%d/%m/%Y à %H:%M}" if created else ""
    typer.echo(f"base {cluster.datadir}{when}, rattachée à {home} : ols db start la démarre")


@db_app.command("url")
def db_url() -> None:
    """Print the SQLAlchemy URL of the database (starting the embedded cluster if needed)."""
    typer.echo(db.database_url())


@db_app.command("migrate")
def db_migrate(revision: str = "head") -> None:
    """Create or upgrade the schema with the Alembic migrations."""
    db.migrate(revision=revision)
    typer.echo(f"schéma à la révision {revision}")
