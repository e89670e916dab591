"""The ``ols`` command line: database, territories, reference data, ingestion and the demo.

This module is the composition root of the command line: it wires the library (``ols``) and the
partner-file pipeline (``etl``) to the terminal and holds no logic of its own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, select

from ols import db
from ols.cluster import Cluster, ensure_running
from ols.errors import OLSError
from ols.settings import database_settings

app = typer.Typer(help="Observatoire Local de la Sécurité", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The database: embedded cluster and schema migrations.", no_args_is_help=True)
territory_app = typer.Typer(help="Territories covered by the observatory.", no_args_is_help=True)
places_app = typer.Typer(help="Named places (metro stations, schools, equipment).", no_args_is_help=True)
addresses_app = typer.Typer(help="BAN addresses for offline geocoding.", no_args_is_help=True)
sources_app = typer.Typer(help="Partners that send facts.", no_args_is_help=True)
batches_app = typer.Typer(help="Ingested files and their rejected rows.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(territory_app, name="territory")
app.add_typer(places_app, name="places")
app.add_typer(addresses_app, name="addresses")
app.add_typer(sources_app, name="sources")
app.add_typer(batches_app, name="batches")

console = Console(stderr=True)
output = Console(width=None if sys.stdout.isatty() else 240)
PROGRESS_MIN_ROWS = 5_000


def main() -> None:
    """Run the CLI, turning OLS errors into a one-line message and exit code 1."""
    try:
        app()
    except OLSError as error:
        console.print(f"[red]erreur:[/red] {error}")
        sys.exit(1)


def _engine() -> Engine:
    engine = db.get_engine()
    with engine.connect() as connection:
        if db.current_revision(connection) is None:
            db.migrate()
    return engine


@db_app.command("start")
def db_start() -> None:
    """Create (first time) and start the embedded PostgreSQL + PostGIS cluster."""
    cluster = ensure_running(database_settings())
    typer.echo(f"running: {cluster.datadir}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    cluster = Cluster.from_settings(database_settings())
    if cluster.status() == "running":
        cluster.stop()
    typer.echo("stopped")


@db_app.command("status")
def db_status() -> None:
    """Say whether the embedded cluster is absent, stopped or running (or which server is configured)."""
    settings = database_settings()
    if settings.database_url:
        typer.echo("external database (OLS_DATABASE_URL)")
        return
    cluster = Cluster.from_settings(settings)
    typer.echo(f"{cluster.status()}: {cluster.datadir}")


@db_app.command("url")
def db_url() -> None:
    """Print the SQLAlchemy URL of the database (starting the embedded cluster if needed)."""
    typer.echo(db.database_url())


@db_app.command("migrate")
def db_migrate(revision: str = "head") -> None:
    """Create or upgrade the schema with the Alembic migrations."""
    db.migrate(revision=revision)
    typer.echo(f"schema at {revision}")


@territory_app.command("load")
def territory_load(
    boundary: Annotated[Path, typer.Option(exists=True, help="Polygon file: GeoJSON, GeoPackage... any CRS")],
    code: Annotated[str | None, typer.Option(help="Territory code (default: the INSEE code)")] = None,
    name: Annotated[str | None, typer.Option(help="Territory name (default: the commune name)")] = None,
    commune: Annotated[str | None, typer.Option(help="Pick this INSEE code from a communes file")] = None,
    population: Annotated[int | None, typer.Option(help="Inhabitants, for rates per 1,000")] = None,
    dwellings: Annotated[int | None, typer.Option(help="Dwellings (logements), for burglary rates")] = None,
) -> None:
    """Load (or replace) a territory from a polygon file."""
    from ols.territories import read_boundary, save_territory

    outline = read_boundary(boundary, commune=commune)
    code = code or commune
    name = name or outline.name
    if not code or not name:
        raise typer.BadParameter("--code and --name are required unless --commune names them")
    with _engine().begin() as connection:
        territory_id = save_territory(
            connection, code=code, name=name, boundary=outline, source=boundary.name,
            population=population, dwellings=dwellings,
        )  # fmt: skip
    typer.echo(f"territory {code} ({name}) loaded, id {territory_id}")


@territory_app.command("load-streets")
def territory_load_streets(
    path: Annotated[Path, typer.Argument(exists=True, help=".graphml (OSMnx), .osm, .gpkg or .geojson (any CRS)")],
    network: Annotated[str, typer.Option(help="Name of the network")] = "rues",
    layer: Annotated[str | None, typer.Option(help="Layer of a GeoPackage")] = None,
) -> None:
    """Import the street network used to route patrols (walking, cycling, driving profiles)."""
    from ols.streets import read_edges, save_edges

    edges = read_edges(path, layer=layer)
    with _engine().begin() as connection:
        count = save_edges(connection, network, edges)
    typer.echo(f"{count} tronçons orientés chargés dans le réseau {network}")


@territory_app.command("list")
def territory_list() -> None:
    """List the loaded territories."""
    from ols.models import Territory

    with _engine().connect() as connection:
        for row in connection.execute(select(Territory.id, Territory.code, Territory.name, Territory.insee)):
            typer.echo(f"{row.id}\t{row.code}\t{row.name}\t{row.insee or ''}")


@places_app.command("load")
def places_load(
    path: Annotated[Path, typer.Argument(exists=True)],
    kind: Annotated[str, typer.Option(help="metro, school, equipment...")],
    name_column: str = "name",
) -> None:
    """Load named places from a CSV (name, lon, lat) or any point file."""
    from ols.places import read_places, save_places

    places = read_places(path, name_column=name_column)
    with _engine().begin() as connection:
        count = save_places(connection, places, kind=kind, name_column=name_column)
    typer.echo(f"{count} places of kind {kind} loaded")


@addresses_app.command("load")
def addresses_load(path: Annotated[Path, typer.Argument(exists=True)]) -> None:
    """Load a BAN address CSV (adresse.data.gouv.fr format) for offline geocoding."""
    from etl.geocode import load_ban

    with _engine().begin() as connection:
        count = load_ban(connection, path)
    typer.echo(f"{count} addresses loaded")


@sources_app.command("list")
def sources_list() -> None:
    """List the partners (sources) with their kind and default confidentiality."""
    from ols.models import Source

    with _engine().connect() as connection:
        for source in connection.execute(select(Source.__table__).order_by(Source.id)):
            typer.echo(f"{source.code}\t{source.kind}\t{source.default_confidentiality}\t{source.name}")


@sources_app.command("add")
def sources_add(
    code: str,
    kind: Annotated[str, typer.Option(help="bailleur, mediation, transport...")],
    name: Annotated[str, typer.Option()],
    confidentiality: Annotated[str, typer.Option(help="open, partners or police")] = "partners",
) -> None:
    """Add a partner (for instance a named bailleur)."""
    from sqlalchemy.dialects.postgresql import insert

    from ols.models import Source

    with _engine().begin() as connection:
        connection.execute(
            insert(Source)
            .values(code=code, kind=kind, name=name, default_confidentiality=confidentiality)
            .on_conflict_do_update(
                index_elements=["code"],
                set_={"name": name, "kind": kind, "default_confidentiality": confidentiality},
            )
        )
    typer.echo(f"source {code} saved")


@app.command("mappings")
def mappings_list() -> None:
    """List the mappings shipped with OLS."""
    from etl.mapping import builtin_mappings, load_mapping

    for name, path in sorted(builtin_mappings().items()):
        typer.echo(f"{name}\t{load_mapping(path).description}")


@app.command("ingest")
def ingest(
    paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    source: Annotated[str, typer.Option(help="Source code (see 'ols sources list')")],
    mapping: Annotated[str, typer.Option(help="Mapping YAML file, or the name of a shipped mapping")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per file")] = False,
    by: Annotated[str | None, typer.Option(help="Who ingests (default: the OS user)")] = None,
) -> None:
    """Ingest partner files: each file is one all-or-nothing batch."""
    from etl.ingest import ingest_file
    from etl.mapping import load_mapping

    spec = load_mapping(mapping)
    engine = _engine()
    for path in paths:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json and not console.is_terminal,
        ) as bar:
            task = bar.add_task(path.name, visible=False)

            def hook(
                stage: str,
                done: int,
                total: int,
                task: TaskID = task,
                bar: Progress = bar,
                name: str = path.name,
            ) -> None:
                bar.update(
                    task,
                    description=f"{name} — {stage}",
                    completed=done,
                    total=total,
                    visible=total >= PROGRESS_MIN_ROWS,
                )

            report = ingest_file(engine, path, source_code=source, mapping=spec, ingested_by=by, progress=hook)
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            state = " (déjà intégré : rien n'a changé)" if report.already_ingested else ""
            typer.echo(
                f"{path.name}: lot {report.batch_id}{state} — {report.rows_read} lignes lues, "
                f"{report.accepted} faits, {report.duplicates} doublons, {report.rejected} rejets "
                f"{report.rejected_by_reason or ''}"
            )


@batches_app.command("list")
def batches_list() -> None:
    """List ingested files with their counts."""
    from etl.batches import list_batches

    with _engine().connect() as connection:
        frame = list_batches(connection)
    table = Table("lot", "source", "fichier", "lu", "faits", "doublons", "rejets", "date")
    for row in frame.itertuples():
        table.add_row(
            str(row.batch_id),
            str(row.source),
            str(row.filename),
            str(row.rows_read),
            str(row.accepted),
            str(row.duplicates),
            str(row.rejected),
            f"{row.ingested_at:%Y-%m-%d %H:%M}",
        )
    output.print(table)


@batches_app.command("rejected")
def batches_rejected(
    batch_id: int,
    csv: Annotated[bool, typer.Option("--csv", help="CSV (;, UTF-8 BOM) ready to send back to the partner")] = False,
) -> None:
    """Show the rejected rows of a batch with their reasons."""
    from etl.batches import rejected_rows
    from ols.tables import to_excel_csv

    with _engine().connect() as connection:
        frame = rejected_rows(connection, batch_id)
    if csv:
        sys.stdout.write(to_excel_csv(frame))
        return
    table = Table(*frame.columns[:4])
    for row in frame.iloc[:, :4].itertuples(index=False):
        table.add_row(*map(str, row))
    output.print(table)


zones_app = typer.Typer(help="Vigilance zones: declared files and computed zones.", no_args_is_help=True)
editions_app = typer.Typer(help="Published (frozen) semester cartographies.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
app.add_typer(editions_app, name="editions")
ZONES_FOLDER = Path("data/zones")


def _print_summary(summary: dict[str, Any]) -> None:
    typer.echo(f"{summary['label']} ({summary['period']}): {summary['events']} faits, {summary['seconds']} s")
    for resolution, classes in summary["hotspots"].items():
        hot = sum(count for name, count in classes.items() if name.startswith("hot"))
        typer.echo(f"  points chauds {resolution}: {hot} cellules significatives")
    if summary["emerging"]:
        patterns = ", ".join(f"{name} {count}" for name, count in summary["emerging"].items() if name != "no_pattern")
        typer.echo(f"  tendances: {patterns or 'aucune'}")
    for zone in summary["zones"]:
        typer.echo(
            f"  {zone['code']}: {zone['cells']} cellules, {zone['events']} faits, "
            f"{zone['area_km2']} km², près de {zone['near'] or '?'}"
        )
    if not summary["zones"]:
        typer.echo("  aucune zone de vigilance calculée")


@app.command("refresh")
def refresh_command(
    period: Annotated[str, typer.Option(help="2024-S2, 2024-11, 2024-W48, 2024...")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rebuild aggregates, hot spots, emerging hot spots and computed zones of a period."""
    from ols.periods import parse_period
    from ols.refresh import refresh

    summary = refresh(_engine(), parse_period(period))
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        _print_summary(summary)


@app.command("hotspots")
def hotspots_command(
    period: Annotated[str, typer.Option()],
    family: Annotated[str | None, typer.Option(help="A family code; all families when omitted")] = None,
    resolution: Annotated[int, typer.Option()] = 9,
    output_format: Annotated[str, typer.Option("--format", help="geojson or csv")] = "geojson",
) -> None:
    """Write the Gi* hot spots of a period to stdout: one row per cell of the study area."""
    from ols.layers import hotspot_frame, hotspots_csv, hotspots_geojson, layer_metadata
    from ols.periods import parse_period

    if output_format not in ("geojson", "csv"):
        raise typer.BadParameter("--format is geojson or csv")
    spec = parse_period(period)
    with _engine().connect() as connection:
        frame = hotspot_frame(connection, spec, resolution=resolution, family=family)
        metadata = layer_metadata(
            connection, spec, family=family or "*", resolution=resolution, method={"resolution": resolution}
        )
    if output_format == "csv":
        sys.stdout.write(hotspots_csv(frame, metadata))
    else:
        sys.stdout.write(json.dumps(hotspots_geojson(frame, metadata), ensure_ascii=False))


@zones_app.command("sync")
def zones_sync(folder: Annotated[Path, typer.Option(help="Folder of declared zone files")] = ZONES_FOLDER) -> None:
    """Make the declared zones in the database those of the GeoJSON files in data/zones/."""
    from ols.zones import sync_declared

    with _engine().begin() as connection:
        count = sync_declared(connection, folder)
    typer.echo(f"{count} zones déclarées chargées depuis {folder}")


@zones_app.command("counts")
def zones_counts(
    period: Annotated[str, typer.Option()],
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Events per zone (computed and declared) and family for a period."""
    from ols.aggregates import zone_counts
    from ols.periods import parse_period
    from ols.settings import cartography_settings

    with _engine().connect() as connection:
        frame = zone_counts(connection, parse_period(period), timezone=cartography_settings().timezone)
    _print_table(frame, output_format)


@zones_app.command("compare")
def zones_compare(period: Annotated[str, typer.Option()]) -> None:
    """Declared zones no longer hot, hot areas outside declared zones, zones entering and leaving."""
    from ols.editions import comparison
    from ols.periods import parse_period

    with _engine().connect() as connection:
        result = comparison(connection, parse_period(period))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))


@editions_app.command("publish")
def editions_publish(
    period: Annotated[str, typer.Option()], by: Annotated[str, typer.Option()] = "coordinateur"
) -> None:
    """Freeze the period's cartography (what the cellule de veille saw)."""
    from ols.editions import publish
    from ols.periods import parse_period

    with _engine().begin() as connection:
        edition_id = publish(connection, parse_period(period), by=by)
    typer.echo(f"édition {edition_id} publiée pour {period}")


@editions_app.command("show")
def editions_show(period: Annotated[str, typer.Option()]) -> None:
    """Print a published edition as JSON."""
    from ols.editions import edition
    from ols.periods import parse_period

    with _engine().connect() as connection:
        typer.echo(json.dumps(edition(connection, parse_period(period)), ensure_ascii=False))


indicators_app = typer.Typer(help="Evolution tables and official SSMSI context figures.", no_args_is_help=True)
app.add_typer(indicators_app, name="indicators")


def _print_table(frame: Any, output_format: str) -> None:
    import pandas as pd

    from ols.tables import to_excel_csv

    if output_format == "csv":
        sys.stdout.write(to_excel_csv(frame))
    elif output_format == "json":
        typer.echo(frame.to_json(orient="records", force_ascii=False))
    else:
        table = Table(*map(str, frame.columns))
        for row in frame.itertuples(index=False):
            table.add_row(*("" if pd.isna(value) else str(value) for value in row))
        output.print(table)


@indicators_app.command("load-ssmsi")
def indicators_load(path: Annotated[Path, typer.Argument(exists=True)]) -> None:
    """Load an SSMSI file (département counts or commune rates) as context indicators."""
    from ols.indicators import load_ssmsi

    with _engine().begin() as connection:
        count = load_ssmsi(connection, path)
    typer.echo(f"{count} chiffres officiels chargés depuis {path.name}")


@indicators_app.command("evolution")
def indicators_evolution(
    period: Annotated[str, typer.Option(help="2025, 2025-YTD11, 2025-S2...: N; N-1 and N-2 follow")],
    by: Annotated[str, typer.Option(help="family, category or source")] = "family",
    territory: Annotated[str | None, typer.Option(help="A territory code (all when omitted)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """N-2, N-1, N and their evolution, from the observatory's own counts."""
    from ols.indicators import local_evolution
    from ols.periods import parse_period

    with _engine().connect() as connection:
        frame = local_evolution(connection, parse_period(period), by=by, territory=territory)
    _print_table(frame, output_format)


@indicators_app.command("official")
def indicators_official(
    year: Annotated[int, typer.Option()],
    code: Annotated[str, typer.Option(help="Département (59) or commune INSEE code (59410)")],
    scope: Annotated[str, typer.Option(help="departement or commune")] = "departement",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Official SSMSI figures for N-2..N with their evolution (context for the local tables)."""
    from ols.indicators import official_evolution

    with _engine().connect() as connection:
        frame = official_evolution(connection, scope=scope, code=code, year=year)
    _print_table(frame, output_format)


@app.command("profile")
def profile_command(
    period: Annotated[str, typer.Option()],
    family: Annotated[str | None, typer.Option()] = None,
    zone: Annotated[str | None, typer.Option(help="A zone code (computed or declared)")] = None,
) -> None:
    """Hour × weekday profile (JSON), with the facts whose hour is unknown counted apart."""
    from ols.periods import parse_period
    from ols.profiles import time_profile

    with _engine().connect() as connection:
        typer.echo(json.dumps(time_profile(connection, parse_period(period), family=family, zone=zone)))


@app.command("near-repeat")
def near_repeat_command(
    period: Annotated[str, typer.Option()],
    as_of: Annotated[str | None, typer.Option(help="Date of the risk zones (default: end of the period)")] = None,
) -> None:
    """Knox test of burglaries and the zones of elevated risk around the recent ones (JSON)."""
    from datetime import date

    from ols.nearrepeat import near_repeat
    from ols.periods import parse_period

    with _engine().connect() as connection:
        result = near_repeat(connection, parse_period(period), as_of=date.fromisoformat(as_of) if as_of else None)
    typer.echo(json.dumps(result, ensure_ascii=False))


@app.command("crosswatch")
def crosswatch_command(
    period: Annotated[str, typer.Option()],
    groups: Annotated[str, typer.Option(help="e.g. gathering+drug_trafficking,residential_burglary,vehicle_arson")],
    resolution: int = 10,
) -> None:
    """Veille croisée: cells where every group of facts is significantly above expectation (JSON)."""
    from ols.crosswatch import crosswatch, parse_groups
    from ols.periods import parse_period
    from ols.refresh import Context

    with _engine().connect() as connection:
        area = Context.load(connection).area
        result = crosswatch(connection, parse_period(period), area, parse_groups(groups), resolution=resolution)
    typer.echo(json.dumps(result, ensure_ascii=False))


users_app = typer.Typer(help="API users: roles, territory scope, tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The append-only audit log of sensitive reads and exports.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="coordinator, police, partner, elu or public")],
    territory: Annotated[
        list[str] | None, typer.Option(help="Territory code the user may see (repeat); all if omitted")
    ] = None,
    source: Annotated[str | None, typer.Option(help="For a partner: its source code")] = None,
) -> None:
    """Create a user and print its token once (only its argon2 hash is stored)."""
    from ols.users import create_user

    with _engine().begin() as connection:
        token = create_user(connection, name, role=role, territories=territory or [], source=source)
    typer.echo(token)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: its token stops working."""
    from ols.users import disable_user

    with _engine().begin() as connection:
        found = disable_user(connection, name)
    typer.echo(f"{name} désactivé" if found else f"pas d'utilisateur {name}")


@audit_app.command("list")
def audit_list(
    limit: int = 50,
    user: Annotated[str | None, typer.Option()] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """The latest audit entries, newest first."""
    from ols.audit import entries

    with _engine().connect() as connection:
        frame = entries(connection, limit=limit, user=user)
    _print_table(frame, output_format)


@app.command("serve")
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the API (uvicorn) on the embedded or configured database."""
    import uvicorn

    from api.main import configure_logging

    _engine()
    configure_logging()
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers, log_config=None,
                access_log=False)  # fmt: skip


export_app = typer.Typer(help="Map snapshots and tables for the bilan (audited).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("map")
def export_map_command(
    period: Annotated[str, typer.Option()],
    out: Annotated[Path, typer.Option(help="carte.png or carte.pdf")],
    layers: Annotated[str, typer.Option(help="heatmap,zones,boundary,places,deal_points")] = "heatmap,zones",
    resolution: int = 9,
    family: Annotated[str | None, typer.Option()] = None,
    role: Annotated[str, typer.Option(help="Audience: coordinator, police, partner, elu or public")] = "coordinator",
) -> None:
    """A print-quality A4 landscape map (PNG at 200 dpi or vector PDF), for the given audience."""
    import getpass

    from ols import audit
    from ols.mapexport import Snapshot, export_map
    from ols.periods import parse_period
    from ols.settings import api_settings
    from ols.users import Principal

    user = Principal(name=getpass.getuser(), role=role)
    spec = Snapshot(
        parse_period(period), tuple(layers.split(",")), resolution, family, api_settings().suppression_threshold
    )
    with _engine().begin() as connection:
        export_map(connection, spec, user, out)
        parameters = {"period": period, "layers": layers, "resolution": resolution, "out": out.name}
        audit.record(connection, user=user.name, role=role, action="export", resource="map", parameters=parameters)
    typer.echo(f"carte écrite : {out}")


@export_app.command("gpkg")
def export_gpkg_command(
    period: Annotated[str, typer.Option()],
    out: Annotated[Path, typer.Option(help="obs.gpkg")],
    crs: Annotated[int, typer.Option(help="2154 (Lambert-93) or 4326")] = 2154,
    role: Annotated[str, typer.Option(help="Audience: coordinator, police, partner, elu or public")] = "coordinator",
) -> None:
    """A GeoPackage of the period's layers for QGIS (hexagons, hot spots, zones, places, territories)."""
    import getpass

    from ols import audit
    from ols.gpkg import CRS_CHOICES, export_gpkg
    from ols.periods import parse_period
    from ols.settings import api_settings
    from ols.users import Principal

    if crs not in CRS_CHOICES:
        raise typer.BadParameter("--crs is 2154 or 4326")
    user = Principal(name=getpass.getuser(), role=role)
    with _engine().begin() as connection:
        layers = export_gpkg(connection, parse_period(period), user, out, crs=crs,
                             threshold=api_settings().suppression_threshold)  # fmt: skip
        parameters = {"period": period, "crs": crs, "out": out.name}
        audit.record(connection, user=user.name, role=role, action="export", resource="gpkg", parameters=parameters)
    typer.echo(f"{out}: {', '.join(layers)} (EPSG:{crs})")


@app.command("report")
def report_command(
    kind: Annotated[str, typer.Argument(help="weekly, monthly or annual")],
    week: Annotated[str | None, typer.Option(help="2024-W48 (weekly)")] = None,
    month: Annotated[str | None, typer.Option(help="2024-11 (monthly)")] = None,
    year: Annotated[str | None, typer.Option(help="2024 (annual)")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the HTML, PDF, XLSX and CSV files")] = Path("out/reports"),
    role: Annotated[str, typer.Option(help="Audience: coordinator, police, partner, elu or public")] = "coordinator",
) -> None:
    """Récapitulatif hebdomadaire, bilan mensuel or bilan annuel: HTML + PDF + tables (XLSX, CSV)."""
    import getpass

    from ols import audit
    from ols.reports import BUILDERS, write_report
    from ols.settings import api_settings
    from ols.users import Principal

    period = {"weekly": week, "monthly": month, "annual": year}.get(kind)
    if kind not in BUILDERS or period is None:
        raise typer.BadParameter("ols report weekly --week W | monthly --month M | annual --year Y")
    user = Principal(name=getpass.getuser(), role=role)
    with _engine().begin() as connection:
        files = write_report(connection, kind, period, user, out, threshold=api_settings().suppression_threshold)
        audit.record(connection, user=user.name, role=role, action="export", resource=f"report-{kind}",
                     parameters={"period": period})  # fmt: skip
    for path in files:
        typer.echo(str(path))


patrol_app = typer.Typer(help="Patrol planning for the police municipale.", no_args_is_help=True)
app.add_typer(patrol_app, name="patrol")


def _start_point(connection: Any, start: str) -> tuple[float, float]:
    if "," in start:
        lon, lat = (float(part) for part in start.split(","))
        return lon, lat
    from sqlalchemy import text

    from ols.names import name_key

    row = connection.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM place WHERE name_key = :key LIMIT 1"),
                             {"key": name_key(start)}).one_or_none()  # fmt: skip
    if row is None:
        row = connection.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(ST_Union(geom)) c "
                                      "FROM territory) t")).one_or_none()  # fmt: skip
        console.print(f"[yellow]départ {start!r} inconnu : centre du territoire utilisé[/yellow]")
    if row is None or row[0] is None:
        raise typer.BadParameter("--start: give 'lon,lat' or the name of a loaded place")
    return float(row[0]), float(row[1])


@patrol_app.command("plan")
def patrol_plan(
    window: Annotated[str, typer.Option(help="'ven 18:00-23:00'")],
    out: Annotated[Path, typer.Option(help="plan.geojson, plan.gpx or plan.pdf")],
    period: Annotated[str | None, typer.Option(help="Period whose facts score the places (e.g. 2026-S1)")] = None,
    teams: int = 2,
    mode: Annotated[str, typer.Option(help="pedestre, cycliste or vehicule")] = "pedestre",
    start: Annotated[str, typer.Option(help="'Hôtel de ville' (a loaded place) or 'lon,lat'")] = "Hôtel de ville",
    stops: Annotated[int, typer.Option(help="Stops per team")] = 8,
    dwell: Annotated[int, typer.Option(help="Typical stop in minutes (randomised, kept within 10–16)")] = 12,
    seed: int | None = None,
    streets: Annotated[Path | None, typer.Option(help="Plan on this street file instead of the loaded network")] = None,
    candidates: Annotated[Path | None, typer.Option(help="GeoJSON points to visit (optional 'weight')")] = None,
    families: Annotated[str | None, typer.Option(help="Families that score the places, comma-separated")] = None,
    holidays: Annotated[
        bool | None,
        typer.Option(
            "--holidays/--school-days", help="Score with school-holiday days' facts only, or school days' only (zone B)"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Plan the stops and routes of a shift, explain each stop, and write GPX, GeoJSON or PDF."""
    from ols.patrol import Shift, parse_window, plan, rotate
    from ols.patrol_outputs import save_plan, to_geojson, to_gpx, to_pdf
    from ols.patrol_sources import from_file, from_observatory, recent_visits
    from ols.periods import parse_period
    from ols.streets import graph_of, load_edges, read_edges

    shift = parse_window(window)
    engine = _engine()
    with engine.begin() as connection:
        origin = _start_point(connection, start)
        if candidates is not None:
            places = from_file(candidates)
        else:
            if period is None:
                raise typer.BadParameter("--period is needed unless --candidates gives the places")
            places = from_observatory(connection, parse_period(period), shift, holidays=holidays,
                                      families=families.split(",") if families else None)  # fmt: skip
        places = rotate(places, recent_visits(connection))
        edges = read_edges(streets) if streets is not None else load_edges(connection)
        graph = graph_of(edges, mode) if edges else None
        result = plan(places, Shift(shift, teams, mode, origin, stops, dwell, seed), graph)
        parameters = {"period": period, "teams": teams, "stops": stops, "dwell": dwell, "seed": seed}
        plan_id = save_plan(connection, result, parameters)
    writers = {".gpx": lambda: to_gpx(result).encode(), ".pdf": lambda: to_pdf(result),
               ".geojson": lambda: json.dumps(to_geojson(result), ensure_ascii=False).encode(),
               ".json": lambda: json.dumps(to_geojson(result), ensure_ascii=False).encode()}  # fmt: skip
    if out.suffix.lower() not in writers:
        raise typer.BadParameter("--out ends with .gpx, .geojson or .pdf")
    out.write_bytes(writers[out.suffix.lower()]())
    summary = {"plan_id": plan_id, "out": str(out), "notes": result.notes,
               "teams": [{"team": r.team, "stops": len(r.stops), "distance_m": round(r.distance_m),
                          "duration_min": round(r.duration_min)} for r in result.routes]}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(f"plan {plan_id} écrit dans {out}" + (f" ({'; '.join(result.notes)})" if result.notes else ""))
    for route in result.routes:
        typer.echo(f"  équipe {route.team} : {len(route.stops)} arrêts, {route.distance_m / 1000:.1f} km, "
                   f"{route.duration_min:.0f} min")  # fmt: skip
        for stop in route.stops:
            typer.echo(f"    {stop.position:>2}. {stop.arrival} ({stop.dwell_min} min) {stop.candidate.reason}")


@patrol_app.command("log")
def patrol_log(
    plan_id: Annotated[int, typer.Option("--plan")],
    team: Annotated[int, typer.Option()],
    stop: Annotated[int, typer.Option()],
    done: Annotated[bool, typer.Option("--done/--not-done")] = True,
) -> None:
    """Record from the main courante whether a stop was made."""
    from ols.patrol_outputs import log_stop

    with _engine().begin() as connection:
        log_stop(connection, plan_id, team, stop, done=done)
    typer.echo(f"plan {plan_id}, équipe {team}, arrêt {stop} : {'fait' if done else 'non fait'}")


def _demo_patrol(engine: Engine, out: Path, period: Any) -> None:
    """A Friday-evening plan for two pedestrian teams from the town hall (straight lines: no streets for Mons)."""
    from ols.patrol import Shift, parse_window, plan, rotate
    from ols.patrol_outputs import save_plan, to_geojson, to_gpx, to_pdf
    from ols.patrol_sources import from_observatory, recent_visits
    from ols.streets import graph_of, load_edges

    window = parse_window("ven 18:00-23:00")
    with engine.begin() as connection:
        start = _start_point(connection, "Mairie de Mons")
        places = rotate(from_observatory(connection, period, window), recent_visits(connection))
        edges = load_edges(connection)
        result = plan(
            places, Shift(window, 2, "pedestre", start, 6, seed=2024), graph_of(edges, "pedestre") if edges else None
        )
        save_plan(connection, result, {"period": period.name, "demo": True})
    (out / "plan-vendredi.geojson").write_text(json.dumps(to_geojson(result), ensure_ascii=False), encoding="utf-8")
    (out / "plan-vendredi.gpx").write_text(to_gpx(result), encoding="utf-8")
    (out / "plan-vendredi.pdf").write_bytes(to_pdf(result))
    teams = "; ".join(f"équipe {r.team} : {len(r.stops)} arrêts" for r in result.routes)
    typer.echo(f"Plan de patrouille du vendredi soir : {out}/plan-vendredi.pdf (.gpx, .geojson) — {teams}")


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option(help="Where to write the synthetic partner files")] = Path("out/demo"),
    seed: int = 2024,
) -> None:
    """Load Mons-en-Barœul, ingest synthetic partner exports, refresh its last two semesters (the main job)."""
    from etl.demo.run import demo_semesters, run_demo
    from ols.refresh import refresh
    from ols.users import reset_demo_users
    from ols.zones import sync_declared

    engine = _engine()
    run_demo(engine, out=out, seed=seed, echo=typer.echo)
    with engine.begin() as connection:
        typer.echo(f"{sync_declared(connection, ZONES_FOLDER)} zones déclarées chargées depuis {ZONES_FOLDER}")
    for period in demo_semesters():
        _print_summary(refresh(engine, period))
    _demo_patrol(engine, out, demo_semesters()[-1])
    with engine.begin() as connection:
        logins = reset_demo_users(connection)
    typer.echo("Connexions de démonstration (jeton à coller sur la page de connexion) :")
    for role, (name, token) in logins.items():
        typer.echo(f"  {role:<12} {name:<24} {token}")


if __name__ == "__main__":
    main()
