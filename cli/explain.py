"""``ols explain``: « Pourquoi cette cellule ? » at the command line, the same service as the API and the reports."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import app, audience_for, migrated_engine
from ols.access.roles import Role
from ols.caveats import TITLE


@app.command("explain")
def explain_command(
    period: Annotated[str, typer.Option(help="2026-S1, 2025...")],
    cell: Annotated[str | None, typer.Option(help="Identifiant H3 de la cellule")] = None,
    zone: Annotated[str | None, typer.Option(help="Code de la zone de vigilance")] = None,
    family: Annotated[str | None, typer.Option(help="Une famille ; toutes si omise")] = None,
    role: Annotated[Role, typer.Option(help="Pour qui : ce que ce rôle peut voir")] = Role.COORDINATOR,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Explain in French why a cell or a zone is (or is not) a hot spot, for a role."""
    from ols.cartography.explain import Question, explain
    from ols.periods import parse_period

    question = Question(parse_period(period), cell=cell, zone=zone, family=family)
    with migrated_engine().connect() as connection:
        found = explain(connection, question, audience_for(role))
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, default=str))
        return
    typer.echo(f"{found['title']} — {found['period_label']}, {found['family_label']}")
    for sentence in found["sentences"]:
        typer.echo(f"  {sentence}")
    typer.echo(f"{TITLE} :")
    for caveat in found["caveats"]:
        typer.echo(f"  • {caveat}")
