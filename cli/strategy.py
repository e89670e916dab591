"""Commands for the strategy's follow-up: the strategy file, indicators, the tableau de bord, and the cellule de
veille's meetings (``ols strategy …``, ``ols meeting …``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.common import app, migrated_engine, operator
from ols.periods import parse_period
from ols.wording import number

strategy_app = typer.Typer(help="The STSPD: fiches actions, indicators, tableau de bord.", no_args_is_help=True)
meeting_app = typer.Typer(help="Cellule de veille meetings and their relevé de décisions.", no_args_is_help=True)
app.add_typer(strategy_app, name="strategy")
app.add_typer(meeting_app, name="meeting")


@strategy_app.command("load")
def strategy_load(file: Path) -> None:
    """Load (or amend) the strategy from a YAML or XLSX file: axes, fiches actions, indicators."""
    from ols.strategy.files import load_strategy_file

    with migrated_engine().begin() as connection:
        counts = load_strategy_file(connection, file, by=operator().name)
    typer.echo(f"Stratégie chargée : {counts['axes']} axes, {counts['actions']} fiches actions, "
               f"{counts['indicators']} indicateurs.")  # fmt: skip


@strategy_app.command("template")
def strategy_template(out: Annotated[Path, typer.Option(help="strategie.xlsx or strategie.yaml")]) -> None:
    """Write a blank, commented strategy file for a coordinator to fill (XLSX or YAML, by the suffix)."""
    from ols.strategy.files import write_template

    write_template(out)
    typer.echo(f"Modèle de stratégie écrit : {out} (à remplir puis charger avec « ols strategy load »)")


@strategy_app.command("compute")
def strategy_compute(period: Annotated[str, typer.Option(help="2025, 2025-S1…")]) -> None:
    """Compute the observatory's indicators for a period (a refresh does it for its own)."""
    from ols.strategy.indicators import compute_indicators

    with migrated_engine().begin() as connection:
        values = compute_indicators(connection, parse_period(period))
    typer.echo(f"{len(values)} indicateurs calculés pour {period} : "
               + ", ".join(f"{code} {number(value)}" for code, value in values.items()))  # fmt: skip


@strategy_app.command("enter")
def strategy_enter(code: str, period: str, value: float) -> None:
    """Enter a partner's value of an indicator for a period (kept with who entered it)."""
    from ols.strategy.indicators import enter_value

    with migrated_engine().begin() as connection:
        enter_value(connection, code, parse_period(period), value, operator())
    typer.echo(f"{code} {period} : {number(value, 1)} saisi.")


@strategy_app.command("state")
def strategy_state(
    code: str, state: Annotated[str, typer.Argument(help="a_lancer, en_cours, realisee, abandonnee")]
) -> None:
    """Change a fiche action's state (the change is dated)."""
    from ols.strategy.plan import set_action_state

    with migrated_engine().begin() as connection:
        set_action_state(connection, code, state, operator())
    typer.echo(f"Fiche {code} : {state}.")


@strategy_app.command("dashboard")
def strategy_dashboard(out: Annotated[Path, typer.Option(help="tableau-de-bord.xlsx")]) -> None:
    """Write the tableau de bord as an XLSX for the conseil."""
    from ols.strategy.outputs import dashboard_workbook

    with migrated_engine().connect() as connection:
        out.write_bytes(dashboard_workbook(connection, operator()))
    typer.echo(f"Tableau de bord écrit : {out}")


@meeting_app.command("new")
def meeting_new(
    held_on: Annotated[str, typer.Option("--date", help="AAAA-MM-JJ")],
    territory: Annotated[str, typer.Option(help="Code of the commune (59410)")],
    partner: Annotated[list[str], typer.Option(help="Source code of a partner present (repeat)")],
) -> None:
    """Open a meeting with the agenda OLS proposes."""
    from ols.strategy.meetings import new_meeting

    with migrated_engine().begin() as connection:
        meeting_id = new_meeting(connection, date.fromisoformat(held_on), territory, partner, operator())
    typer.echo(f"Réunion {meeting_id} ouverte.")


@meeting_app.command("decide")
def meeting_decide(
    meeting_id: int,
    text: Annotated[str, typer.Option(help="The decision, without any nominative data")],
    partner: Annotated[str, typer.Option(help="Source code of the partner in charge")],
    due: Annotated[str | None, typer.Option(help="Due date AAAA-MM-JJ")] = None,
    zone: str | None = None,
    police_only: Annotated[
        bool, typer.Option("--police-only", help="Shown to the police and coordinator only")
    ] = False,
) -> None:
    """Record a decision of an open meeting."""
    from ols.strategy.meetings import add_decision

    values = {"text": text, "partner": partner, "zone": zone, "due_on": date.fromisoformat(due) if due else None,
              "confidentiality": "police" if police_only else "partners"}  # fmt: skip
    with migrated_engine().begin() as connection:
        decision_id = add_decision(connection, meeting_id, values, operator())
    typer.echo(f"Décision {decision_id} enregistrée.")


@meeting_app.command("show")
def meeting_show(
    meeting_id: int, pdf: Annotated[Path | None, typer.Option(help="Write the one-page PDF")] = None
) -> None:
    """Show a meeting's agenda and relevé de décisions (and write its PDF)."""
    from ols.strategy.meetings import meeting
    from ols.strategy.outputs import DECISION_STATES, french_date, meeting_document

    with migrated_engine().connect() as connection:
        record = meeting(connection, meeting_id, operator())
        if pdf:
            pdf.write_bytes(meeting_document(connection, meeting_id, operator()))
    agenda = record["agenda"]
    typer.echo(f"Réunion {record['id']} du {french_date(record['held_on'])} ({record['territory']}) — "
               f"{'close' if record['state'] == 'closed' else 'en cours'}")  # fmt: skip
    typer.echo(f"  décisions encore ouvertes : {', '.join(str(d['id']) for d in agenda['open_decisions']) or 'aucune'}")
    for key, label in (("entering", "zones entrant en vigilance"), ("leaving", "zones sortant de vigilance")):
        typer.echo(f"  {label} : {', '.join(z['name'] for z in agenda.get(key, [])) or 'aucune'}")
    for decision in record["decisions"]:
        state = DECISION_STATES[decision["state"]]
        typer.echo(f"  décision {decision['id']} ({state}) : {decision['text']} — {decision['partner']}")
    if pdf:
        typer.echo(f"PDF écrit : {pdf}")


@meeting_app.command("close")
def meeting_close(meeting_id: int) -> None:
    """Close a meeting: its relevé no longer changes."""
    from ols.strategy.meetings import close_meeting

    with migrated_engine().begin() as connection:
        close_meeting(connection, meeting_id, operator())
    typer.echo(f"Réunion {meeting_id} close.")
