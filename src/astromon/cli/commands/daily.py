"""``astromon daily``: the job a scheduler (cron, a systemd timer) runs once a day."""

from __future__ import annotations

import math
import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from astromon import __version__
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
from astromon.cli.commands.process import progress_advance, progress_bar
from astromon.cli.common import echo_error, handle_errors, state
from astromon.domain.alarms import DEFAULT_MAX_Q90
from astromon.domain.daily_message import outcome
from astromon.domain.errors import ValidationError
from astromon.domain.mail import check_address, check_addresses, parse_smtp_server
from astromon.ports.notifier import Notifier
from astromon.services.daily import (
    DEFAULT_DAILY_DAYS,
    MAX_DAYS,
    DailyPlan,
    DailyPorts,
    run_daily,
)

__all__ = ["daily"]


def _history(app: Astromon, log_dir: Path, last: int | None) -> None:
    """Print the recorded runs, one line each, oldest first."""
    log = app.run_log(log_dir)
    history = log.history(last)
    for damaged in history.damaged:
        echo_error(f"{log.path} line {damaged.number} is not a run record: {damaged.reason}")
    if not history.runs:
        typer.echo(f"no daily run recorded in {log.path}")
        return
    for run in history.runs:
        statement = run.accuracy
        q90 = statement.overall.q90 if statement is not None else math.nan
        radius = f'{q90:.3f}"' if math.isfinite(q90) else "-"
        typer.echo(
            f"{run.start}  exit {run.exit_code}  {outcome(run):<16}  "
            f"{len(run.processed)} processed, {len(run.failed)} failed, "
            f"{len(run.skipped)} skipped  q90 {radius}  {run.database}"
        )
        for alarm in run.alarms:
            typer.echo(f"    alarm {alarm.kind}: {alarm.message}")
        if run.error:
            typer.echo(f"    error: {run.error}")


def _notifier(
    app: Astromon,
    recipients: tuple[str, ...],
    *,
    smtp: str | None,
    starttls: bool | None,
    user: str | None,
    mail_from: str | None,
    password_file: Path | None,
) -> Notifier | None:
    """The notifier of the alerts; None when no e-mail is asked for (no server, no
    recipient). A server without recipients, or recipients without a server, is refused."""
    server = smtp or app.settings.smtp
    if not server and not recipients:
        return None
    if not recipients:
        raise ValidationError("--smtp is given but no --mail-to (or $ASTROMON_MAIL_TO)")
    if not server:
        raise ValidationError("--mail-to is given but no --smtp (or $ASTROMON_SMTP)")
    return app.notifier(
        smtp=server,
        starttls=starttls,
        user=user,
        mail_from=mail_from,
        password_file=password_file,
    )


@handle_errors
def daily(
    ctx: typer.Context,
    days: Annotated[
        int,
        typer.Option(
            min=0,
            max=MAX_DAYS,
            help="Process the observations started in the last DAYS days.",
        ),
    ] = DEFAULT_DAILY_DAYS,
    web_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory of the web pages, replaced as a whole [default: $ASTROMON_WEB_DIR].",
            show_default=False,
        ),
    ] = None,
    log_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory of the run record daily.jsonl [default: $ASTROMON_LOG_DIR, else "
            "the database's directory].",
            show_default=False,
        ),
    ] = None,
    max_q90: Annotated[
        float,
        typer.Option(
            help="Alarm when the 90% radius over the last 5 years is above this (arcsec)."
        ),
    ] = DEFAULT_MAX_Q90,
    calalign_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory of CALALIGN files: the pages also show the offsets as if "
            "reprocessed with the latest one [default: $ASTROMON_CALALIGN_DIR, else $CALDB's].",
            show_default=False,
        ),
    ] = None,
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
    smtp: Annotated[
        str | None,
        typer.Option(
            metavar="HOST[:PORT]",
            help="SMTP server of the alerts (port 25 by default) [default: $ASTROMON_SMTP].",
            show_default=False,
        ),
    ] = None,
    smtp_starttls: Annotated[
        bool | None,
        typer.Option(
            "--smtp-starttls/--no-smtp-starttls",
            help="Switch to TLS with STARTTLS [default: $ASTROMON_SMTP_STARTTLS, else no].",
            show_default=False,
        ),
    ] = None,
    smtp_user: Annotated[
        str | None,
        typer.Option(
            help="Log in to the SMTP server as this user; the password comes from "
            "$ASTROMON_SMTP_PASSWORD or --smtp-password-file [default: $ASTROMON_SMTP_USER].",
            show_default=False,
        ),
    ] = None,
    smtp_password_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the SMTP password, readable by its owner only "
            "[default: $ASTROMON_SMTP_PASSWORD_FILE].",
            show_default=False,
        ),
    ] = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            metavar="ADDR",
            help="Sender address of the alerts [default: $ASTROMON_MAIL_FROM].",
            show_default=False,
        ),
    ] = None,
    mail_to: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ADDR",
            help="Recipient of the alerts; repeat for more [default: $ASTROMON_MAIL_TO].",
            show_default=False,
        ),
    ] = None,
    notify_success: Annotated[
        bool,
        typer.Option("--notify-success", help="Also send a short notice when all went well."),
    ] = False,
    history: Annotated[
        bool,
        typer.Option("--history", help="Show the recorded runs instead of running."),
    ] = False,
    last: Annotated[
        int | None,
        typer.Option(min=1, help="With --history: only the last N runs.", show_default=False),
    ] = None,
) -> None:
    """Run the daily job: process, cross-match, write the web pages, raise the alarms.

    Processes the observations of the last DAYS days (obsids already saved are skipped, so a
    run after a crash does only what is missing; their files are moved into --archive-dir),
    recomputes the standard cross-matches, writes the web pages into --web-dir (calibration
    and operations views, from what the database holds even when processing failed) and
    evaluates the alarms: failed observations, the 90% radius of the calibration view over
    the last 5 years above --max-q90, observations flagged by the per-observation alignment.
    Each run appends one JSON line to LOG_DIR/daily.jsonl (--history shows them) and sends
    an e-mail when it failed or an alarm fired (--notify-success: always). One run at a time
    per database: a second one stops at once, naming the running one. Exit code 0 all well,
    3 failed observations or an alarm, 1 the run failed.
    """
    app = state(ctx).app
    database = app.db_file(state(ctx).db).absolute()
    logs = log_dir if log_dir is not None else app.settings.daily_log_dir(database)
    if history:
        _history(app, logs, last)
        return
    if last is not None:
        raise ValidationError("--last is used with --history")
    pages = web_dir if web_dir is not None else app.settings.web_dir
    if pages is None:
        raise ValidationError("no directory for the web pages: give --web-dir or $ASTROMON_WEB_DIR")
    check_sources(source, catalog_source, catalog_file)
    check_scheduler(scheduler)
    if smtp is not None:
        parse_smtp_server(smtp, "--smtp")
    if mail_from is not None:
        check_address(mail_from, "--mail-from")
    recipients = check_addresses(mail_to, "--mail-to") if mail_to else app.settings.mail_to
    notifier = _notifier(
        app,
        recipients,
        smtp=smtp,
        starttls=smtp_starttls,
        user=smtp_user,
        mail_from=mail_from,
        password_file=smtp_password_file,
    )
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
    reference_dir = calalign_dir
    if reference_dir is None:
        try:
            reference_dir = app.settings.default_calalign_dir()
        except ValidationError:
            reference_dir = None
    plan = DailyPlan(
        database=str(database),
        web_dir=pages,
        days=days,
        max_q90=max_q90,
        recipients=recipients if notifier is not None else (),
        notify_success=notify_success,
        version=__version__,
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    calalign_files = app.calalign_files()
    run_log = app.run_log(logs)
    ports = DailyPorts(
        store=state(ctx).store(write=True),
        processor=work,
        executor=lambda: app.executor(workers=workers, scheduler=scheduler),
        archive=app.archive(source),
        renderer=app.renderer(),
        clock=app.clock(),
        run_log=run_log,
        run_lock=app.run_lock(database),
        notifier=notifier,
        calalign=(
            None
            if reference_dir is None
            else (lambda: calalign_files.read_directory(reference_dir))
        ),
    )
    with progress_bar() as bar:
        task = bar.add_task("processing", total=None, last="")
        result = run_daily(plan, ports, progress=progress_advance(bar, task))
    record = result.record
    if result.summary is not None:
        for line in result.summary.lines():
            typer.echo(line)
    for sub, view in result.reports.items():
        typer.echo(f"{sub}/ ({view.title}):")
        for line in view.summary_lines():
            typer.echo(line)
    if result.page is not None:
        typer.echo(f"web pages: {result.page}")
    for alarm in record.alarms:
        typer.echo(f"alarm {alarm.kind}: {alarm.message}")
    if record.error:
        echo_error(record.error)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"daily run: {outcome(record)} (exit code {record.exit_code}); record in {run_log.path}"
    )
    if record.exit_code:
        raise typer.Exit(record.exit_code)
