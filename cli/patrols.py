"""Commands for patrol planning."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import app, migrated_engine, operator
from ols.errors import InvalidInputError
from ols.patrols.outputs import to_geojson, to_gpx
from ols.wording import number

if TYPE_CHECKING:
    from ols.patrols.planning import Plan
    from ols.patrols.service import PlannedShift

patrol_app = typer.Typer(help="Patrol planning for the police municipale.", no_args_is_help=True)
app.add_typer(patrol_app, name="patrol")


def _geojson(result: Plan) -> bytes:
    return json.dumps(to_geojson(result), ensure_ascii=False).encode()


WRITERS: dict[str, Callable[[Plan], bytes]] = {".gpx": lambda result: to_gpx(result).encode(),
                                               ".geojson": _geojson, ".json": _geojson}  # fmt: skip


@patrol_app.command("plan")
def patrol_plan(
    window: Annotated[str, typer.Option(help="'ven 18:00-23:00'")],
    out: Annotated[Path, typer.Option(help="plan.geojson, plan.gpx or plan.pdf")],
    start: Annotated[str, typer.Option(help="A loaded place ('Hôtel de ville') or 'lon,lat'")],
    period: Annotated[str | None, typer.Option(help="Period whose facts score the places (e.g. 2026-S1)")] = None,
    teams: int = 2,
    mode: Annotated[str, typer.Option(help="pedestre (pédestre), cycliste or vehicule (véhicule)")] = "pedestre",
    stops: Annotated[int, typer.Option(help="Stops per team")] = 8,
    dwell: Annotated[int, typer.Option(help="Typical stop in minutes (randomised, kept within 10–16)")] = 12,
    seed: int | None = None,
    streets: Annotated[Path | None, typer.Option(help="Plan on this street file instead of the loaded network")] = None,
    candidates: Annotated[Path | None, typer.Option(help="GeoJSON points to visit (optional 'weight')")] = None,
    families: Annotated[str | None, typer.Option(help="Families that score the places, comma-separated")] = None,
    holidays: Annotated[
        bool | None,
        typer.Option(
            "--holidays/--school-days",
            help="Score with holiday days' facts only, or school days' only (territories' zone)",
        ),
    ] = None,
    commune: Annotated[str | None, typer.Option(help="INSEE code of the plan's commune (default: the start's)")] = None,
    communes: Annotated[
        str | None, typer.Option(help="A brigade intercommunale's communes, INSEE codes comma-separated")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Plan the stops and routes of a shift in one commune (or a brigade's), explain each stop, write GPX, GeoJSON
    or PDF."""
    from ols.patrols.candidates import from_file
    from ols.patrols.service import ShiftRequest, plan_shift
    from ols.patrols.sheet import backdrop, to_pdf
    from ols.reference.streets import read_edges

    if out.suffix.lower() not in (*WRITERS, ".pdf"):
        raise InvalidInputError("--out se termine par .gpx, .geojson ou .pdf")
    if commune and communes:
        raise InvalidInputError("donnez soit --commune (une commune), soit --communes (une brigade intercommunale)")
    plan_communes = [commune] if commune else [code.strip() for code in communes.split(",")] if communes else None
    request = ShiftRequest(window=window, start=start, period=period, teams=teams, mode=mode, stops=stops,
                           dwell=dwell, seed=seed, families=families.split(",") if families else None,
                           holidays=holidays, communes=plan_communes,
                           candidates=from_file(candidates) if candidates else None,
                           edges=read_edges(streets) if streets else None)  # fmt: skip
    with migrated_engine().begin() as connection:
        planned = plan_shift(connection, request, operator())
        if out.suffix.lower() == ".pdf":  # the sheet's streets and stop names come from the database
            out.write_bytes(to_pdf(planned.plan, backdrop(connection, planned.plan, request.edges)))
    if out.suffix.lower() != ".pdf":
        out.write_bytes(WRITERS[out.suffix.lower()](planned.plan))
    report_plan(planned, out, as_json=as_json)


def report_plan(planned: PlannedShift, out: Path, *, as_json: bool) -> None:
    """Print where the plan was written and each team's stops (or a JSON summary)."""
    result = planned.plan
    if as_json:
        summary = {"plan_id": planned.plan_id, "out": str(out), "notes": result.notes,
                   "teams": [{"team": r.team, "stops": len(r.stops), "distance_m": round(r.distance_m),
                              "duration_min": round(r.duration_min)} for r in result.routes]}  # fmt: skip
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(f"plan {planned.plan_id} écrit dans {out}" + (f" ({'; '.join(result.notes)})" if result.notes else ""))
    for route in result.routes:
        typer.echo(f"  équipe {route.team} : {len(route.stops)} arrêts, {number(route.distance_m / 1000, 1)} km, "
                   f"{route.duration_min:.0f} min")  # fmt: skip
        for stop in route.stops:
            typer.echo(f"    {stop.position:>2}. {stop.arrival} ({stop.dwell_min} min) {stop.candidate.reason}")


@patrol_app.command("log")
def patrol_log(
    plan_id: Annotated[int, typer.Option("--plan")],
    team: Annotated[int, typer.Option()],
    stop: Annotated[int, typer.Option()],
    done: Annotated[bool, typer.Option("--done/--not-done")] = True,
    reason: Annotated[
        str | None, typer.Option(help="Why a stop was not made: intervention, effectif, acces, meteo, annule, autre")
    ] = None,
) -> None:
    """Record from the main courante whether a stop was made (and, if not, why: a code, never free text)."""
    from ols.patrols.records import OUTCOMES, log_stop

    with migrated_engine().begin() as connection:
        log_stop(connection, operator(), plan_id, team, stop, done=done, outcome=reason)
    why = f" ({OUTCOMES[reason]})" if reason else ""
    typer.echo(f"plan {plan_id}, équipe {team}, arrêt {stop} : {'fait' if done else 'non fait'}{why}")
