"""Commands for patrol planning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import app, console, migrated_engine, operator

patrol_app = typer.Typer(help="Patrol planning for the police municipale.", no_args_is_help=True)
app.add_typer(patrol_app, name="patrol")


def start_point(connection: Any, start: str) -> tuple[float, float]:
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
            "--holidays/--school-days", help="Score with holiday days' facts only, or school days' (territories' zone)"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Plan the stops and routes of a shift, explain each stop, and write GPX, GeoJSON or PDF."""
    from ols.patrols.candidates import from_file, from_observatory, recent_visits
    from ols.patrols.outputs import save_plan, to_geojson, to_gpx, to_pdf
    from ols.patrols.planning import Shift, parse_window, plan, rotate
    from ols.periods import parse_period
    from ols.reference.streets import graph_of, load_edges, read_edges

    shift = parse_window(window)
    engine = migrated_engine()
    with engine.begin() as connection:
        origin = start_point(connection, start)
        if candidates is not None:
            places = from_file(candidates)
        else:
            if period is None:
                raise typer.BadParameter("--period is needed unless --candidates gives the places")
            places = from_observatory(connection, parse_period(period), shift, operator(), holidays=holidays,
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
    from ols.patrols.outputs import log_stop

    with migrated_engine().begin() as connection:
        log_stop(connection, plan_id, team, stop, done=done)
    typer.echo(f"plan {plan_id}, équipe {team}, arrêt {stop} : {'fait' if done else 'non fait'}")
