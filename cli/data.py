"""Commands for the data: territories, places, addresses, sources, mappings, ingestion."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from cli.common import PROGRESS_MIN_ROWS, app, console, migrated_engine, print_error
from ols.errors import InvalidInputError, OLSError
from ols.wording import number

if TYPE_CHECKING:
    from ols.reference.calendar import Calendar

SECTORS_SHOWN = 12  # codes listed per level by « ols territory list »
territory_app = typer.Typer(help="Territories covered by the observatory.", no_args_is_help=True)
places_app = typer.Typer(
    help="Named places of any kind (schools, bus stops, parks, commerces...).", no_args_is_help=True
)
addresses_app = typer.Typer(help="BAN addresses for offline geocoding.", no_args_is_help=True)
sources_app = typer.Typer(help="Partners that send facts.", no_args_is_help=True)
app.add_typer(territory_app, name="territory")
app.add_typer(places_app, name="places")
app.add_typer(addresses_app, name="addresses")
app.add_typer(sources_app, name="sources")


@territory_app.command("load")
def territory_load(
    boundary: Annotated[Path, typer.Option(exists=True, help="Polygon file: GeoJSON, GeoPackage... any CRS")],
    code: Annotated[
        str | None, typer.Option(help="Territory code (default: the INSEE code); with --communes, the observatory's")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Territory name (default: the commune name); with --communes, the observatory's")
    ] = None,
    commune: Annotated[str | None, typer.Option(help="Pick this INSEE code from a communes file")] = None,
    communes: Annotated[
        str | None,
        typer.Option(help="Several INSEE codes, comma-separated, picked from a communes file: a CISPD or an EPCI"),
    ] = None,
    kind: Annotated[str, typer.Option(help="With --communes: cispd or epci (clspd for one commune)")] = "cispd",
    population: Annotated[int | None, typer.Option(help="Inhabitants, for rates per 1,000")] = None,
    dwellings: Annotated[int | None, typer.Option(help="Dwellings (logements), for burglary rates")] = None,
    timezone: Annotated[str | None, typer.Option(help="Fuseau horaire IANA (défaut : celui du code INSEE)")] = None,
    holiday_zone: Annotated[
        str | None, typer.Option(help="Zone de vacances scolaires : A, B, C, Corse, Réunion… (défaut : du code INSEE)")
    ] = None,
) -> None:
    """Load (or replace) a territory from a polygon file, with its calendar (timezone, school-holiday zone).

    With --communes, load an observatory of several communes (one territory per commune, coded by
    its INSEE code, named and given its calendar from the file); a single commune's load makes it
    a CLSPD named after it, unless another observatory exists.
    """
    if communes:
        _load_observatory(boundary, code, name, communes.split(","), kind)
        return
    from ols.reference.calendar import stated_calendar
    from ols.reference.territories import observatory_of_commune, read_boundary, save_territory

    outline = read_boundary(boundary, commune=commune)
    code = code or commune
    name = name or outline.name
    if not code or not name:
        raise InvalidInputError("--code et --name sont nécessaires, sauf si --commune les donne")
    calendar = stated_calendar(outline.insee, timezone=timezone, holiday_zone=holiday_zone)
    with migrated_engine().begin() as connection:
        territory_id = save_territory(
            connection, code=code, name=name, boundary=outline, source=boundary.name,
            population=population, dwellings=dwellings, calendar=calendar,
        )  # fmt: skip
        clspd = observatory_of_commune(connection, code=code, name=name)
    typer.echo(f"territoire {code} ({name}) chargé, id {territory_id}")
    if clspd:
        typer.echo(f"observatoire : CLSPD de {name}")
    _echo_calendar(calendar)


def _echo_calendar(calendar: Calendar | None) -> None:
    """Say which calendar a loaded territory follows."""
    if calendar is None:
        typer.echo("calendrier : celui des autres territoires (sans code INSEE, ni --timezone, ni --holiday-zone)")
    else:
        typer.echo(f"calendrier : fuseau {calendar.timezone}, vacances scolaires zone {calendar.holiday_zone or '—'}")


def _load_observatory(boundary: Path, code: str | None, name: str | None, communes: list[str], kind: str) -> None:
    """An observatory of several communes: its row, and one territory per commune."""
    from ols.reference.territories import read_communes, save_observatory, save_territory

    if not code or not name:
        raise InvalidInputError("--code et --name (ceux de l'observatoire) sont nécessaires avec --communes")
    outlines = read_communes(boundary, [insee.strip() for insee in communes if insee.strip()])
    with migrated_engine().begin() as connection:
        save_observatory(connection, code=code, name=name, kind=kind)
        for outline in outlines:
            assert outline.insee is not None
            save_territory(connection, code=outline.insee, name=outline.name or outline.insee, boundary=outline,
                           source=boundary.name)  # fmt: skip
    typer.echo(f"observatoire {code} ({name}, {kind.upper()}) chargé : {len(outlines)} communes")
    for outline in outlines:
        typer.echo(f"  {outline.insee}\t{outline.name}")


@territory_app.command("load-sectors")
def territory_load_sectors(
    path: Annotated[
        Path, typer.Argument(exists=True, help="Polygon file of the sectors: GeoJSON, GeoPackage... any CRS")
    ],
    commune: Annotated[str, typer.Option(help="The commune they divide: INSEE or territory code")],
    name_field: Annotated[str, typer.Option(help="Field holding each sector's name")],
    code_field: Annotated[
        str | None, typer.Option(help="Field holding a unique code (default: commune and name, 59350-wazemmes)")
    ] = None,
    level: Annotated[str, typer.Option(help="Kind of sector: quartier, IRIS, QPV, secteur de police...")] = "quartier",
    within: Annotated[
        str | None,
        typer.Option(
            help="Level of the sectors already loaded that hold these ones (quartier → IRIS): each sector's "
            "parent is the one holding its representative point (communes associées count too)"
        ),
    ] = None,
    associated_field: Annotated[
        str | None,
        typer.Option(
            help="Field naming each feature's commune: where it differs from the commune's name, the "
            "feature is a « commune associée » (Lomme and Hellemmes in Lille's quartiers: --associated-field commune)"
        ),
    ] = None,
) -> None:
    """Load (or replace) the sectors of a commune, then give the commune's facts their sector.

    Reloading a level replaces its sectors (kept by code: lower sectors and facts stay tied to them).
    """
    from ols.reference.sectors import read_sectors, save_sectors
    from ols.reference.territories import commune_of
    from ols.wording import number

    with migrated_engine().begin() as connection:
        territory_id, _, commune_name = commune_of(connection, commune)
        sectors = read_sectors(path, commune=commune, commune_name=commune_name, name_field=name_field, level=level,
                               code_field=code_field, associated_field=associated_field)  # fmt: skip
        loaded = save_sectors(connection, territory_id, sectors, source=path.name, within=within)
    counts = ", ".join(f"{level_name} : {number(count)}" for level_name, count in loaded.levels.items())
    removed = "aucun retiré" if not loaded.removed else f"{number(loaded.removed)} retiré{'s' * (loaded.removed > 1)}"
    typer.echo(f"{commune_name} : secteurs chargés ({counts}), {removed}")
    typer.echo(f"faits de la commune rattachés à un secteur : {number(loaded.facts)}")


STREET_FILES = (".graphml (OSMnx), .osm.pbf or .osm (OSM extract), .gpkg, .shp or .geojson (road segments such as "
                "BD TOPO's TRONCON_DE_ROUTE, any CRS)")  # fmt: skip


@territory_app.command("load-streets")
def territory_load_streets(
    path: Annotated[Path, typer.Argument(exists=True, help=STREET_FILES)],
    network: Annotated[str, typer.Option(help="Name of the network")] = "rues",
    layer: Annotated[str | None, typer.Option(help="Layer of a GeoPackage (e.g. troncon_de_route)")] = None,
) -> None:
    """Import the street network: patrols route on it, the map draws it as its offline base map."""
    from ols.reference.streets import load_streets
    from ols.wording import number

    with migrated_engine().begin() as connection:
        count = load_streets(connection, path, network=network, layer=layer)
    typer.echo(f"{number(count)} tronçons orientés chargés dans le réseau {network}")


@territory_app.command("load-buildings")
def territory_load_buildings(
    path: Annotated[Path, typer.Argument(exists=True, help="Building footprints: GeoJSON, GeoPackage... any CRS")],
    layer: Annotated[str | None, typer.Option(help="Layer of a GeoPackage (e.g. batiment)")] = None,
) -> None:
    """Load (or replace) the buildings: every camera's view is then clipped by them and by the shadows they cast."""
    from ols.coverage.buildings import load_buildings

    with migrated_engine().begin() as connection:
        loaded = load_buildings(connection, path, layer=layer)
    skipped = f" ({number(loaded.skipped)} objets sans polygone ignorés)" if loaded.skipped else ""
    typer.echo(f"{number(loaded.buildings)} bâtiments chargés depuis {path.name}{skipped} ; "
               f"champs de vision redécoupés : {number(loaded.cameras)} caméras")  # fmt: skip


@territory_app.command("list")
def territory_list() -> None:
    """List the observatory, its communes and the sectors of each per level (the first codes of long levels)."""
    from ols.store.models import Observatory, Sector, Territory

    with migrated_engine().connect() as connection:
        observatory = connection.execute(select(Observatory.code, Observatory.name, Observatory.kind)).one_or_none()
        territories = connection.execute(
            select(Territory.id, Territory.code, Territory.name, Territory.insee).order_by(Territory.code)
        ).all()
        sectors = connection.execute(
            select(Sector.territory_id, Sector.level, Sector.code).order_by(Sector.level, Sector.code)
        ).all()
    if observatory is not None:
        typer.echo(f"observatoire {observatory.code}\t{observatory.name}\t{observatory.kind.upper()}")
    for row in territories:
        typer.echo(f"{row.id}\t{row.code}\t{row.name}\t{row.insee or ''}")
        levels: dict[str, list[str]] = {}
        for territory_id, level, code in sectors:
            if territory_id == row.id:
                levels.setdefault(level, []).append(code)
        for level, codes in levels.items():
            shown = ", ".join(codes[:SECTORS_SHOWN]) + (", …" if len(codes) > SECTORS_SHOWN else "")
            typer.echo(f"\t{level} ({len(codes)}) : {shown}")


@places_app.command("load")
def places_load(
    path: Annotated[Path, typer.Argument(exists=True)],
    kind: Annotated[
        str | None, typer.Option(help="Kind of every place: school, bus_stop, park... or its French label")
    ] = None,
    kind_field: Annotated[
        str | None, typer.Option(help="Column holding each place's kind (a file of several kinds)")
    ] = None,
    name_column: str = "name",
) -> None:
    """Load named places of any kind from a CSV (name, lon, lat), GeoJSON or GeoPackage; see 'ols places kinds'."""
    from collections import Counter

    from ols.reference.places import kind_label, kinds_of, read_places, save_places

    places = read_places(path, name_column=name_column)
    kinds = Counter(kinds_of(places, kind=kind, kind_field=kind_field))
    with migrated_engine().begin() as connection:
        count = save_places(connection, places, kind=kind, kind_field=kind_field, name_column=name_column)
    detail = " ; ".join(f"{kind_label(code)} : {number}" for code, number in sorted(kinds.items()))
    typer.echo(f"{count} lieux chargés ({detail})")


@places_app.command("kinds")
def places_kinds() -> None:
    """List the kinds of places (code and French label)."""
    from ols.reference.places import PLACE_KINDS

    for code, label in PLACE_KINDS.items():
        typer.echo(f"{code}\t{label}")


@addresses_app.command("load")
def addresses_load(path: Annotated[Path, typer.Argument(exists=True)]) -> None:
    """Load a BAN address CSV (adresse.data.gouv.fr format) for offline geocoding."""
    from etl.geocode import load_ban

    with migrated_engine().begin() as connection:
        count = load_ban(connection, path)
    typer.echo(f"{count} adresses chargées")


@sources_app.command("list")
def sources_list() -> None:
    """List the partners (sources) with their kind and default confidentiality."""
    from ols.store.models import Source

    with migrated_engine().connect() as connection:
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

    from ols.store.models import Source

    with migrated_engine().begin() as connection:
        connection.execute(
            insert(Source)
            .values(code=code, kind=kind, name=name, default_confidentiality=confidentiality)
            .on_conflict_do_update(
                index_elements=["code"],
                set_={"name": name, "kind": kind, "default_confidentiality": confidentiality},
            )
        )
    typer.echo(f"source {code} enregistrée")


@app.command("mappings")
def mappings_list() -> None:
    """List the mappings shipped with OLS, then the coordinator's own (OLS_MAPPINGS_DIR)."""
    from etl.mapping import builtin_mappings, load_mapping, own_mappings

    for name, path in sorted(builtin_mappings().items()):
        typer.echo(f"{name}\t{load_mapping(path).description}")
    for name, path in sorted(own_mappings().items()):
        typer.echo(f"{name}\t{load_mapping(path).description} (correspondance propre)")


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
    from etl.sniff import file_name

    spec = load_mapping(mapping)
    engine = migrated_engine()
    for path in paths:
        try:
            with _progress(hidden=as_json and not console.is_terminal) as bar:
                report = ingest_file(engine, path, source_code=source, mapping=spec, ingested_by=by,
                                     progress=_progress_hook(bar, file_name(path)))  # fmt: skip
        except OLSError as error:
            _refused(error)
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            state = " (déjà intégré : rien n'a changé)" if report.already_ingested else ""
            typer.echo(f"{report.file} : lot {report.batch_id}{state} — {number(report.rows_read)} lignes lues, "
                       f"{report.counts_text()}")  # fmt: skip
            for column, what in report.dropped_columns.items():
                typer.echo(f"  colonne {column} écartée : contient {what}")


def _refused(error: OLSError) -> NoReturn:
    """Print a refused file's message as ``erreur: …`` (the files before it stay ingested) and stop with status 1."""
    print_error(error)
    raise typer.Exit(1)


def _progress(*, hidden: bool) -> Progress:
    """A transient progress bar on stderr (stages of one file)."""
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True, disable=hidden)


def _progress_hook(bar: Progress, name: str) -> Callable[[str, int, int], None]:
    """The ingest's progress callback: shown only for files large enough to wait for."""
    task = bar.add_task(name, visible=False)

    def hook(stage: str, done: int, total: int) -> None:
        bar.update(task, description=f"{name} — {stage}", completed=done, total=total,
                   visible=total >= PROGRESS_MIN_ROWS)  # fmt: skip

    return hook
