"""``ols near-repeat`` and ``ols crosswatch``: the police's analyses in French sentences and a small table
(``--json``: the whole result, as the API gives it)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from cli.common import app, migrated_engine, operator, print_table

GROUPS_HELP = "e.g. gathering+drug_trafficking,residential_burglary,vehicle_arson (the map's groups when omitted)"


def print_near_repeat(result: dict[str, Any]) -> None:
    """The Knox result as its sentence, the facts it rests on, the ratio table and the current risk areas."""
    from datetime import date

    from ols.analysis.nearrepeat import ratio_table
    from ols.wording import number

    typer.echo(result["sentence"])
    left_out = number(result["left_out_month_precision"])
    typer.echo(f"{number(result['events'])} faits datés au jour ou à l'heure ; {left_out} datés au mois seulement, "
               "laissés de côté.")  # fmt: skip
    if result["knox"] is None:
        return
    typer.echo("Paires de faits proches, observées rapportées au hasard (* : nettement au-dessus du hasard) :")
    print_table(ratio_table(result["knox"]), "table")
    areas = result["risk_zones"]["features"]
    typer.echo(f"Zones de risque au {date.fromisoformat(result['as_of']):%d/%m/%Y} : {number(len(areas))}")
    for area in areas:
        typer.echo(f"  {area['properties']['sentence']}")


@app.command("near-repeat")
def near_repeat_command(
    period: Annotated[str, typer.Option()],
    as_of: Annotated[str | None, typer.Option(help="Date of the risk zones (default: end of the period)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The whole result as JSON")] = False,
) -> None:
    """Knox test of burglaries and the zones of elevated risk around the recent ones, in French."""
    from datetime import date

    from ols.analysis.nearrepeat import near_repeat
    from ols.periods import parse_period

    with migrated_engine().connect() as connection:
        result = near_repeat(connection, parse_period(period), operator(),
                             as_of=date.fromisoformat(as_of) if as_of else None)  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        print_near_repeat(result)


def print_crosswatch(result: dict[str, Any]) -> None:
    """The places where every group is significantly above expectation, in sentences and a table."""
    import pandas as pd

    from ols.analysis.crosswatch import named_places
    from ols.wording import number

    places = named_places(result)
    typer.echo(f"Veille croisée {result['period']} : {number(len(places))} lieu(x) sur {number(result['cells'])} "
               f"hexagones étudiés (maille {result['resolution']}).")  # fmt: skip
    if not places:
        typer.echo("Aucun lieu où ces groupes de faits se concentrent ensemble plus qu'ailleurs.")
        return
    for place in places:
        typer.echo(f"  {place['sentence']}")
    frame = pd.DataFrame([{"près de": p["name"], "hexagones": len(p["cells"]), "risque que ce soit le hasard":
                           p["chance"]} for p in places])  # fmt: skip
    print_table(frame, "table")


@app.command("crosswatch")
def crosswatch_command(
    period: Annotated[str, typer.Option()],
    groups: Annotated[str | None, typer.Option(help=GROUPS_HELP)] = None,
    resolution: int = 10,
    permutations: Annotated[int | None, typer.Option(help="Shuffles per group (default: the map's)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The whole result as JSON")] = False,
) -> None:  # fmt: skip
    """Veille croisée: the places where every group of facts is significantly above expectation, in French."""
    from ols.analysis.crosswatch import WATCH_GROUPS, WATCH_PERMUTATIONS, audience_area, crosswatch, parse_groups
    from ols.periods import parse_period

    chosen = parse_groups(groups) if groups else WATCH_GROUPS
    audience = operator()
    with migrated_engine().connect() as connection:
        result = crosswatch(connection, parse_period(period), audience_area(connection, audience), chosen, audience,
                            resolution=resolution, permutations=permutations or WATCH_PERMUTATIONS)  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        print_crosswatch(result)
