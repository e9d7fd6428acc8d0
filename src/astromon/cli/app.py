"""The ``astromon`` command-line application (Typer).

Exit codes: 0 success, 1 error, 2 usage error (bad options or values), 3 partial failure
(some obsids failed), 130 interrupted.

Every command and sub-app is registered in :func:`_register` — add new ones there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from astromon.bootstrap import Astromon
from astromon.cli.common import ExitCode, LogFormat, State, configure_logging, echo_error
from astromon.domain.errors import ValidationError

__all__ = ["app", "main"]

app = typer.Typer(
    name="astromon",
    help="Monitor the absolute astrometry of the Chandra X-ray Observatory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help=(
                "Database file (default: $ASTROMON_FILE, else "
                "$SKA/data/astromon/astromon.duckdb, else a per-user file)."
            ),
            show_default=False,
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(help="Log lines on stderr: json or console (default: json unless a TTY)."),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output (-v, -vv).")
    ] = 0,
) -> None:
    """Monitor the absolute astrometry of the Chandra X-ray Observatory."""
    configure_logging(log_format, verbose)
    given = ctx.obj if isinstance(ctx.obj, Astromon) else None
    try:
        ctx.obj = State(db=db, app=given)
    except ValidationError as exc:
        echo_error(str(exc))
        raise typer.Exit(ExitCode.USAGE) from None


def _register() -> None:
    """Register every command and sub-app (the one place to add a command)."""
    from astromon.cli import (
        calalign_commands,
        db_commands,
        demo,
        match_commands,
        process_commands,
        regions_commands,
        reliability_commands,
        report_commands,
        table_commands,
    )

    app.command("process")(process_commands.process)
    app.command("cross-match")(match_commands.cross_match)
    app.command("matches")(match_commands.matches)
    app.command("tables")(table_commands.tables)
    app.command("show")(table_commands.show)
    app.add_typer(regions_commands.regions_app, name="regions")
    reliability_commands.register(db_commands.db_app)
    app.add_typer(db_commands.db_app, name="db")
    app.command("report")(report_commands.report)
    app.add_typer(calalign_commands.calalign_app, name="calalign")
    app.command("demo")(demo.demo)
    app.command("doctor")(__import__("astromon.cli.doctor_commands", fromlist=["x"]).doctor)


_register()


def main() -> None:
    """Entry point of the ``astromon`` script."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        typer.echo("error: interrupted", err=True)
        raise SystemExit(ExitCode.INTERRUPTED) from None
