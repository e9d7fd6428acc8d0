"""The report-renderer port: turns the monitoring report's figures into files (PNG, HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from astropy.table import Table

from astromon.domain.accuracy import AccuracyStatement, SummaryRow
from astromon.domain.accuracy_text import summary_lines
from astromon.domain.alignment.history import AlignmentHistory
from astromon.domain.observation_offsets import WORST_OBSERVATIONS, ObservationFigures
from astromon.domain.resampling import CdfBand
from astromon.domain.statistics import BinnedMedians, QuantileHistory

__all__ = ["ARCHIVED", "CatalogUse", "MonitoringReport", "ReportRenderer"]

ARCHIVED = "as archived"
"""The view of the offsets as stored (no shift)."""


@dataclass(frozen=True)
class CatalogUse:
    """A catalog the counterparts of the accuracy window come from.

    ``n`` matches in the window; ``description`` and ``vizier`` (the VizieR table) from the
    catalog registry (empty for an unregistered name).
    """

    name: str
    description: str
    vizier: str
    n: int


@dataclass(frozen=True)
class MonitoringReport:
    """Everything the monitoring report shows.

    Attributes
    ----------
    title : str
        Page title.
    now_date : str
        Now, as a Chandra date: the accuracy window and the periods count back from it.
    matches : Table
        The selected cross-matches with at least obsid, detector, target, tstart (CXC s),
        year (decimal year), dy, dz, dr (arcsec, after any shift) and in_window (bool, the
        match counts in the accuracy statement).
    accuracy : AccuracyStatement
        The accuracy figures over the window, overall and per detector.
    summary : list of SummaryRow
        The periods table: the accuracy figures per period and detector.
    medians_dy, medians_dz : BinnedMedians
        Half-year medians of dy and dz with 15.8/84.2 percentile bands (all the matches).
    selection : dict
        The selection applied (argument name → value).
    selection_text : tuple of str
        The selection in words, one sentence per criterion.
    shift : str
        How offsets were shifted ('' when they were not: the view "as archived").
    detector_medians : dict
        Detector → (medians of dy, medians of dz) in half-years, for detectors with matches.
    quantile_history : QuantileHistory or None
        Half-year 68/90/99% quantiles of dr.
    caldb_releases : list of (str, float)
        CalDB releases that changed the CALALIGN: (label, decimal year), marked on the plots.
    hint : str
        Advice shown on the page ('' for none), e.g. to pass ``--now`` when no match falls in
        the accuracy window.
    cdf : CdfBand or None
        The CDF of dr over the window with its bootstrap band (whole observations resampled).
    observations : tuple of ObservationFigures
        Every observation of the window, the one with the largest dr first.
    catalogs : tuple of CatalogUse
        The catalogs of the window's counterparts, most used first.
    half_years : tuple of float
        Starts (decimal years) of the last six half-years of the window, oldest first.
    reference : MonitoringReport or None
        The same matches as if reprocessed with the reference CALALIGN, shown on the same page.
    alignment : AlignmentHistory or None
        The fitted shift of each observation over time, and the flagged observations (None:
        the matches do not carry the pairs' columns the fit needs).
    """

    title: str
    now_date: str
    matches: Table
    accuracy: AccuracyStatement
    summary: list[SummaryRow]
    medians_dy: BinnedMedians
    medians_dz: BinnedMedians
    selection: Mapping[str, object] = field(default_factory=dict)
    selection_text: tuple[str, ...] = ()
    shift: str = ""
    detector_medians: Mapping[str, tuple[BinnedMedians, BinnedMedians]] = field(
        default_factory=dict
    )
    quantile_history: QuantileHistory | None = None
    caldb_releases: list[tuple[str, float]] = field(default_factory=list)
    hint: str = ""
    cdf: CdfBand | None = None
    observations: tuple[ObservationFigures, ...] = ()
    catalogs: tuple[CatalogUse, ...] = ()
    half_years: tuple[float, ...] = ()
    reference: MonitoringReport | None = None
    alignment: AlignmentHistory | None = None

    @property
    def view(self) -> str:
        """What the offsets are: :data:`ARCHIVED` or how they were shifted."""
        return self.shift or ARCHIVED

    def worst_observations(self) -> tuple[ObservationFigures, ...]:
        """The observations with the largest dr in the window (at most 20), largest first."""
        return self.observations[:WORST_OBSERVATIONS]

    def record(self) -> dict[str, Any]:
        """The report's figures for ``summary.json`` (JSON types; no NaN, missing is None).

        The keys of the accuracy statement (:meth:`AccuracyStatement.record`), ``now``,
        ``view``, ``worst_observations``, ``flagged_observations`` (:meth:`AlignmentHistory.
        record`; empty without an alignment) and, with a reference view,
        ``reference_calalign`` holding the same keys for it. A new key is one more item here.
        """
        record = self.accuracy.record()
        record["now"] = self.now_date
        record["view"] = self.view
        record["worst_observations"] = [o.record() for o in self.worst_observations()]
        record["flagged_observations"] = [] if self.alignment is None else self.alignment.record()
        if self.reference is not None:
            record["reference_calalign"] = self.reference.record()
        return record

    def summary_lines(self) -> list[str]:
        """The summary as text lines: now on the first line, the statement, the tables."""
        views = [] if self.reference is None else [(self.reference.view, self.reference.accuracy)]
        return summary_lines(self.now_date, self.accuracy, self.summary, views)


@runtime_checkable
class ReportRenderer(Protocol):
    """Writes a report's plots and page into a directory."""

    def plot_offsets(
        self, matches: Table, offsets: Table, path: Path, *, overwrite: bool = False
    ) -> Path:
        """Write a PNG of binned median offsets over the matches' dy and dz.

        ``matches`` has tstart (CXC s), detector, dy, dz; ``offsets`` the rows of
        ``astromon calalign offsets`` (tstart, tstop in CXC s, detector, n, dy, dz, errors).
        The file is written atomically under the output rule (only a regular file is written;
        an existing one only with ``overwrite``); returns ``path``.
        """
        ...

    def render_comparison(
        self, before: MonitoringReport, after: MonitoringReport, outdir: Path
    ) -> Path:
        """Write both reports (``before/``, ``after/``) and a page showing them side by side.

        Returns the path of ``outdir/index.html``; ``outdir`` is replaced as a whole.
        """
        ...

    def render(self, report: MonitoringReport, outdir: Path) -> Path:
        """Write the PNG plots, ``index.html`` (with relative image paths) and
        ``summary.json`` (:meth:`MonitoringReport.record`) in ``outdir``.

        The directory is built beside ``outdir`` and swapped into place: ``outdir`` holds
        either its old content or the complete new report. Returns the path of the page.
        """
        ...

    def render_site(self, reports: Mapping[str, MonitoringReport], outdir: Path) -> Path:
        """Write each report in its subdirectory of ``outdir`` (as :meth:`render` does) and an
        ``index.html`` linking them, its statement beside each link.

        ``outdir`` is built beside its place and swapped in as a whole. Returns the path of
        ``outdir/index.html``.
        """
        ...
