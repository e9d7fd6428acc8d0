"""The report-renderer port: turns the monitoring report's figures into files (PNG, HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from astropy.table import Table

from astromon.domain.statistics import BinnedMedians, SummaryRow

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


@runtime_checkable
class ReportRenderer(Protocol):
    """Writes a report's plots and page into a directory."""

    def render(self, report: MonitoringReport, outdir: Path) -> Path:
        """Write the PNG plots and ``index.html`` (with relative image paths) in ``outdir``.

        Creates ``outdir`` if needed and returns the path of the HTML page.
        """
        ...
