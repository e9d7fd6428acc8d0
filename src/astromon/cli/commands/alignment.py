"""``astromon alignment``: the per-observation shift and roll of a stored cross-match."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from astromon.cli.common import (
    INT32_RANGE,
    FormatOpt,
    OutputFormat,
    OutputOpt,
    OverwriteOpt,
    handle_errors,
    require_cross_match,
    state,
    write_table,
)

__all__ = ["OUTPUT_COLUMNS", "alignment"]

OUTPUT_COLUMNS = (
    "obsid",
    "select_name",
    "n_pairs",
    "n_rejected",
    "dy",
    "dz",
    "roll",
    "dy_err",
    "dz_err",
    "roll_err",
    "chi2_dof",
    "flagged",
)
"""The columns ``astromon alignment`` outputs (in every format)."""


@handle_errors
def alignment(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The stored cross-match.")] = "astromon_21",
    obsid: Annotated[
        list[int] | None,
        typer.Option("--obsid", help="Only this observation; repeatable.", **INT32_RANGE),
    ] = None,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Only the flagged observations.")
    ] = False,
    min_pairs: Annotated[
        int | None,
        typer.Option(
            "--min-pairs", metavar="K", help="Only observations with at least K pairs.", min=1
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Show the shift (dy, dz) and roll of each observation against its catalog stars.

    dy, dz, roll and their 1-sigma errors in arcsec; roll is NaN (null in JSON) when the
    observation's pairs cannot measure it; flagged: the shift is significant (3 sigma) and
    larger than 0.5 arcsec. The stored table astromon_alignment is shown when it is current
    with the stored pairs; otherwise the alignment is fitted from the stored pairs (and saved
    when the database can be written), and a line on stderr says so after the output. A NAME
    that is not stored is a usage error that lists the stored names.
    """
    from astromon.domain.alignment.selection import select_alignment
    from astromon.services.crossmatch.alignment import AlignmentSource, read_alignment

    options = state(ctx)
    store = options.store()
    path = options.app.db_file(options.db)
    can_write = not path.exists() or os.access(path, os.W_OK)
    result = read_alignment(
        store, name, writer=(lambda: options.store(write=True)) if can_write else None
    )
    if not len(result.table):
        require_cross_match(store, name, "NAME")
    table = select_alignment(
        result.table, obsid=obsid or None, flagged=True if flagged else None, min_pairs=min_pairs
    )
    write_table(table[list(OUTPUT_COLUMNS)], fmt, output, overwrite=overwrite)
    if result.source is not AlignmentSource.STORED:
        typer.echo(f"alignment of {name!r} {result.source.value}", err=True)
