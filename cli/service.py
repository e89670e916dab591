"""Commands for the service: users, audit, the API server, exports and reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import CommuneOption, SectorOption, app, area_of, audience_for, migrated_engine, print_table
from ols.access.roles import Role
from ols.errors import InvalidInputError

users_app = typer.Typer(help="API users: roles, territory scope, tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The append-only audit log of sensitive reads and exports.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="The user's role")],
    territory: Annotated[
        list[str] | None, typer.Option(help="Territory code the user may see (repeat); all if omitted")
    ] = None,
    source: Annotated[str | None, typer.Option(help="For a partner: its source code")] = None,
    sector: Annotated[
        list[str] | None, typer.Option(help="Sector code the user may see, with the sectors below it (repeat)")
    ] = None,
) -> None:
    """Create a user and print its token once (only its argon2 hash is stored)."""
    from etl.privacy.accounts import account_name
    from ols.access.users import create_user

    with migrated_engine().begin() as connection:
        token = create_user(connection, account_name(name), role=role.value, territories=territory or [], source=source,
                            sectors=sector or [])  # fmt: skip
    typer.echo(token)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: its token and its sessions stop working at once."""
    from ols.access.users import disable_user

    with migrated_engine().begin() as connection:
        found = disable_user(connection, name)
    typer.echo(f"{name} désactivé" if found else f"pas d'utilisateur {name}")


@audit_app.command("list")
def audit_list(
    limit: int = 50,
    user: Annotated[str | None, typer.Option()] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """The latest audit entries, newest first."""
    from ols.access.audit import entries

    with migrated_engine().connect() as connection:
        frame = entries(connection, limit=limit, user=user)
    print_table(frame, output_format)


@app.command("serve")
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the API (uvicorn) on the embedded or configured database."""
    import uvicorn

    from api.main import configure_logging, server_options
    from ols.settings import api_settings

    migrated_engine()
    configure_logging()
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers, log_config=None,
                access_log=False, **server_options(api_settings()))  # fmt: skip


export_app = typer.Typer(help="Map snapshots and tables for the bilan (audited).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("map")
def export_map_command(
    period: Annotated[str, typer.Option()],
    out: Annotated[Path, typer.Option(help="carte.png or carte.pdf")],
    layers: Annotated[str, typer.Option(help="heatmap,zones,boundary,places,deal_points")] = "heatmap,zones",
    resolution: Annotated[int | None, typer.Option(help="8, 9 or 10 (default: the audience's usual grid)")] = None,
    family: Annotated[str | None, typer.Option()] = None,
    role: Annotated[Role, typer.Option(help="Audience of the map")] = Role.COORDINATOR,
    territory: Annotated[list[str] | None, typer.Option(help="Audience's territory (repeat); all if omitted")] = None,
    source: Annotated[str | None, typer.Option(help="For a partner audience: its source code")] = None,
    commune: CommuneOption = None,
    sector: SectorOption = None,
    paper: Annotated[str, typer.Option(help="A4 or A3 (landscape)")] = "A4",
    dpi: Annotated[int, typer.Option(help="200 or 300 (PNG)")] = 200,
    author: Annotated[
        str | None, typer.Option(help="Who publishes the map (default: the coordinator's account)")
    ] = None,
) -> None:
    """A print-quality A4 or A3 landscape map (PNG at 200 or 300 dpi, or vector PDF), cut for the given audience
    (and to one commune or sector when asked, its sectors outlined), signed by ``--author`` or the coordinator."""
    from ols.access import audit
    from ols.access.users import coordinator
    from ols.periods import parse_period
    from ols.publishing.mapexport import Snapshot, export_map

    audience = audience_for(role, territory, source)
    with migrated_engine().begin() as connection:
        area = area_of(connection, audience, commune, sector)
        signed = author or coordinator(connection) or "la coordination de l'observatoire"
        spec = Snapshot(parse_period(period), tuple(layers.split(",")), resolution, family, area, paper, dpi, signed)
        export_map(connection, spec, audience, out)
        parameters = {"period": period, "layers": layers, "resolution": resolution, "out": out.name,
                      "territories": list(audience.territories), "commune": commune, "sector": sector,
                      "paper": paper, "dpi": dpi, "author": signed}  # fmt: skip
        audit.record(connection, user=audience.name, role=role, action="export", resource="map",
                     parameters=parameters)  # fmt: skip
    typer.echo(f"carte écrite : {out}")


@export_app.command("gpkg")
def export_gpkg_command(
    period: Annotated[str, typer.Option()],
    out: Annotated[Path, typer.Option(help="obs.gpkg")],
    crs: Annotated[int, typer.Option(help="2154 (Lambert-93) or 4326")] = 2154,
    role: Annotated[Role, typer.Option(help="Audience of the GeoPackage")] = Role.COORDINATOR,
    territory: Annotated[list[str] | None, typer.Option(help="Audience's territory (repeat); all if omitted")] = None,
    source: Annotated[str | None, typer.Option(help="For a partner audience: its source code")] = None,
) -> None:
    """A GeoPackage of the period's layers for QGIS (hexagons, hot spots, zones, places, territories)."""
    from ols.access import audit
    from ols.periods import parse_period
    from ols.publishing.gpkg import CRS_CHOICES, export_gpkg

    if crs not in CRS_CHOICES:
        raise InvalidInputError("--crs vaut 2154 ou 4326")
    audience = audience_for(role, territory, source)
    with migrated_engine().begin() as connection:
        layers = export_gpkg(connection, parse_period(period), audience, out, crs=crs)
        parameters = {"period": period, "crs": crs, "out": out.name, "territories": list(audience.territories)}
        audit.record(connection, user=audience.name, role=role, action="export", resource="gpkg",
                     parameters=parameters)  # fmt: skip
    typer.echo(f"{out}: {', '.join(layers)} (EPSG:{crs})")


@app.command("report")
def report_command(
    kind: Annotated[str, typer.Argument(help="weekly, monthly or annual")],
    week: Annotated[str | None, typer.Option(help="2024-W48 (weekly)")] = None,
    month: Annotated[str | None, typer.Option(help="2024-11 (monthly)")] = None,
    year: Annotated[str | None, typer.Option(help="2024 (annual)")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the HTML, PDF, XLSX and CSV files")] = Path("out/reports"),
    role: Annotated[Role, typer.Option(help="Audience of the report")] = Role.COORDINATOR,
    territory: Annotated[list[str] | None, typer.Option(help="Audience's territory (repeat); all if omitted")] = None,
    source: Annotated[str | None, typer.Option(help="For a partner audience: its source code")] = None,
    commune: CommuneOption = None,
    sector: SectorOption = None,
) -> None:
    """Récapitulatif hebdomadaire, bilan mensuel or bilan annuel: HTML + PDF + tables (XLSX, CSV), of the whole
    observatory (an intercommunal one's annual report: a chapter per commune) or of one commune or sector."""
    from ols.publishing.reporting import make_report

    period = {"weekly": week, "monthly": month, "annual": year}.get(kind)
    if period is None:
        raise InvalidInputError("écrivez ols report weekly --week S, monthly --month M ou annual --year A")
    audience = audience_for(role, territory, source)
    with migrated_engine().begin() as connection:
        files = make_report(connection, kind, period, audience, out, commune=commune, sector=sector)
    for path in files:
        typer.echo(str(path))
