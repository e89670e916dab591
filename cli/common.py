"""Shared pieces of the ``ols`` command line: the app, the consoles, the engine, table printing."""

from __future__ import annotations

import getpass
import logging
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table
from rich.text import Text
from sqlalchemy import Connection, Engine

from ols.access.audience import Audience
from ols.access.roles import Role
from ols.errors import OLSError
from ols.reference.areas import Area
from ols.settings import check_all
from ols.store import db

app = typer.Typer(help="Observatoire Local de la Sécurité", no_args_is_help=True, pretty_exceptions_enable=False)
# No markup: what the consoles print quotes files, columns, cells and paths, where "[/x]" or "[bold]" is text.
console = Console(stderr=True, markup=False)
output = Console(width=None if sys.stdout.isatty() else 240, markup=False)
PROGRESS_MIN_ROWS = 5_000
CommuneOption = Annotated[
    str | None, typer.Option(help="Code INSEE (ou code de territoire) d'une commune : le résultat pour elle seule")
]
SectorOption = Annotated[
    str | None,
    typer.Option(help="Code d'un secteur (quartier, IRIS...) : le résultat pour lui seul, sous-secteurs compris"),
]


@app.callback()
def verbosity(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show each step OLS takes (logs on stderr)")] = False,
) -> None:
    """Observatoire Local de la Sécurité.

    Before any command: logging at the level asked for, and every ``OLS_*`` setting read, so that a
    bad value stops here, named in French.
    """
    handler = RichHandler(console=console, show_path=False, show_time=False)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler], force=True)
    check_all()


def print_error(error: Exception) -> None:
    """``erreur: …`` on stderr, the message as plain text (a file or column it names may hold ``[/x]``)."""
    console.print(Text.assemble(("erreur:", "red"), f" {error}"))


def main() -> None:
    """Run the CLI, turning OLS errors into a one-line message and exit code 1."""
    try:
        app()
    except OLSError as error:
        print_error(error)
        sys.exit(1)


def audience_for(role: Role, territories: list[str] | None = None, source: str | None = None) -> Audience:
    """The audience an export or a report is made for, by the person at the command line."""
    from ols.settings import api_settings

    return Audience.of(getpass.getuser(), role.value, territories=tuple(territories or ()), source=source,
                       threshold=api_settings().suppression_threshold)  # fmt: skip


def operator() -> Audience:
    """The audience of the commands an operator runs for itself (the coordinator's)."""
    from ols.settings import api_settings

    return Audience.operator(threshold=api_settings().suppression_threshold)


def area_of(connection: Connection, audience: Audience, commune: str | None, sector: str | None) -> Area:
    """The commune or sector asked for (``--commune``, ``--sector``), if it lies in the audience's area; its area
    when none is asked."""
    return audience.check_area(connection, Area.parse(connection, commune, sector))


def migrated_engine() -> Engine:
    """The configured database's engine, migrated to the latest schema on first use."""
    engine = db.get_engine()
    with engine.connect() as connection:
        if db.current_revision(connection) is None:
            db.migrate()
    return engine


def print_table(frame: Any, output_format: str) -> None:
    import pandas as pd

    from ols.publishing.tables import to_excel_csv

    if output_format == "csv":
        sys.stdout.write(to_excel_csv(frame))
    elif output_format == "json":
        typer.echo(frame.to_json(orient="records", force_ascii=False))
    else:
        table = Table(*map(str, frame.columns))
        for row in frame.itertuples(index=False):
            table.add_row(*("" if pd.isna(value) else str(value) for value in row))
        output.print(table)
