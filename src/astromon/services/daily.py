"""The daily run: process the recent observations, refresh the web pages, raise the alarms.

One run, in this order, each step going on when an earlier one failed:

1. take the run lock of the database (a second run stops at once,
   :class:`~astromon.ports.run_lock.RunLockedError` naming the running one);
2. find the observations that started in the ``days`` days before now and process them with
   the batch pipeline (:func:`astromon.services.batch.pipeline.process_observations`: each saved
   as soon as it is done, obsids already stored skipped, so a run after a crash does only
   what is missing; the processor moves each observation's files into the archive);
3. recompute the standard cross-matches over the database (when it holds observations);
4. write the web pages (calibration and operations views) from what the database holds, even
   when processing failed (a database without observations has none: a warning);
5. evaluate the alarms (:func:`astromon.domain.alarms.evaluate_alarms`): failed observations,
   the 90% radius of the calibration view over its window above ``max_q90``, and the
   observations flagged by the per-observation alignment when the database has that table;
6. append the record of the run to the run log, send the alert (or, when asked, the notice of
   a run that went well) and release the lock.

A failure of step 2, 3 or 4 is the run's ``error`` (exit code 1); failed observations and
alarms give exit code 3. An e-mail or a record that cannot be sent or written is a warning of
the result and changes nothing saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
from astropy.table import Table

from astromon.domain.accuracy import DEFAULT_YEARS, AccuracyStatement
from astromon.domain.alarms import DEFAULT_MAX_Q90, evaluate_alarms
from astromon.domain.crossmatch import STANDARD_CROSS_MATCHES
from astromon.domain.daily_message import run_message
from astromon.domain.daily_run import DailyRun, ObservationNote, iso_utc
from astromon.domain.errors import AstromonError, MissingTableException, ValidationError
from astromon.ports.clock import Clock
from astromon.ports.executor import Executor
from astromon.ports.notifier import NotificationError, Notifier
from astromon.ports.observation import ArchiveRetriever
from astromon.ports.processing import ObservationProcessor, OutcomeStatus
from astromon.ports.report import MonitoringReport, ReportRenderer
from astromon.ports.run_lock import RunLock
from astromon.ports.run_log import RunLog
from astromon.ports.store import Store
from astromon.services import interrupts
from astromon.services.batch.obsids import DEFAULT_DAYS, default_time_range, find_obsids
from astromon.services.batch.pipeline import (
    BatchSummary,
    ProgressCallback,
    process_observations,
)
from astromon.services.crossmatch.recompute import recompute_cross_match
from astromon.services.report import monitoring as report_service
from astromon.services.report.web_pages import build_views, web_views

__all__ = [
    "ACCURACY_VIEW",
    "ALIGNMENT_TABLE",
    "DEFAULT_DAILY_DAYS",
    "MAX_DAYS",
    "STORED_CROSS_MATCHES",
    "DailyPlan",
    "DailyPorts",
    "DailyResult",
    "flagged_observations",
    "run_daily",
]

logger = logging.getLogger(__name__)

DEFAULT_DAILY_DAYS: Final = int(DEFAULT_DAYS)
"""The daily run processes the observations of the last 30 days by default."""
MAX_DAYS: Final = 36525
"""The longest processing window, days: a century, more than the mission."""
ACCURACY_VIEW: Final = "cal"
"""The view whose accuracy statement the run records and checks: the calibration view."""
ALIGNMENT_TABLE: Final = "astromon_alignment"
"""The table of per-observation alignment solutions (``obsid``, ``flagged``), when present."""
STORED_CROSS_MATCHES: Final = tuple(
    sorted({str(s.keywords["name"]) for s in STANDARD_CROSS_MATCHES.values()})
)
"""The standard cross-matches the run recomputes, by the name they are stored under
(``default`` is ``astromon_21`` under another name)."""


@dataclass(frozen=True)
class DailyPlan:
    """What a daily run does.

    Attributes
    ----------
    database : str
        The database file (named in the record and the e-mail).
    web_dir : pathlib.Path
        Where the web pages go (replaced as a whole).
    days : int
        Process the observations that started in the ``days`` days before now (0 to
        :data:`MAX_DAYS`).
    max_q90 : float
        The limit of the 90% radius, arcsec.
    years : float
        The accuracy window: the years before now.
    name : str
        The cross-match of the web pages and of the accuracy statement.
    recipients : tuple of str
        Who gets the e-mail (none: no e-mail).
    notify_success : bool
        Also send a short notice when the run went well.
    reference_calalign : str, optional
        The reference CALALIGN version of the pages (default the latest valid one).
    version, host, pid
        The program and process that run (recorded).

    Raises
    ------
    ValidationError
        ``days`` is not an integer >= 0, or ``max_q90`` or ``years`` is not a positive number.
    """

    database: str
    web_dir: Path
    days: int = DEFAULT_DAILY_DAYS
    max_q90: float = DEFAULT_MAX_Q90
    years: float = DEFAULT_YEARS
    name: str = "astromon_21"
    recipients: tuple[str, ...] = ()
    notify_success: bool = False
    reference_calalign: str | None = None
    version: str = ""
    host: str = ""
    pid: int | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.days, bool)
            or not isinstance(self.days, int)
            or not 0 <= self.days <= MAX_DAYS
        ):
            raise ValidationError(
                f"--days must be a number of days from 0 to {MAX_DAYS}, got {self.days!r}"
            )
        evaluate_alarms((), None, max_q90=self.max_q90)  # the limit's own check
        if not (np.isfinite(self.years) and self.years > 0):
            raise ValidationError(f"--years must be a positive number of years, got {self.years!r}")


@dataclass(frozen=True)
class DailyPorts:
    """The ports a daily run works with.

    ``executor`` makes the executor of the batch (called only when there is something to
    process; closed by the run). ``calalign`` reads the CALALIGN files for the pages'
    reference view (None: the pages show the offsets as archived only). ``notifier`` is None
    when no e-mail is to be sent.
    """

    store: Store
    processor: ObservationProcessor
    executor: Callable[[], Executor]
    archive: ArchiveRetriever
    renderer: ReportRenderer
    clock: Clock
    run_log: RunLog
    run_lock: RunLock
    notifier: Notifier | None = None
    calalign: Callable[[], Table] | None = None


@dataclass(frozen=True)
class DailyResult:
    """What a run did: its ``record``, the batch ``summary`` (None when no batch ran), the
    page written (None when none), the reports of the views, and ``warnings`` (a stale lock
    taken over, an e-mail not sent, a record not written)."""

    record: DailyRun
    summary: BatchSummary | None
    page: Path | None
    reports: dict[str, MonitoringReport] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 all well, 3 failed observations or an alarm, 1 the run failed."""
        return self.record.exit_code


def flagged_observations(store: Store, name: str) -> list[int] | None:
    """Obsids the per-observation alignment of cross-match ``name`` flagged; None when the
    database has no such table (``astromon_alignment``: ``select_name``, ``obsid``,
    ``flagged``)."""
    if ALIGNMENT_TABLE not in store.table_names():
        return None
    try:
        table = store.read_table(ALIGNMENT_TABLE)
    except MissingTableException:
        return None
    if "flagged" not in table.colnames or "obsid" not in table.colnames:
        return None
    rows = np.asarray(table["flagged"], dtype=bool)
    if "select_name" in table.colnames:
        rows &= np.char.strip(np.asarray(table["select_name"]).astype(str)) == name
    return sorted({int(o) for o in np.asarray(table["obsid"])[rows]})


def _notes(summary: BatchSummary, status: OutcomeStatus) -> list[ObservationNote]:
    return [
        ObservationNote(o.obsid, o.reason or status.value, o.message)
        for o in sorted(summary.outcomes, key=lambda o: o.obsid)
        if o.status is status
    ]


def _unfinished(summary: BatchSummary) -> list[ObservationNote]:
    """The obsids a broken batch left unfinished (a worker lost): failures of the run."""
    why = summary.interruption or "the batch stopped"
    return [
        ObservationNote(obsid, "not run", f"the batch stopped before it ended: {why}")
        for obsid in sorted({*summary.interrupted_obsids, *summary.not_run})
    ]


def _failure(step: str, exc: Exception) -> str:
    text = str(exc) if isinstance(exc, AstromonError) else f"{type(exc).__name__}: {exc}"
    logger.error("daily run: %s failed: %s", step, text)
    return f"{step}: {text}"


def _process(
    plan: DailyPlan, ports: DailyPorts, now: str, progress: ProgressCallback | None
) -> BatchSummary:
    start, stop = default_time_range(now=now, days=plan.days)
    todo = find_obsids(ports.archive, start, stop)
    summary = BatchSummary(requested=list(todo))
    if not todo:
        return summary
    executor = ports.executor()
    try:
        process_observations(
            todo,
            store=ports.store,
            processor=ports.processor,
            executor=executor,
            progress=progress,
            summary=summary,
        )
    finally:
        executor.close()
    if summary.signalled or interrupts.interrupting():
        raise KeyboardInterrupt
    return summary


def run_daily(
    plan: DailyPlan, ports: DailyPorts, *, progress: ProgressCallback | None = None
) -> DailyResult:
    """Run the daily job once (see the module docstring for the steps).

    Raises
    ------
    RunLockedError
        Another daily run works on the database (nothing is done, nothing recorded).
    KeyboardInterrupt
        Ctrl-C or SIGTERM: the batch keeps what it saved; the lock is released and no record
        is written.
    """
    start_date = ports.clock.now_date()
    grant = ports.run_lock.acquire(iso_utc(start_date))
    warnings = [grant.notice] if grant.notice else []
    try:
        errors: list[str] = []
        summary: BatchSummary | None = None
        try:
            summary = _process(plan, ports, start_date, progress)
        except Exception as exc:
            if interrupts.interrupting():
                raise
            errors.append(_failure("processing", exc))
        reports: dict[str, MonitoringReport] = {}
        page: Path | None = None
        flagged: list[int] | None = None
        try:
            filled = "astromon_obs" in ports.store.table_names()
        except Exception as exc:
            if interrupts.interrupting():
                raise
            errors.append(_failure("reading the database", exc))
        else:
            if filled:
                page, reports, flagged = _refresh(plan, ports, start_date, errors)
            else:
                warnings.append("the database holds no observation: no cross-match, no web page")
        record = _record(plan, ports, start_date, summary, reports, flagged, errors)
        warnings += _deliver(plan, ports, record)
    finally:
        ports.run_lock.release()
    return DailyResult(record, summary, page, reports, tuple(warnings))


def _refresh(
    plan: DailyPlan, ports: DailyPorts, now: str, errors: list[str]
) -> tuple[Path | None, dict[str, MonitoringReport], list[int] | None]:
    """Recompute the standard cross-matches and write the web pages; the page, the reports
    and the flagged obsids (failures are added to ``errors``)."""
    for name in STORED_CROSS_MATCHES:
        try:
            recompute_cross_match(ports.store, name)
        except Exception as exc:
            if interrupts.interrupting():
                raise
            errors.append(_failure(f"cross-match {name}", exc))
    reports: dict[str, MonitoringReport] = {}
    try:
        calalign = ports.calalign() if ports.calalign is not None else None
        reports = build_views(
            ports.store,
            web_views(),
            now=now,
            years=plan.years,
            name=plan.name,
            calalign=calalign,
            reference_calalign=plan.reference_calalign,
        )
        flagged = flagged_observations(ports.store, plan.name)
        page = report_service.write_site(reports, ports.renderer, plan.web_dir)
    except Exception as exc:
        if interrupts.interrupting():
            raise
        errors.append(_failure("web pages", exc))
        return None, reports, None
    return page, reports, flagged


def _record(
    plan: DailyPlan,
    ports: DailyPorts,
    start_date: str,
    summary: BatchSummary | None,
    reports: dict[str, MonitoringReport],
    flagged: Sequence[int] | None,
    errors: Sequence[str],
) -> DailyRun:
    failed: list[ObservationNote] = []
    skipped: list[ObservationNote] = []
    if summary is not None:
        failed = _notes(summary, OutcomeStatus.ERROR) + _unfinished(summary)
        skipped = _notes(summary, OutcomeStatus.SKIP)
    view = reports.get(ACCURACY_VIEW)
    accuracy: AccuracyStatement | None = None if view is None else view.accuracy
    alarms = evaluate_alarms(
        [note.obsid for note in failed], accuracy, max_q90=plan.max_q90, flagged=flagged
    )
    return DailyRun.finished(
        start_date=start_date,
        stop_date=ports.clock.now_date(),
        database=plan.database,
        days=plan.days,
        processed=[] if summary is None else sorted(summary.saved),
        failed=failed,
        skipped=skipped,
        accuracy=accuracy,
        alarms=alarms,
        selection=() if view is None else view.selection_text,
        error="; ".join(errors),
        max_q90=plan.max_q90,
        astromon_version=plan.version,
        host=plan.host,
        pid=plan.pid,
    )


def _deliver(plan: DailyPlan, ports: DailyPorts, record: DailyRun) -> list[str]:
    """Append the record and send the e-mail; what could not be done, as warnings."""
    warnings = []
    try:
        ports.run_log.append(record)
    except AstromonError as exc:
        logger.error("daily run: the record was not written: %s", exc)
        warnings.append(f"the run was not recorded: {exc}")
    message = run_message(record, notify_success=plan.notify_success)
    if message is None or ports.notifier is None or not plan.recipients:
        return warnings
    try:
        ports.notifier.send(message.subject, message.body, plan.recipients)
    except (NotificationError, ValidationError) as exc:
        logger.error("daily run: the e-mail was not sent: %s", exc)
        warnings.append(f"the e-mail was not sent: {exc}")
    return warnings
