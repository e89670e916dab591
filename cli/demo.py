"""The README main job: a demo territory, its cartography, a patrol plan and the demo logins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from cli.cartography import print_summary, print_sync
from cli.common import app, migrated_engine, operator


def install_demo_zones(folder: Path, source: Path) -> None:
    """Copy the demonstration zones of the repository (``source``, the demo's folder) into the zones folder.

    A file already there is kept: a demo zone edited through the API is not overwritten.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.geojson")):
        if not (folder / path.name).exists():
            shutil.copyfile(path, folder / path.name)


def demo_patrol(engine: Engine, out: Path, period: Any, start: str) -> None:
    """A Friday-evening plan for two pedestrian teams from ``start``, routed on the demo's synthetic streets."""
    from ols.patrols.outputs import to_geojson, to_gpx
    from ols.patrols.service import ShiftRequest, plan_shift
    from ols.patrols.sheet import backdrop, to_pdf

    request = ShiftRequest(window="ven 18:00-23:00", start=start, period=period.name, teams=2,
                           stops=6, seed=2024)  # fmt: skip
    with engine.begin() as connection:
        result = plan_shift(connection, request, operator()).plan
        sheet = to_pdf(result, backdrop(connection, result))
    (out / "plan-vendredi.geojson").write_text(json.dumps(to_geojson(result), ensure_ascii=False), encoding="utf-8")
    (out / "plan-vendredi.gpx").write_text(to_gpx(result), encoding="utf-8")
    (out / "plan-vendredi.pdf").write_bytes(sheet)
    teams = "; ".join(f"équipe {r.team} : {len(r.stops)} arrêts" for r in result.routes)
    typer.echo(f"Plan de patrouille du vendredi soir : {out}/plan-vendredi.pdf (.gpx, .geojson) — {teams}")


def demo_sheets(engine: Engine, out: Path, period: Any, seed: int) -> None:
    """Synthetic cameras at the metro stations, then the sheet of a station, of its sector, and the schéma local
    of its commune, as PDF."""
    from etl.demo.cameras import demo_cameras
    from ols.sheets.service import local_plan_document, sheet_document, station_and_sector, write

    with engine.begin() as connection:
        cameras = demo_cameras(connection, seed)
        found = station_and_sector(connection)
        if found is None:
            typer.echo("Pas de station de métro dans un secteur de la démo : pas de fiches de démonstration.")
            return
        station, sector, commune = found
        audience = operator()
        files = [write(sheet_document(connection, "place", station, period.name, audience, ".pdf"),
                       out / "fiche-station.pdf"),
                 write(sheet_document(connection, "sector", sector, period.name, audience, ".pdf"),
                       out / "fiche-secteur.pdf"),
                 write(local_plan_document(connection, commune, period.name, audience, ".pdf"),
                       out / "schema-local.pdf")]  # fmt: skip
    typer.echo(f"{cameras} caméras synthétiques ; fiches : {', '.join(str(path) for path in files)}")


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option(help="Where to write the synthetic partner files")] = Path("out/demo"),
    seed: int = 2024,
    territory: Annotated[str, typer.Option(help="Demo territory: mons (a CLSPD) or cispd-lhe (a CISPD)")] = "mons",
    scale: Annotated[float, typer.Option(min=0.01, max=1.0, help="Share of the demo's volume of facts")] = 1.0,
) -> None:
    """Load a demo territory, ingest synthetic partner exports and its demo zones, refresh its last two semesters,
    follow its strategy (indicators, two cellule de veille meetings)."""
    from etl.demo.followup import demo_follow_up
    from etl.demo.run import demo_semesters, run_demo
    from etl.demo.spec import demo_named
    from ols.access.users import reset_demo_users
    from ols.cartography.refresh import refresh
    from ols.cartography.zones import sync_declared
    from ols.settings import api_settings

    spec = demo_named(territory)
    engine = migrated_engine()
    run_demo(engine, out=out, seed=seed, echo=typer.echo, demo=spec, scale=scale)
    zones = api_settings().zones_dir
    install_demo_zones(zones, spec.zones)
    with engine.begin() as connection:
        print_sync(sync_declared(connection, zones))
    for period in demo_semesters():
        print_summary(refresh(engine, period))
    demo_patrol(engine, out, demo_semesters()[-1], spec.patrol_start)
    demo_sheets(engine, out, demo_semesters()[-1], seed)
    demo_follow_up(engine, spec, out, operator(), typer.echo)
    with engine.begin() as connection:
        logins = reset_demo_users(connection)
    typer.echo("Connexions de démonstration (jeton à coller sur la page de connexion) :")
    for role, (name, token) in logins.items():
        typer.echo(f"  {role.value:<12} {name:<24} {token}")
