"""Commands for video-protection: load cameras, the coverage of a period (and its extension), the CSU's figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import app, area_of, audience_for, migrated_engine
from ols.access.roles import Role
from ols.wording import number, percent

cameras_app = typer.Typer(help="Video-protection cameras.", no_args_is_help=True)
app.add_typer(cameras_app, name="cameras")
coverage_app = typer.Typer(help="Video-protection coverage of a period.", invoke_without_command=True)
app.add_typer(coverage_app, name="coverage")


@cameras_app.command("load")
def cameras_load(
    file: Annotated[Path, typer.Argument(help="Paris open-data list (;) or a CSV code,name,lon,lat[,radius_m,...]")],
    radius: Annotated[float, typer.Option(help="Radius in metres of the cameras the file gives none for")] = 50.0,
) -> None:
    """Load (or update) cameras, keyed by code, with their coverage disc or view cone."""
    from ols.coverage.cameras import caveat, read_cameras, save_cameras

    cameras = read_cameras(file, radius=radius)
    with migrated_engine().begin() as connection:
        saved = save_cameras(connection, cameras, source_file=file.name)
        said = caveat(connection)
    typer.echo(f"{number(saved)} caméras enregistrées depuis {file.name}. {said}")


def _pct(share: float | None, decimals: int = 1) -> str:
    return "—" if share is None else percent(100 * share, decimals)


def _summary(result: dict[str, Any]) -> None:
    facts, cells = result["facts"], result["hot_cells"]
    shown = "< seuil" if facts["covered"] is None else number(facts["covered"])
    typer.echo(f"Période {result['period']} : {number(result['cameras'])} caméras actives ; faits couverts : {shown} "
               f"sur {number(facts['total'])} ({_pct(facts['share'])}) ; mailles chaudes couvertes : "
               f"{cells['covered']} sur {cells['total']} ({_pct(cells['share'])}) — {cells['method']}")  # fmt: skip
    for rank, cell in enumerate(cells["uncovered"][:10], 1):
        typer.echo(
            f"  {rank}. maille non couverte {cell['lat']:.5f}, {cell['lon']:.5f} : {number(cell['count'])} faits"
        )
    extension = result.get("extension")
    if extension:
        for key in ("solver", "greedy"):
            choice = extension[key]
            gap = "" if choice["gap"] is None else f", écart à la borne {_pct(choice['gap'], 2)}"
            typer.echo(f"  {choice['method']} : {len(choice['sites'])} sites couvrent {number(choice['covered'])} "
                       f"faits non couverts des semestres {', '.join(extension['semesters'])}{gap}")  # fmt: skip
    for caveat in result["caveats"]:
        typer.echo(f"Attention : {caveat}")


@coverage_app.callback()
def coverage(
    context: typer.Context,
    period: Annotated[str | None, typer.Option(help="Period (2025-S1, 2025-03...)")] = None,
    extend: Annotated[int | None, typer.Option(min=1, max=50, help="Find the best K new camera sites")] = None,
    semesters: Annotated[int, typer.Option(min=1, max=8, help="Semesters of facts the extension covers")] = 4,
    commune: Annotated[str | None, typer.Option(help="INSEE code of one commune")] = None,
    role: Annotated[Role, typer.Option(help="Audience of the result")] = Role.COORDINATOR,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Share of facts and hot cells covered by the cameras in a period, the uncovered hot cells, the best k sites."""
    from ols.coverage.service import coverage as compute

    if context.invoked_subcommand is not None:
        return
    if period is None:
        raise typer.BadParameter("indiquez la période (--period 2025-S1)")
    audience = audience_for(role)
    with migrated_engine().begin() as connection:
        area = area_of(connection, audience, commune, None)
        result = compute(connection, period, audience, area=area, extend=extend, semesters=semesters)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, default=str, indent=1))
    else:
        _summary(result)


@coverage_app.command("csu-enter")
def csu_enter(
    period: Annotated[str, typer.Option(help="Period of the figures (2025-S1, 2025-03...)")],
    provenance: Annotated[str, typer.Option(help="Where the figures come from (registre du CSU, logiciel...)")],
    intervener: Annotated[str, typer.Option(help="Whom the interventions were requested of ('' : all)")] = "",
    hours: Annotated[float | None, typer.Option(help="Hours of supervision")] = None,
    interventions: Annotated[int | None, typer.Option(help="Interventions requested")] = None,
    arrests: Annotated[int | None, typer.Option(help="Arrests in the act")] = None,
    requisitions: Annotated[int | None, typer.Option(help="Réquisitions judiciaires of images")] = None,
) -> None:
    """Enter (or correct) the CSU's activity and utility figures of a period."""
    from cli.common import operator
    from ols.coverage.csu import CsuEntry, enter

    entry = CsuEntry(period, provenance, intervener, hours, interventions, arrests, requisitions)
    with migrated_engine().begin() as connection:
        enter(connection, entry, operator().name)
    typer.echo(f"Chiffres du CSU enregistrés pour {period}{f' ({intervener})' if intervener else ''}.")
