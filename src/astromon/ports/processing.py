"""The observation-processor port: the whole per-observation work of a batch, behind one call.

A batch (:mod:`astromon.services.batch.pipeline`) hands obsids to an
:class:`~astromon.ports.executor.Executor`; each worker calls
:meth:`ObservationProcessor.process` and sends back an :class:`ObservationOutcome`, a small
picklable value holding the status and the rows to store for that obsid. The calling process is
the only one that writes to the database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from astropy.table import Table

from astromon.domain.observation_results import ProcessResult

__all__ = [
    "OUTCOME_TABLES",
    "ObservationHandle",
    "ObservationOutcome",
    "ObservationProcessor",
    "OutcomeStatus",
]

OUTCOME_TABLES: tuple[str, ...] = (
    "astromon_obs",
    "astromon_xray_src",
    "astromon_cat_src",
    "astromon_xcorr",
    "astromon_alignment",
)
"""The tables an observation's outcome carries, in the order they are saved."""


class OutcomeStatus(enum.StrEnum):
    """What happened to one observation of a batch."""

    OK = "OK"
    """Processed; its tables are to be saved."""
    SKIP = "SKIP"
    """Not processed on purpose (not selected, already in the database...)."""
    ERROR = "ERROR"
    """Processing failed; nothing is saved for this obsid."""


@dataclass(frozen=True)
class ObservationOutcome:
    """The result of processing one obsid (picklable: it travels back from a worker).

    Parameters
    ----------
    obsid : int
        The observation id.
    status : OutcomeStatus
        OK, SKIP or ERROR.
    reason : str
        A short, groupable reason for SKIP/ERROR (e.g. ``"not selected"``,
        ``"ProcessingError"``); empty for OK.
    message : str
        Details (the error message, the step that skipped...).
    tables : Mapping[str, Table]
        For OK: the rows of this obsid for ``astromon_obs``, ``astromon_xray_src``,
        ``astromon_cat_src`` and ``astromon_xcorr`` (any subset; absent tables are written
        empty so that stale rows of the obsid are removed).
    catalog_failures : Mapping[str, str]
        Catalogs that could not be searched for this obsid's counterparts (catalog → error);
        the other catalogs' counterparts are in ``tables``.
    """

    obsid: int
    status: OutcomeStatus
    reason: str = ""
    message: str = ""
    tables: Mapping[str, Table] = field(default_factory=dict)
    catalog_failures: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def ok(
        cls,
        obsid: int,
        tables: Mapping[str, Table],
        message: str = "",
        catalog_failures: Mapping[str, str] | None = None,
    ) -> ObservationOutcome:
        """An OK outcome with the tables to save (and the catalogs that failed, if any)."""
        return cls(
            int(obsid), OutcomeStatus.OK, "", message, dict(tables), dict(catalog_failures or {})
        )

    @classmethod
    def skip(cls, obsid: int, reason: str, message: str = "") -> ObservationOutcome:
        """A SKIP outcome (nothing to save)."""
        return cls(int(obsid), OutcomeStatus.SKIP, reason, message)

    @classmethod
    def error(cls, obsid: int, reason: str, message: str = "") -> ObservationOutcome:
        """An ERROR outcome (nothing to save)."""
        return cls(int(obsid), OutcomeStatus.ERROR, reason, message)


@runtime_checkable
class ObservationProcessor(Protocol):
    """Processes one observation: CIAO/detection, counterparts and cross-matches.

    Implementations must be picklable (they are shipped to worker processes) and should turn
    expected failures into an ERROR outcome rather than raising.
    """

    def process(self, obsid: int) -> ObservationOutcome:
        """Process ``obsid`` and return its outcome with the rows to store."""
        ...


@runtime_checkable
class ObservationHandle(Protocol):
    """The part of :class:`astromon.observation.Observation` the standard processor uses."""

    def process(self) -> ProcessResult:
        """Run the processing steps; the overall status, its message and each step's result."""
        ...

    def get_info(self) -> Mapping[str, Any]:
        """Observation parameters (obspar) plus the sequence summary and ``category_id``."""
        ...

    def get_sources(self) -> Table:
        """The x-ray sources in ``astromon_xray_src`` form."""
        ...
