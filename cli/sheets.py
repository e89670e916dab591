"""Commands for the place and sector sheets, the schéma local and the partners' ambiance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import app, audience_for, migrated_engine
from ols.access.roles import Role
from ols.errors import InvalidInputError
from ols.sheets.subject import SubjectKind

sheet_app = typer.Typer(help="Place and sector sheets, and the schéma local.", invoke_without_command=True)
app.add_typer(sheet_app, name="sheet")


def _subject(place: str | None, sector: str | None, zone: str | None) -> tuple[SubjectKind, str]:
    """The one subject asked for (--place, --sector or --zone)."""
    asked: tuple[tuple[SubjectKind, str | None], ...] = (("place", place), ("sector", sector), ("zone", zone))
    given = [(kind, code) for kind, code in asked if code]
    if len(given) != 1:
        msg = "donnez un seul sujet de fiche : --place, --sector ou --zone (ou --commune pour le schéma local)"
        raise InvalidInputError(msg)
    return given[0]


@sheet_app.callback()
def sheet(
    context: typer.Context,
    period: Annotated[str | None, typer.Option(help="Period (2025-S1, 2025-03...)")] = None,
    out: Annotated[Path | None, typer.Option(help="fiche.pdf or fiche.html")] = None,
    place: Annotated[str | None, typer.Option(help="A loaded place's name (a metro station...)")] = None,
    sector: Annotated[str | None, typer.Option(help="A sector's code")] = None,
    zone: Annotated[str | None, typer.Option(help="A vigilance zone's code")] = None,
    commune: Annotated[str | None, typer.Option(help="A commune (code or INSEE): its schéma local")] = None,
    role: Annotated[Role, typer.Option(help="Audience of the sheet")] = Role.COORDINATOR,
) -> None:
    """Write the sheet of a place, sector or zone (or a commune's schéma local) for a period, as PDF or HTML."""
    from ols.sheets.service import local_plan_document, sheet_document, write

    if context.invoked_subcommand is not None:
        return
    if period is None or out is None:
        raise typer.BadParameter("indiquez la période (--period) et le fichier à écrire (--out fiche.pdf)")
    audience = audience_for(role)
    with migrated_engine().begin() as connection:
        if commune and not (place or sector or zone):
            document = local_plan_document(connection, commune, period, audience, out.suffix.lower())
        else:
            kind, code = _subject(place, sector, zone)
            document = sheet_document(connection, kind, code, period, audience, out.suffix.lower())
    typer.echo(f"Fiche écrite : {write(document, out)} (version {audience.label})")


@sheet_app.command("ambiance")
def ambiance(
    period: Annotated[str, typer.Option(help="Period (2025-S1, 2025-03...)")],
    rating: Annotated[str, typer.Option(help="calme, tendu or dégradé")],
    observation: Annotated[str, typer.Option(help="A short observation, without any name")] = "",
    place: Annotated[str | None, typer.Option(help="A loaded place's name")] = None,
    sector: Annotated[str | None, typer.Option(help="A sector's code")] = None,
    zone: Annotated[str | None, typer.Option(help="A vigilance zone's code")] = None,
    author: Annotated[str | None, typer.Option(help="Who rates (a partner's service; default: you)")] = None,
    role: Annotated[Role, typer.Option(help="Role of who rates (partner, police or coordinator)")] = Role.COORDINATOR,
) -> None:
    """Record a partner's ambiance of a place, sector or zone for a period (checked for personal data; an élu's or
    the public's is refused, as through the API)."""
    from ols.sheets import ambiance as ambiances

    kind, code = _subject(place, sector, zone)
    audience = audience_for(role)
    with migrated_engine().begin() as connection:
        subject = ambiances.enter(connection, kind, code, period, rating, observation, audience, author)
    typer.echo(
        f"Ambiance enregistrée pour {subject.name} ({period}) : {ambiances.RATINGS[ambiances.rating_code(rating)]}"
    )
