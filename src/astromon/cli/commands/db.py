"""``astromon db import-legacy|import-ecsv|export``: moving tables in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from astromon.cli.common import handle_errors, require_table, state
from astromon.domain.schema import TABLE_NAMES
from astromon.services.storage import tables as storage

__all__ = ["db_app"]

db_app = typer.Typer(
    help="Import and export astromon databases and tables.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


DropOrphansOpt = Annotated[
    bool,
    typer.Option(
        "--drop-orphans",
        help="Leave out rows whose observation, x-ray source or counterpart is absent "
        "(counted) instead of refusing the import.",
    ),
]


@db_app.command("import-legacy")
@handle_errors
def import_legacy(
    ctx: typer.Context,
    h5file: Annotated[Path, typer.Argument(help="Legacy astromon HDF5 file.")],
    drop_orphans: DropOrphansOpt = False,
) -> None:
    """Import every table of a legacy HDF5 file into the DuckDB database (--db).

    Rows without the rows they point at (orphans) are refused unless --drop-orphans, which
    leaves them out with a warning naming how many.
    """
    app = state(ctx).app
    target = app.db_file(state(ctx).db)
    storage.copy_tables(
        app.legacy_store(h5file), app.store(target, write=True), drop_orphans=drop_orphans
    )
    typer.echo(f"imported {h5file} into {target}")


@db_app.command("import-ecsv")
@handle_errors
def import_ecsv(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory of astromon_*.ecsv files.")],
    drop_orphans: DropOrphansOpt = False,
) -> None:
    """Import a directory of ECSV tables (astromon_obs.ecsv, ...) into the database.

    Rows without the rows they point at (orphans) are refused unless --drop-orphans, which
    leaves them out with a warning naming how many.
    """
    app = state(ctx).app
    target = app.db_file(state(ctx).db)
    tables = app.read_table_directory(directory)
    storage.import_tables(
        tables, app.store(target, write=True), drop_orphans=drop_orphans, source=str(directory)
    )
    typer.echo(f"imported {directory} into {target}")


@db_app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help=f"One of: {', '.join(TABLE_NAMES)}.")],
    path: Annotated[
        Path, typer.Argument(help="Output file (.ecsv, .csv, .json, .fits, .parquet); - is stdout.")
    ],
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

    An existing file is refused unless --overwrite; only regular files are written, never a
    device, a FIFO or a database file. PATH - writes to standard output (give --format). A
    TABLE that is not an astromon table, or not in the database, is a usage error.
    """
    state(ctx).app.write_table_file(
        require_table(lambda name: storage.read_named_table(state(ctx).store, name), table),
        path,
        format=fmt,
        overwrite=overwrite,
        overwrite_hint="--overwrite",
    )
    if str(path) != "-":  # standard output holds the table
        typer.echo(f"exported {table} to {path}")
