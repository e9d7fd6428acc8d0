"""The batch pipeline: process many observations and save each one as soon as it is done.

Obsids (a list, ranges such as ``14530-14540``, a file of obsids) or a time range (obsids
found through the archive) go to an :class:`~astromon.ports.executor.Executor`; each worker
runs an :class:`~astromon.ports.processing.ObservationProcessor` and sends back an
:class:`~astromon.ports.processing.ObservationOutcome`. The calling process is the single
writer: it saves every finished observation in ONE transaction
(:meth:`~astromon.ports.store.Store.save_many`) as soon as its outcome arrives, so an
interrupted batch keeps what it finished and a re-run skips obsids already stored in
``astromon_obs`` (unless ``force``). The :class:`BatchSummary` groups skipped and failed obsids
by reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from astromon.domain.errors import (
    AstromonError,
    MissingTableException,
    ReadOnlyDatabaseError,
    ValidationError,
)
from astromon.domain.schema import empty_table, to_schema
from astromon.ports.executor import Executor
from astromon.ports.processing import (
    OUTCOME_TABLES,
    ObservationOutcome,
    ObservationProcessor,
    OutcomeStatus,
)
from astromon.ports.store import Store, TableWrite
from astromon.services import interrupts
from astromon.services.batch.obsids import parse_obsids
from astromon.services.observation.processor import (
    StandardObservationProcessor,
    observation_row,
)

__all__ = [
    "BatchSummary",
    "ProgressCallback",
    "StandardObservationProcessor",
    "interrupted_query",
    "observation_row",
    "outcome_writes",
    "process_observations",
]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[ObservationOutcome, int, int], None]
"""Called after each obsid with (outcome, number done, total)."""

_QUERY_INTERRUPTED = "query interrupted"


def outcome_writes(outcome: ObservationOutcome) -> list[TableWrite]:
    """The writes that store an OK outcome: every outcome table, in the schema.

    Tables absent from the outcome are written empty for its obsid, so that re-processing an
    observation replaces all of its rows.

    Raises
    ------
    ValidationError
        The outcome is not OK, or a table holds rows of another obsid.
    SchemaError
        A table does not fit the schema.
    """
    if outcome.status is not OutcomeStatus.OK:
        raise ValidationError(f"obsid {outcome.obsid}: only OK outcomes are saved")
    writes = []
    for name in OUTCOME_TABLES:
        data = outcome.tables.get(name)
        table = empty_table(name) if data is None else to_schema(name, data)
        obsids = {int(v) for v in np.unique(np.asarray(table["obsid"]))}
        if obsids - {outcome.obsid}:
            raise ValidationError(
                f"obsid {outcome.obsid}: table {name} holds rows of obsids {sorted(obsids)}"
            )
        writes.append(TableWrite(name, table, obsids=(outcome.obsid,)))
    if len(writes[0].data) == 0:
        raise ValidationError(f"obsid {outcome.obsid}: an OK outcome needs its astromon_obs row")
    return writes


@dataclass
class BatchSummary:
    """What a batch did.

    Attributes
    ----------
    requested : list of int
        The obsids asked for, in order.
    outcomes : list of ObservationOutcome
        One per obsid that finished (or was skipped up-front), in completion order.
    saved : list of int
        Obsids saved to the database, in completion order.
    interrupted_obsids : list of int
        Obsids that were running (or being saved) when Ctrl-C stopped the batch; nothing is
        stored for them.
    not_run : list of int
        Obsids never finished because the batch stopped: never started after Ctrl-C, or
        pending when the executor broke (a dead worker).
    interrupted : bool
        True when the batch stopped early (Ctrl-C, SIGTERM, a dead worker...).
    interruption : str
        Why: ``"KeyboardInterrupt"`` for Ctrl-C, ``"SIGTERM"``, else the executor's error.
    """

    requested: list[int]
    outcomes: list[ObservationOutcome] = field(default_factory=list)
    saved: list[int] = field(default_factory=list)
    interrupted_obsids: list[int] = field(default_factory=list)
    not_run: list[int] = field(default_factory=list)
    interrupted: bool = False
    interruption: str = ""

    def _grouped(self, status: OutcomeStatus) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for outcome in self.outcomes:
            if outcome.status is status:
                groups.setdefault(outcome.reason or status.value, []).append(outcome.obsid)
        return {reason: sorted(obsids) for reason, obsids in sorted(groups.items())}

    @property
    def skipped(self) -> dict[str, list[int]]:
        """Skipped obsids grouped by reason (reasons sorted, obsids sorted)."""
        return self._grouped(OutcomeStatus.SKIP)

    @property
    def failed(self) -> dict[str, list[int]]:
        """Failed obsids grouped by reason (those interrupted or not run are not failures)."""
        return self._grouped(OutcomeStatus.ERROR)

    @property
    def catalog_failures(self) -> dict[str, list[int]]:
        """Obsids whose counterparts lack a catalog that could not be searched, by catalog."""
        groups: dict[str, list[int]] = {}
        for outcome in self.outcomes:
            for catalog in outcome.catalog_failures:
                groups.setdefault(catalog, []).append(outcome.obsid)
        return {catalog: sorted(obsids) for catalog, obsids in sorted(groups.items())}

    def stop(self, reason: str, running: Iterable[int] = ()) -> None:
        """Record that the batch stopped early, and why.

        Requested obsids without an outcome are interrupted when in ``running`` (they were
        running or being saved: nothing of them is stored), else not run.
        """
        done = {outcome.obsid for outcome in self.outcomes} | set(self.saved)
        busy = set(running)
        left = [obsid for obsid in self.requested if obsid not in done]
        self.interrupted, self.interruption = True, reason
        self.interrupted_obsids = [obsid for obsid in left if obsid in busy]
        self.not_run = [obsid for obsid in left if obsid not in busy]

    @property
    def signalled(self) -> bool:
        """True when Ctrl-C or SIGTERM stopped the batch (not a broken executor)."""
        return self.interrupted and self.interruption in interrupts.REASONS.values()

    @property
    def complete(self) -> bool:
        """True when nothing failed, nothing was interrupted and nothing was left unrun."""
        return not self.failed and not self.interrupted_obsids and not self.not_run

    def lines(self) -> list[str]:
        """The summary as text lines: counts, then each group with its obsids.

        Groups: skipped and failed (by reason, failures with an example message),
        interrupted (running when stopped) and not run.
        """
        n_skipped = sum(len(v) for v in self.skipped.values())
        n_failed = sum(len(v) for v in self.failed.values())
        head = (
            f"{len(self.requested)} obsids: {len(self.saved)} saved, {n_skipped} skipped, "
            f"{n_failed} failed"
        )
        if self.interrupted:
            head += (
                f", {len(self.interrupted_obsids)} interrupted, {len(self.not_run)} not run "
                f"(interrupted: {self.interruption})"
            )
        out = [head]
        if self.interrupted and self.saved:
            out.append(_group_line("saved", sorted(self.saved)))
        for title, groups in (("skipped", self.skipped), ("failed", self.failed)):
            for reason, obsids in groups.items():
                out.append(_group_line(f"{title} ({reason})", obsids))
                example = self._example_message(reason) if title == "failed" else ""
                if example:
                    out.append(f"    e.g. obsid {example}")
        for catalog, obsids in self.catalog_failures.items():
            out.append(f"  catalog {catalog} not searched: {len(obsids)}: {_shown(obsids)}")
        if self.interrupted_obsids:
            out.append(_group_line("interrupted (nothing stored)", sorted(self.interrupted_obsids)))
        if self.not_run:
            out.append(_group_line("not run", sorted(self.not_run)))
        return out

    def _example_message(self, reason: str) -> str:
        for outcome in self.outcomes:
            if outcome.status is OutcomeStatus.ERROR and outcome.reason == reason:
                first = outcome.message.strip().splitlines()[:1]
                return f"{outcome.obsid}: {first[0][:200]}" if first else ""
        return ""


def _shown(obsids: list[int]) -> str:
    more = f" ... (+{len(obsids) - 50})" if len(obsids) > 50 else ""
    return " ".join(str(o) for o in obsids[:50]) + more


def _group_line(title: str, obsids: list[int]) -> str:
    return f"  {title}: {len(obsids)}: {_shown(obsids)}"


def interrupted_query(exc: BaseException) -> bool:
    """True for DuckDB's report of a Ctrl-C during a query (``Query interrupted``)."""
    return _QUERY_INTERRUPTED in str(exc).lower()


def _stored_obsids(store: Store) -> set[int]:
    try:
        table = store.read_table("astromon_obs")
    except MissingTableException:
        return set()
    return {int(v) for v in np.asarray(table["obsid"])}


@dataclass(frozen=True)
class _SafeProcess:
    """Picklable wrapper: any exception of the processor becomes an ERROR outcome."""

    processor: ObservationProcessor

    def __call__(self, obsid: int) -> ObservationOutcome:
        try:
            outcome = self.processor.process(obsid)
        except Exception as exc:
            return ObservationOutcome.error(
                obsid, f"unexpected {type(exc).__name__}", f"{type(exc).__name__}: {exc}"
            )
        if not isinstance(outcome, ObservationOutcome) or outcome.obsid != obsid:
            return ObservationOutcome.error(
                obsid, "bad outcome", f"processor returned {outcome!r} for obsid {obsid}"
            )
        return outcome


def process_observations(
    obsids: Sequence[int],
    *,
    store: Store,
    processor: ObservationProcessor,
    executor: Executor,
    force: bool = False,
    progress: ProgressCallback | None = None,
    summary: BatchSummary | None = None,
) -> BatchSummary:
    """Process observations and save each one, in one transaction, as soon as it is done.

    Parameters
    ----------
    obsids : sequence of int
        Obsids to process (see :mod:`astromon.services.batch.obsids`). Duplicates are
        processed once.
    store : Store
        The database; must be writable. This process is its only writer.
    processor : ObservationProcessor
        The per-observation work (picklable when the executor uses other processes).
    executor : Executor
        Where the work runs. It is not closed here.
    force : bool
        Re-process obsids already in ``astromon_obs`` (their rows are replaced). Otherwise
        they are skipped with reason ``"already in database"``.
    progress : callable, optional
        Called as ``progress(outcome, done, total)`` after each obsid.
    summary : BatchSummary, optional
        An empty summary to fill in place (and return): the caller holds what the batch did
        even when a signal arrives just as this function returns.

    Returns
    -------
    BatchSummary
        Saved, skipped and failed obsids. A Ctrl-C or SIGTERM (KeyboardInterrupt, or DuckDB's
        "Query interrupted") stops the batch: what finished is saved, the obsids running or
        being saved are listed in ``interrupted_obsids`` (when the executor tells them, as
        ``interrupted_items``), the others in ``not_run``. A broken executor lists every
        unfinished obsid in ``not_run``. ``interrupted`` is set in both cases. Saving an
        observation and recording it in the summary are one section that a signal does not
        cut (:func:`astromon.services.interrupts.shielded`), so the summary lists as saved
        exactly what is stored.

    Raises
    ------
    ReadOnlyDatabaseError
        The store cannot be written.
    ValidationError
        An obsid is invalid.
    """
    if not store.writable:
        raise ReadOnlyDatabaseError(
            f"{store.location} is read-only; import it into a DuckDB file "
            f"(astromon db import-legacy) before processing"
        )
    requested = parse_obsids(obsids)
    summary = summary if summary is not None else BatchSummary(requested=[])
    summary.requested = requested
    total = len(requested)

    def finish(outcome: ObservationOutcome) -> None:
        summary.outcomes.append(outcome)
        if progress is not None:
            progress(outcome, len(summary.outcomes), total)

    current: int | None = None
    batch: Iterator[tuple[int, ObservationOutcome]] = iter(())
    try:
        # an empty transaction creates a new database file and fails early on a locked one
        store.save_many([])
        stored = set() if force else _stored_obsids(store)
        for obsid in requested:
            if obsid in stored:
                finish(ObservationOutcome.skip(obsid, "already in database", "use force to redo"))
        batch = executor.map_unordered(
            _SafeProcess(processor), [o for o in requested if o not in stored]
        )
        for obsid, outcome in batch:
            with interrupts.shielded():  # saved, recorded and reported together
                current = obsid
                if outcome.status is OutcomeStatus.OK:
                    outcome = _save(store, outcome)
                    if outcome.status is OutcomeStatus.OK:
                        summary.saved.append(obsid)
                logger.info("obsid %s: %s %s", obsid, outcome.status.value, outcome.reason)
                finish(outcome)
                current = None
    except KeyboardInterrupt:
        summary.stop(interrupts.reason(), _running(batch, executor, current))
    except Exception as exc:
        if interrupts.interrupting() or interrupted_query(exc):
            summary.stop(interrupts.reason(), _running(batch, executor, current))
        elif isinstance(exc, AstromonError):
            raise
        else:  # the executor broke (a worker died...): every unfinished obsid is left unrun
            summary.stop(f"{type(exc).__name__}: {exc}")
    return summary


def _running(batch: Iterator[Any], executor: Executor, current: int | None) -> list[int]:
    """The obsids that were running or being saved when the batch stopped."""
    close = getattr(batch, "close", None)
    if close is not None:
        close()  # the executor records the items that were running
    running = list(getattr(executor, "interrupted_items", None) or ())
    return running if current is None else [current, *running]


def _save(store: Store, outcome: ObservationOutcome) -> ObservationOutcome:
    try:
        store.save_many(outcome_writes(outcome))
    except AstromonError as exc:
        if type(exc).__name__ == "ReadOnlyDatabaseError":
            raise
        if interrupts.interrupting() or interrupted_query(exc):
            raise KeyboardInterrupt from None
        return ObservationOutcome.error(
            outcome.obsid, f"save failed ({type(exc).__name__})", str(exc)
        )
    return outcome
