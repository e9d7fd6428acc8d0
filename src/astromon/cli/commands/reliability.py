"""``astromon db check|backup|restore``: integrity check, consistent backup, verified restore.

Registered into the ``db`` sub-app by :func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from astromon.cli.common import ExitCode, handle_errors, state

__all__ = ["backup", "check", "register", "restore"]


@handle_errors
def check(ctx: typer.Context) -> None:
    """Check the database (--db): schema, keys, orphans, regions. Exit 1 on any problem."""
    report = state(ctx).app.check_database(state(ctx).db)
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(ExitCode.ERROR)


@handle_errors
def backup(
    ctx: typer.Context,
    destination: Annotated[Path, typer.Argument(help="Backup file to write.")],
    force: Annotated[
        bool,
        typer.Option("--overwrite", "--force", help="Replace an existing DESTINATION file."),
    ] = False,
) -> None:
    """Copy the database (--db) to DESTINATION, consistently, while readers keep working.

    The copy is checked before it replaces DESTINATION in one atomic rename.
    """
    result = state(ctx).app.backup_database(state(ctx).db, destination, force=force)
    rows = sum(result.report.row_counts.values())
    typer.echo(f"backed up {result.source} to {result.destination} ({rows} rows, verified)")


@handle_errors
def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="Backup file to restore.")],
    force: Annotated[
        bool,
        typer.Option("--overwrite", "--force", help="Replace the existing database file."),
    ] = False,
) -> None:
    """Replace the database (--db) with the backup SOURCE, after checking it.

    Stop writers first: processes that keep the old file open do not see the restored one.
    """
    result = state(ctx).app.restore_database(source, state(ctx).db, force=force)
    rows = sum(result.report.row_counts.values())
    typer.echo(f"restored {result.destination} from {result.source} ({rows} rows, verified)")


def register(db_app: typer.Typer) -> None:
    """Add ``check``, ``backup`` and ``restore`` to the ``db`` sub-app."""
    db_app.command("check")(check)
    db_app.command("backup")(backup)
    db_app.command("restore")(restore)
