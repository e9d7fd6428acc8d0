"""The report-renderer port: turns the monitoring report's figures into files (PNG, HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from astropy.table import Table

from astromon.domain.statistics import BinnedMedians, QuantileHistory, SummaryRow

__all__ = ["MonitoringReport", "ReportRenderer"]


@dataclass(frozen=True)
class MonitoringReport:
    """Everything the monitoring report shows.

    Attributes
    ----------
    title : str
        Page title.
    now_date : str
        The reference time of the periods, as a Chandra date.
    matches : Table
        The selected cross-matches with at least obsid, detector, target, tstart (CXC s),
        year (decimal year), dy, dz, dr (arcsec, after any shift).
    summary : list of SummaryRow
        N, RMS, 90th percentile and percent > 1 arcsec of dr per period and detector.
    quantiles : dict
        Percent (68, 90, 99) → dr quantile (arcsec) over all selected matches.
    detector_quantiles : dict
        Detector → (percent → dr quantile) for each detector with matches.
    medians_dy, medians_dz : BinnedMedians
        Half-year medians of dy and dz with 15.8/84.2 percentile bands.
    selection : dict
        The selection applied (argument name → value), shown on the page.
    shift : str
        How offsets were shifted ('' when they were not).
    detector_medians : dict
        Detector → (medians of dy, medians of dz) in half-years, for detectors with matches.
    quantile_history : QuantileHistory or None
        Half-year 68/90/99% quantiles of dr.
    caldb_releases : list of (str, float)
        CalDB releases that changed the CALALIGN: (label, decimal year), marked on the plots.
    all_data : list of SummaryRow
        The summary figures over all the selected data.
    hint : str
        Advice shown on the page ('' for none), e.g. to pass ``--now`` when the data are
        older than the report periods.
    """

    title: str
    now_date: str
    matches: Table
    summary: list[SummaryRow]
    quantiles: dict[float, float]
    detector_quantiles: dict[str, dict[float, float]]
    medians_dy: BinnedMedians
    medians_dz: BinnedMedians
    selection: Mapping[str, object] = field(default_factory=dict)
    shift: str = ""
    detector_medians: Mapping[str, tuple[BinnedMedians, BinnedMedians]] = field(
        default_factory=dict
    )
    quantile_history: QuantileHistory | None = None
    caldb_releases: list[tuple[str, float]] = field(default_factory=list)
    all_data: list[SummaryRow] = field(default_factory=list)
    hint: str = ""


@runtime_checkable
class ReportRenderer(Protocol):
    """Writes a report's plots and page into a directory."""

    def plot_offsets(self, matches: Table, offsets: Table, path: Path) -> Path:
        """Write a PNG of binned median offsets over the matches' dy and dz.

        ``matches`` has tstart (CXC s), detector, dy, dz; ``offsets`` the rows of
        ``astromon calalign offsets`` (tstart, tstop in CXC s, detector, n, dy, dz, errors).
        The file is written atomically; returns ``path``.
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
        """Write the PNG plots and ``index.html`` (with relative image paths) in ``outdir``.

        The directory is built beside ``outdir`` and swapped into place: ``outdir`` holds
        either its old content or the complete new report. Returns the path of the page.
        """
        ...
