"""``astromon db import-legacy|import-ecsv|export``: moving tables in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from astromon.cli.common import handle_errors, require_table, state
from astromon.config import resolve_db_file
from astromon.domain.schema import TABLE_NAMES

__all__ = ["db_app"]

db_app = typer.Typer(
    help="Import and export astromon databases and tables.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@db_app.command("import-legacy")
@handle_errors
def import_legacy(
    ctx: typer.Context,
    h5file: Annotated[Path, typer.Argument(help="Legacy astromon HDF5 file.")],
) -> None:
    """Import every table of a legacy HDF5 file into the DuckDB database (--db)."""
    from astromon import db

    target = resolve_db_file(state(ctx).db)
    db.import_legacy(h5file, dbfile=target)
    typer.echo(f"imported {h5file} into {target}")


@db_app.command("import-ecsv")
@handle_errors
def import_ecsv(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory of astromon_*.ecsv files.")],
) -> None:
    """Import a directory of ECSV tables (astromon_obs.ecsv, ...) into the database."""
    from astromon import db

    target = resolve_db_file(state(ctx).db)
    db.import_ecsv(directory, dbfile=target)
    typer.echo(f"imported {directory} into {target}")


@db_app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help=f"One of: {', '.join(TABLE_NAMES)}.")],
    path: Annotated[Path, typer.Argument(help="Output file (.ecsv, .fits, .parquet).")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="ecsv, csv, json, fits or parquet (default: from the suffix)."
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output file.")
    ] = False,
) -> None:
    """Export one table to a file, written atomically (the old file stays on failure).

    An existing file is refused unless --overwrite. A TABLE that is not an astromon table, or
    not in the database, is a usage error.
    """
    from astromon import db

    state(ctx).app.write_table_file(
        require_table(lambda name: db.get_table(name, state(ctx).db), table),
        path,
        format=fmt,
        overwrite=overwrite,
        overwrite_hint="--overwrite",
    )
    typer.echo(f"exported {table} to {path}")
