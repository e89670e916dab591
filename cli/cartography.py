"""Commands for the semester cartography: refresh, hot spots, zones, editions, indicators, profiles
(near-repeat and veille croisée: :mod:`cli.analysis`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import CommuneOption, SectorOption, app, area_of, migrated_engine, operator, print_table
from ols.errors import InvalidInputError
from ols.wording import number, pattern_label

if TYPE_CHECKING:
    from ols.cartography.zones import DeclaredSync

zones_app = typer.Typer(help="Vigilance zones: declared files and computed zones.", no_args_is_help=True)
editions_app = typer.Typer(help="Published (frozen) semester cartographies.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
app.add_typer(editions_app, name="editions")


def print_summary(summary: dict[str, Any]) -> None:
    typer.echo(f"{summary['label']} ({summary['period']}) : {number(summary['events'])} faits, "
               f"{number(summary['seconds'], 1)} s")  # fmt: skip
    typer.echo(f"  faits fusionnés avec le signalement d'un autre partenaire : {summary.get('merged', 0)} ; "
               f"activité des services, comptée à part : {summary.get('activity', 0)}")  # fmt: skip
    for resolution, classes in summary["hotspots"].items():
        hot = sum(count for name, count in classes.items() if name.startswith("hot"))
        reason = summary.get("hotspot_status", {}).get(resolution, {}).get("reason")
        typer.echo(f"  points chauds {resolution} : {reason or f'{number(hot)} cellules significatives'}")
    if summary["emerging"]:
        patterns = ", ".join(f"{pattern_label(name)} : {count}" for name, count in summary["emerging"].items()
                             if name != "no_pattern")  # fmt: skip
        typer.echo(f"  tendances : {patterns or 'aucune'}")
    elif (summary.get("emerging_status") or {}).get("reason"):
        typer.echo(f"  tendances : {summary['emerging_status']['reason']}")
    for left_out in summary.get("zones_left_out", []):
        typer.echo(f"  pas de zone : {left_out}")
    for zone in summary["zones"]:
        typer.echo(
            f"  {zone['code']} : {zone['cells']} cellules, {number(zone['events'])} faits, "
            f"{number(zone['area_km2'], 3)} km², {zone['near']}"
        )
    if not summary["zones"]:
        typer.echo("  aucune zone de vigilance calculée")


@app.command("refresh")
def refresh_command(
    period: Annotated[str, typer.Option(help="2024-S2, 2024-11, 2024-W48, 2024...")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rebuild aggregates, hot spots, emerging hot spots and computed zones of a period."""
    from ols.cartography.refresh import refresh
    from ols.periods import parse_period

    summary = refresh(migrated_engine(), parse_period(period))
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        print_summary(summary)


@app.command("hotspots")
def hotspots_command(
    period: Annotated[str, typer.Option()],
    family: Annotated[str | None, typer.Option(help="A family code; all families when omitted")] = None,
    resolution: Annotated[int, typer.Option()] = 9,
    output_format: Annotated[str, typer.Option("--format", help="geojson or csv")] = "geojson",
    commune: CommuneOption = None,
    sector: SectorOption = None,
) -> None:
    """Write the Gi* hot spots of a period to stdout: one row per cell of the study area (computed over the whole
    observatory; with --commune or --sector, the cells meeting it)."""
    from ols.cartography.layers import hotspot_frame, hotspots_csv, hotspots_geojson, layer_metadata
    from ols.periods import parse_period

    if output_format not in ("geojson", "csv"):
        raise InvalidInputError("--format vaut geojson ou csv")
    spec = parse_period(period)
    audience = operator()
    with migrated_engine().connect() as connection:
        area = area_of(connection, audience, commune, sector)
        frame = hotspot_frame(connection, spec, audience, resolution=resolution, family=family, area=area)
        metadata = layer_metadata(
            connection,
            spec,
            family=family or "*",
            resolution=resolution,
            method={"resolution": resolution},
            area=area.label(connection),
        )
    if output_format == "csv":
        sys.stdout.write(hotspots_csv(frame, metadata))
    else:
        sys.stdout.write(json.dumps(hotspots_geojson(frame, metadata, audience), ensure_ascii=False))


@zones_app.command("sync")
def zones_sync(
    folder: Annotated[Path | None, typer.Option(help="Dossier des fichiers de zones (défaut : OLS_ZONES_DIR)")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Supprimer aussi les zones déclarées sans fichier")] = False,
) -> None:
    """Load the declared zones of the GeoJSON files of the zones folder (OLS_ZONES_DIR, shown by ols db status)."""
    from ols.cartography.zones import sync_declared
    from ols.settings import api_settings

    folder = (folder or api_settings().zones_dir).expanduser().absolute()
    with migrated_engine().begin() as connection:
        print_sync(sync_declared(connection, folder, prune=prune))


def print_sync(result: DeclaredSync) -> None:
    """What a sync loaded, and the zones found only in the database: kept (and named) or deleted."""
    loaded = "zone déclarée chargée" if len(result.loaded) == 1 else "zones déclarées chargées"
    typer.echo(f"{len(result.loaded)} {loaded} depuis {result.folder}")
    if result.kept:
        typer.echo(f"{len(result.kept)} zone(s) déclarée(s) sans fichier dans ce dossier, gardées : "
                   f"{', '.join(result.kept)} (ols zones sync --prune les supprime)")  # fmt: skip
    if result.deleted:
        typer.echo(f"{len(result.deleted)} zone(s) déclarée(s) sans fichier supprimée(s) : {', '.join(result.deleted)}")


@zones_app.command("counts")
def zones_counts(
    period: Annotated[str, typer.Option()],
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    commune: CommuneOption = None,
    sector: SectorOption = None,
) -> None:
    """Events per zone (computed and declared) and family for a period (with --commune or --sector: the zones
    meeting it)."""
    from ols.cartography.aggregates import zone_counts
    from ols.periods import parse_period
    from ols.reference.calendar import calendar_of

    with migrated_engine().connect() as connection:
        area = area_of(connection, operator(), commune, sector)
        frame = zone_counts(connection, parse_period(period), operator(), timezone=calendar_of(connection).timezone,
                            area=area)  # fmt: skip
    print_table(frame, output_format)


@zones_app.command("compare")
def zones_compare(period: Annotated[str, typer.Option()]) -> None:
    """Declared zones no longer hot, hot areas outside declared zones, zones entering and leaving."""
    from ols.cartography.comparison import comparison
    from ols.periods import parse_period

    with migrated_engine().connect() as connection:
        result = comparison(connection, parse_period(period), operator())
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))


@editions_app.command("publish")
def editions_publish(
    period: Annotated[str, typer.Option()], by: Annotated[str, typer.Option()] = "coordinateur"
) -> None:
    """Freeze the period's cartography (what the cellule de veille saw)."""
    from ols.cartography.editions import publish
    from ols.periods import parse_period

    with migrated_engine().begin() as connection:
        edition_id = publish(connection, parse_period(period), by=by)
    typer.echo(f"édition {edition_id} publiée pour {period}")


@editions_app.command("show")
def editions_show(period: Annotated[str, typer.Option()]) -> None:
    """Print a published edition as JSON."""
    from ols.cartography.editions import edition
    from ols.periods import parse_period

    with migrated_engine().connect() as connection:
        typer.echo(json.dumps(edition(connection, parse_period(period)), ensure_ascii=False))


indicators_app = typer.Typer(help="Evolution tables and official SSMSI context figures.", no_args_is_help=True)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("load-ssmsi")
def indicators_load(path: Annotated[Path, typer.Argument(exists=True)]) -> None:
    """Load an SSMSI file (département counts or commune rates) as context indicators."""
    from ols.analysis.indicators import load_ssmsi

    with migrated_engine().begin() as connection:
        count = load_ssmsi(connection, path)
    typer.echo(f"{count} chiffres officiels chargés depuis {path.name}")


@indicators_app.command("evolution")
def indicators_evolution(
    period: Annotated[str, typer.Option(help="2025, 2025-YTD11, 2025-S2...: N; N-1 and N-2 follow")],
    by: Annotated[str, typer.Option(help="family, category or source")] = "family",
    territory: Annotated[str | None, typer.Option(help="A territory code (all when omitted)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    commune: CommuneOption = None,
    sector: SectorOption = None,
) -> None:
    """N-2, N-1, N and their evolution, from the observatory's own counts (of one commune or sector when asked)."""
    from dataclasses import replace

    from ols.analysis.indicators import local_evolution
    from ols.periods import parse_period

    audience = replace(operator(), territories=(territory,) if territory else ())
    with migrated_engine().connect() as connection:
        area = area_of(connection, audience, commune, sector)
        frame = local_evolution(connection, parse_period(period), audience, by=by, area=area)
    print_table(frame, output_format)


@indicators_app.command("official")
def indicators_official(
    year: Annotated[int, typer.Option()],
    code: Annotated[str, typer.Option(help="Département (59) or commune INSEE code (59410)")],
    scope: Annotated[str, typer.Option(help="departement or commune")] = "departement",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Official SSMSI figures for N-2..N with their evolution (context for the local tables)."""
    from ols.analysis.indicators import official_evolution

    with migrated_engine().connect() as connection:
        frame = official_evolution(connection, scope=scope, code=code, year=year)
    print_table(frame, output_format)


@app.command("profile")
def profile_command(
    period: Annotated[str, typer.Option()],
    family: Annotated[str | None, typer.Option()] = None,
    zone: Annotated[str | None, typer.Option(help="A zone code (computed or declared)")] = None,
    commune: CommuneOption = None,
    sector: SectorOption = None,
) -> None:
    """Hour × weekday profile (JSON), with the facts whose hour is unknown counted apart."""
    from ols.analysis.profiles import time_profile
    from ols.periods import parse_period

    with migrated_engine().connect() as connection:
        area = area_of(connection, operator(), commune, sector)
        profile = time_profile(connection, parse_period(period), operator(), family=family, zone=zone, area=area)
        typer.echo(json.dumps(profile))
