"""Commands for the ingested files (batches): list them, read their rejected rows, undo one."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from cli.common import app, migrated_engine, output, print_error
from ols.errors import OLSError
from ols.wording import number

batches_app = typer.Typer(help="Ingested files and their rejected rows.", no_args_is_help=True)
app.add_typer(batches_app, name="batches")


@batches_app.command("list")
def batches_list() -> None:
    """List ingested files with their counts."""
    from etl.batches import list_batches

    with migrated_engine().connect() as connection:
        frame = list_batches(connection)
    table = Table("lot", "source", "fichier", "lu", "faits", "doublons", "rejets", "date")
    for row in frame.itertuples():
        table.add_row(
            str(row.batch_id),
            str(row.source),
            str(row.filename),
            str(row.rows_read),
            str(row.accepted),
            str(row.duplicates),
            str(row.rejected),
            f"{row.ingested_at:%Y-%m-%d %H:%M}",
        )
    output.print(table)


@batches_app.command("rejected")
def batches_rejected(
    batch_id: int,
    csv: Annotated[bool, typer.Option("--csv", help="CSV (;, UTF-8 BOM) ready to send back to the partner")] = False,
) -> None:
    """Show the rejected rows of a batch with their reasons."""
    from etl.batches import rejected_rows
    from ols.publishing.tables import to_excel_csv

    with migrated_engine().connect() as connection:
        frame = rejected_rows(connection, batch_id)
    if csv:
        sys.stdout.write(to_excel_csv(frame))
        return
    table = Table(*frame.columns[:4])
    for row in frame.iloc[:, :4].itertuples(index=False):
        table.add_row(*map(str, row))
    output.print(table)


@batches_app.command("undo")
def batches_undo(
    batch_id: int,
    by: Annotated[str | None, typer.Option(help="Who undoes it (default: the OS user), for the audit log")] = None,
) -> None:
    """Undo a batch: its facts removed, the refreshed periods holding them marked stale; audited."""
    import getpass

    from etl.batches import undo_batch

    try:
        with migrated_engine().begin() as connection:
            done = undo_batch(connection, batch_id, user=by or getpass.getuser(), role="operator")
    except OLSError as error:
        print_error(error)
        raise typer.Exit(1) from error
    stale = f" ; périodes à rafraîchir : {', '.join(done['stale_periods'])}" if done["stale_periods"] else ""
    typer.echo(f"lot {batch_id} ({done['filename']}) annulé : {number(done['facts_removed'])} faits retirés{stale}")
