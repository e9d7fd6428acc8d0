"""``astromon tables`` and ``astromon show TABLE``."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer

from astromon.cli.common import (
    INT32_RANGE,
    OutputFormat,
    OutputOpt,
    OverwriteOpt,
    cross_match_counts,
    handle_errors,
    require_table,
    state,
    write_table,
)
from astromon.domain.errors import ValidationError
from astromon.domain.schema import TABLE_NAMES

__all__ = ["show", "tables"]


@handle_errors
def tables(ctx: typer.Context) -> None:
    """List the astromon tables with their row counts, then the stored cross-match names.

    The cross-match names (select_name of astromon_xcorr) are what 'matches NAME' and
    'report --name NAME' read.
    """
    store = state(ctx).store()
    typer.echo(f"database: {store.location}")
    snapshot = store.read_tables(store.table_names())  # every count as of one moment
    for name in TABLE_NAMES:
        if name in snapshot:
            typer.echo(f"{name:20} {_rows(len(snapshot[name]))}")
        else:
            typer.echo(f"{name:20} {'(absent)':>10}")
    xcorr = snapshot.get("astromon_xcorr")
    names = cross_match_counts(xcorr) if xcorr is not None else {}
    typer.echo(f"cross-matches in astromon_xcorr: {len(names) or 'none'}")
    for select_name, count in names.items():
        typer.echo(f"  {select_name:18} {_rows(count)}")


def _rows(count: int) -> str:
    return f"{count:>10} {'row' if count == 1 else 'rows'}"


@handle_errors
def show(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help=f"One of: {', '.join(TABLE_NAMES)}.")],
    obsid: Annotated[
        list[int] | None,
        typer.Option(help="Only rows of this obsid (repeatable).", **INT32_RANGE),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="Show at most this many rows.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
    output: OutputOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Show a whole table (or the rows of some obsids).

    A TABLE that is not an astromon table, or not in the database, is a usage error.
    """
    data = require_table(state(ctx).store().read_table, table)
    if obsid:
        if "obsid" not in data.colnames:
            raise ValidationError(f"table {table} has no obsid column")
        data = data[np.isin(np.asarray(data["obsid"]), obsid)]
    if limit is not None:
        data = data[:limit]
    write_table(data, fmt, output, overwrite=overwrite)
