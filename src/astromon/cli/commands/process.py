"""``astromon process``: the batch pipeline from the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from astromon.bootstrap import Astromon
from astromon.cli.batch_options import (
    ArchiveDirOption,
    CatalogFileOption,
    CatalogsOption,
    CatalogSourceOption,
    CiaoPrefixOption,
    ProcessorOption,
    SchedulerOption,
    SourceOption,
    WorkdirOption,
    WorkersOption,
    batch_processor,
    check_scheduler,
    check_sources,
)
from astromon.cli.common import ExitCode, handle_errors, parse_time_option, state
from astromon.domain.errors import ValidationError
from astromon.ports.processing import ObservationOutcome
from astromon.services import interrupts
from astromon.services.batch import pipeline as processing
from astromon.services.batch.obsids import (
    DEFAULT_DAYS,
    default_time_range,
    find_obsids,
    parse_obsids,
    read_obsid_file,
)

__all__ = ["process", "progress_advance", "progress_bar", "run_and_summarize"]


def progress_bar(console: Console | None = None) -> Progress:
    """A rich progress bar for batches (disabled when stderr is not a terminal)."""
    console = console or Console(stderr=True)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=False,
    )


def progress_advance(bar: Progress, task: TaskID) -> Callable[[ObservationOutcome, int, int], None]:
    """The ``progress`` callback of a batch: moves ``task`` of ``bar`` to ``done`` of ``total``
    and shows the obsid and status of the observation that just ended."""

    def advance(outcome: ObservationOutcome, done: int, total: int) -> None:
        bar.update(
            task, completed=done, total=total, last=f"{outcome.obsid} {outcome.status.value}"
        )

    return advance


def _obsids(
    app: Astromon,
    obsids: list[str],
    obsid_file: Path | None,
    start: str | None,
    stop: str | None,
    source: str,
) -> list[int]:
    found = parse_obsids(obsids)
    if obsid_file is not None:
        found += read_obsid_file(obsid_file, app.input_files(), "--obsid-file")
    first = parse_time_option("--start", start)
    last = parse_time_option("--stop", stop)
    if first is not None or last is not None or not found:
        t_start, t_stop = default_time_range(first, last)
        found += find_obsids(app.archive(source), t_start, t_stop)
        if not found:
            raise ValidationError(f"no observations started between {t_start} and {t_stop}")
    return parse_obsids(found)


@handle_errors
def process(
    ctx: typer.Context,
    obsids: Annotated[
        list[str] | None,
        typer.Argument(
            help="Obsids and ranges (14530 14535-14540 or 14530,14531).", show_default=False
        ),
    ] = None,
    obsid_file: Annotated[
        Path | None,
        typer.Option(
            "--obsid-file", help="File of obsids/ranges (spaces, commas, lines; # comments)."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            help="Process the observations started after this date (Chandra or ISO date, CXC "
            "seconds); up to --stop, else now."
        ),
    ] = None,
    stop: Annotated[
        str | None,
        typer.Option(help=f"End of the time range (default: now; alone: {DEFAULT_DAYS:g} days)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-process obsids already in the database.")
    ] = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    source: SourceOption = "arc5gl",
    workdir: WorkdirOption = None,
    archive_dir: ArchiveDirOption = None,
    ciao_prefix: CiaoPrefixOption = None,
    catalog_source: CatalogSourceOption = "vizier",
    catalog_file: CatalogFileOption = None,
    catalogs: CatalogsOption = None,
    processor: ProcessorOption = None,
) -> None:
    """Process observations and save each one as soon as it is done.

    Without OBSIDS, --obsid-file or --start, the observations of the last 30 days are
    processed; --start alone runs to now. Obsids already in the database are skipped unless
    --force. Ctrl-C (or SIGTERM) stops the workers and prints what was saved, failed,
    interrupted and not run (exit code 130, or 143); re-running the batch completes the rest.
    Exit code 3 when some obsids failed.
    """
    check_sources(source, catalog_source, catalog_file)
    check_scheduler(scheduler)
    app = state(ctx).app
    todo = _obsids(app, obsids or [], obsid_file, start, stop, source)
    work = batch_processor(
        app,
        processor=processor,
        source=source,
        workdir=workdir,
        archive_dir=archive_dir,
        ciao_prefix=ciao_prefix,
        catalog_source=catalog_source,
        catalog_file=catalog_file,
        catalogs=catalogs,
    )
    store = state(ctx).store(write=True)
    summary = processing.BatchSummary(requested=todo)

    def run() -> None:
        executor = app.executor(workers=workers, scheduler=scheduler)
        try:
            with progress_bar() as bar:
                task = bar.add_task("processing", total=len(todo), last="")
                processing.process_observations(
                    todo,
                    store=store,
                    processor=work,
                    executor=executor,
                    force=force,
                    progress=progress_advance(bar, task),
                    summary=summary,
                )
        finally:
            executor.close()

    run_and_summarize(summary, run)
    if summary.signalled or interrupts.interrupting():
        raise typer.Exit(ExitCode.INTERRUPTED)
    if not summary.complete:
        raise typer.Exit(ExitCode.PARTIAL)


def run_and_summarize(
    summary: processing.BatchSummary,
    run: Callable[[], None],
    echo: Callable[[str], None] = typer.echo,
) -> None:
    """Run a batch filling ``summary``, then print the summary whole, whenever a signal comes.

    A Ctrl-C or SIGTERM at any moment after the batch has begun (also as it ends, or while
    the summary is printed) leaves the summary printed once and complete: the obsids saved
    are exactly those stored.
    """
    printed = False
    try:
        try:
            run()
        except KeyboardInterrupt:
            if not summary.interrupted:
                summary.stop(interrupts.reason())
        with interrupts.shielded():
            for line in summary.lines():
                echo(line)
            printed = True
    except KeyboardInterrupt:  # the signal came between the batch and the summary
        if not summary.interrupted:
            summary.stop(interrupts.reason())
        if not printed:
            for line in summary.lines():
                echo(line)
