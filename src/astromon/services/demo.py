"""The demo use case: run the pipeline on a simulated observatory and check what it recovers.

The simulated observatory injects a known, time-dependent astrometric offset ``(dy, dz)`` per
detector plus a random per-source scatter, and some observations an aspect error (checked by
:mod:`astromon.services.demo_alignment`). After the standard batch
(:func:`astromon.services.batch.pipeline.process_observations`) has stored the cross-matches, this
module compares, for the standard report selection and the observations without an aspect
error:

* the median recovered ``dy``/``dz`` per detector and half-year with the median injected
  offset of the same sources (must agree within :data:`OFFSET_TOLERANCE_ARCSEC`);
* the 90% radius (90th percentile of ``dr``) with that of the simulated true offsets
  (injected + scatter) of the same sources (must agree within :data:`RADIUS_TOLERANCE`).

Offsets are in arcsec, times in decimal years (half-years start at ``YYYY.0`` and ``YYYY.5``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
from astropy.table import Table

from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.time import CxoTime
from astromon.ports.executor import Executor
from astromon.ports.processing import ObservationProcessor
from astromon.ports.report import MonitoringReport
from astromon.ports.store import Store
from astromon.services.batch.pipeline import BatchSummary, ProgressCallback, process_observations
from astromon.services.calibration.calalign import median_offsets
from astromon.services.crossmatch.alignment import read_alignment
from astromon.services.demo_alignment import AlignmentRecovery, recover_alignment
from astromon.services.report import monitoring as report_service

__all__ = [
    "DEFAULT_OBSERVATIONS",
    "DETECTORS",
    "MAX_OBSERVATIONS",
    "OFFSET_TOLERANCE_ARCSEC",
    "RADIUS_TOLERANCE",
    "REPORT_NOW",
    "DemoComparison",
    "DemoObservatory",
    "DemoResult",
    "OffsetComparison",
    "compare_with_truth",
    "half_year",
    "injected_offsets",
    "run_demo",
]

DETECTORS: Final = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")
DEFAULT_OBSERVATIONS: Final = 64
"""Default number of simulated observations: 4 per detector and half-year over two years."""
MAX_OBSERVATIONS: Final = 1000
"""The most simulated observations a demo makes (each takes a fraction of a second)."""
REPORT_NOW: Final = "2026:001:00:00:00.000"
"""The report's reference time for the demo: the end of the simulated span (not the clock)."""
OFFSET_TOLERANCE_ARCSEC: Final = 0.05
"""Largest accepted |recovered - injected| median offset per detector and half-year, arcsec."""
RADIUS_TOLERANCE: Final = 0.10
"""Largest accepted relative difference between recovered and simulated 90% radius."""
TRUTH_COLUMNS: Final = (
    "obsid",
    "name",
    "detector",
    "year",
    "inj_dy",
    "inj_dz",
    "true_dy",
    "true_dz",
)


class DemoObservatory(Protocol):
    """What the demo needs from a simulated observatory."""

    @property
    def obsids(self) -> list[int]:
        """The simulated obsids."""
        ...

    def truth(self) -> Table:
        """Every simulated source: obsid, name (catalog star name, '' when none), detector,
        year (decimal), inj_dy, inj_dz (injected detector offset and aspect error, arcsec),
        true_dy, true_dz (injected offset plus the source's scatter, arcsec)."""
        ...

    def injected_alignment(self) -> Table:
        """The aspect errors: obsid, dy, dz, roll (arcsec) of the observations with one."""
        ...

    def alignment_truth(self) -> Table:
        """Every observation's expected alignment fit (see :mod:`.demo_alignment`)."""
        ...


def half_year(year: Any) -> Any:
    """Start of the half-year (``YYYY.0`` or ``YYYY.5``) containing a decimal year."""
    return np.floor(np.asarray(year, dtype=np.float64) * 2.0) / 2.0


@dataclass(frozen=True)
class OffsetComparison:
    """Recovered and injected median offsets (arcsec) of one detector in one half-year."""

    detector: str
    half_year: float
    n: int
    injected_dy: float
    injected_dz: float
    recovered_dy: float
    recovered_dz: float

    @property
    def error(self) -> float:
        """Largest |recovered - injected| of dy and dz, arcsec."""
        return max(
            abs(self.recovered_dy - self.injected_dy), abs(self.recovered_dz - self.injected_dz)
        )


@dataclass(frozen=True)
class DemoComparison:
    """The demo's verdict: recovered offsets and 90% radius against the simulated truth."""

    bins: tuple[OffsetComparison, ...]
    n_matches: int
    n_unidentified: int
    radius90_recovered: float
    radius90_simulated: float
    offset_tolerance: float = OFFSET_TOLERANCE_ARCSEC
    radius_tolerance: float = RADIUS_TOLERANCE

    @property
    def radius_error(self) -> float:
        """Relative difference of the recovered and simulated 90% radius."""
        if not self.radius90_simulated > 0:
            return float("inf")
        return abs(self.radius90_recovered / self.radius90_simulated - 1.0)

    @property
    def offsets_ok(self) -> bool:
        return bool(self.bins) and all(b.error <= self.offset_tolerance for b in self.bins)

    @property
    def radius_ok(self) -> bool:
        return self.radius_error <= self.radius_tolerance

    @property
    def passed(self) -> bool:
        """True when every half-year median and the 90% radius are within tolerance."""
        return self.offsets_ok and self.radius_ok

    def lines(self) -> list[str]:
        """A text table of the comparison (one line per detector and half-year)."""
        out = [
            f"{'detector':8} {'half-year':>9} {'N':>5} {'dy inj':>7} {'dy rec':>7} "
            f"{'dz inj':>7} {'dz rec':>7} {'|err|':>6}",
        ]
        for b in self.bins:
            flag = "" if b.error <= self.offset_tolerance else "  <-- off"
            out.append(
                f"{b.detector:8} {b.half_year:9.1f} {b.n:5d} {b.injected_dy:7.3f} "
                f"{b.recovered_dy:7.3f} {b.injected_dz:7.3f} {b.recovered_dz:7.3f} "
                f"{b.error:6.3f}{flag}"
            )
        out.append(
            f'90% radius: recovered {self.radius90_recovered:.3f}" simulated '
            f'{self.radius90_simulated:.3f}" ({100 * self.radius_error:.1f}% apart, '
            f"tolerance {100 * self.radius_tolerance:.0f}%)"
        )
        verdict = "PASS" if self.passed else "FAIL"
        n_ok = sum(b.error <= self.offset_tolerance for b in self.bins)
        unidentified = (
            f", {self.n_unidentified} not at a simulated star" if self.n_unidentified else ""
        )
        out.append(
            f"{verdict}: {self.n_matches} cross-matches, medians within "
            f'{self.offset_tolerance}" in {n_ok} of {len(self.bins)} detector half-years'
            f"{unidentified}"
        )
        return out


def injected_offsets(truth: Table) -> Table:
    """The injected offsets per detector and half-year, in the form of an offsets file.

    The median injected ``(dy, dz)`` of the simulated sources of each detector and half-year
    (:func:`astromon.services.calibration.calalign.median_offsets` on ``inj_dy``/``inj_dz``), so
    that ``astromon calalign offsets`` on the demo database can be compared with it row by row.
    """
    _require(truth, ("obsid", "detector", "year", "inj_dy", "inj_dz"), "truth table")
    years = np.asarray(truth["year"], dtype=np.float64)
    tstart = np.atleast_1d(CxoTime(years, format="decimalyear").secs) if len(years) else years
    table = median_offsets(
        Table(
            {
                "obsid": np.asarray(truth["obsid"]),
                "tstart": np.asarray(tstart, dtype=np.float64),
                "detector": np.asarray(truth["detector"]).astype(str),
                "dy": np.asarray(truth["inj_dy"], dtype=np.float64),
                "dz": np.asarray(truth["inj_dz"], dtype=np.float64),
            }
        ),
        per_detector=True,
    )
    per_detector: Table = table[np.asarray(table["detector"]) != "all"]
    return per_detector


def _require(table: Table, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.colnames]
    if missing:
        raise SchemaError(f"{what} lacks columns {missing} (has {table.colnames})")


def compare_with_truth(
    matches: Table,
    truth: Table,
    *,
    offset_tolerance: float = OFFSET_TOLERANCE_ARCSEC,
    radius_tolerance: float = RADIUS_TOLERANCE,
) -> DemoComparison:
    """Compare recovered cross-matches with the simulated truth.

    Parameters
    ----------
    matches : astropy.table.Table
        Selected cross-matches with obsid, name (counterpart name), detector, tstart (CXC s),
        dy, dz, dr (arcsec).
    truth : astropy.table.Table
        The simulated sources (see :class:`DemoObservatory.truth`).
    offset_tolerance : float
        Accepted |recovered - injected| median per detector and half-year, arcsec.
    radius_tolerance : float
        Accepted relative difference of the 90% radii.

    Returns
    -------
    DemoComparison
        One bin per detector and half-year with matches; matches whose counterpart is not a
        simulated star are counted in ``n_unidentified`` and left out of the medians.

    Raises
    ------
    SchemaError
        A needed column is missing (named).
    ValidationError
        A tolerance is not a positive number.
    """
    for name, value in (
        ("offset_tolerance", offset_tolerance),
        ("radius_tolerance", radius_tolerance),
    ):
        if not (np.isfinite(value) and value > 0):
            raise ValidationError(f"{name} must be a positive number, got {value!r}")
    _require(matches, ("obsid", "name", "detector", "tstart", "dy", "dz", "dr"), "matches")
    _require(truth, TRUTH_COLUMNS, "truth table")
    index = {
        (int(o), str(n)): i
        for i, (o, n) in enumerate(zip(truth["obsid"], truth["name"], strict=True))
        if str(n)
    }
    rows = np.array(
        [
            index.get((int(o), str(n)), -1)
            for o, n in zip(matches["obsid"], matches["name"], strict=True)
        ],
        dtype=np.int64,
    )
    known = rows >= 0
    t = truth[rows[known]]
    m = matches[known]
    years = np.asarray(CxoTime(np.asarray(m["tstart"], dtype=np.float64)).frac_year, dtype=float)
    halves = half_year(years)
    detector = np.asarray(m["detector"]).astype(str)
    bins = []
    for det in DETECTORS:
        for h in np.unique(halves[detector == det]):
            sel = (detector == det) & (halves == h)
            bins.append(
                OffsetComparison(
                    detector=det,
                    half_year=float(h),
                    n=int(sel.sum()),
                    injected_dy=float(np.median(t["inj_dy"][sel])),
                    injected_dz=float(np.median(t["inj_dz"][sel])),
                    recovered_dy=float(np.median(np.asarray(m["dy"], float)[sel])),
                    recovered_dz=float(np.median(np.asarray(m["dz"], float)[sel])),
                )
            )
    if known.any():
        r90_rec = float(np.percentile(np.asarray(m["dr"], dtype=float), 90))
        true_dr = np.hypot(np.asarray(t["true_dy"], float), np.asarray(t["true_dz"], float))
        r90_sim = float(np.percentile(true_dr, 90))
    else:
        r90_rec = r90_sim = float("nan")
    return DemoComparison(
        bins=tuple(bins),
        n_matches=int(known.sum()),
        n_unidentified=int((~known).sum()),
        radius90_recovered=r90_rec,
        radius90_simulated=r90_sim,
        offset_tolerance=float(offset_tolerance),
        radius_tolerance=float(radius_tolerance),
    )


@dataclass
class DemoResult:
    """What :func:`run_demo` did: the batch, the selected matches, the comparison, the report."""

    batch: BatchSummary
    matches: Table
    comparison: DemoComparison
    report: MonitoringReport
    alignment: AlignmentRecovery | None = None
    """The stored alignment against the injected aspect errors (None: nothing saved)."""


def run_demo(
    observatory: DemoObservatory,
    *,
    store: Store,
    processor: ObservationProcessor,
    executor: Executor,
    progress: ProgressCallback | None = None,
    select_name: str = "astromon_21",
    summary: BatchSummary | None = None,
) -> DemoResult:
    """Process every simulated observation into ``store`` and compare with the truth.

    Parameters
    ----------
    observatory : DemoObservatory
        The simulated observatory (its obsids and truth table).
    store : Store
        A writable database (observations are re-processed: ``force``).
    processor : ObservationProcessor
        The standard per-observation work wired to the simulated archive, detector and
        catalog.
    executor : Executor
        Where the work runs.
    progress : callable, optional
        Batch progress callback ``(outcome, done, total)``.
    select_name : str
        The standard cross-match to evaluate.
    summary : BatchSummary, optional
        An empty batch summary to fill in place (see
        :func:`~astromon.services.batch.pipeline.process_observations`).

    Returns
    -------
    DemoResult
        The batch summary, the matches of the report's standard selection, their comparison
        with the truth, the monitoring report (periods counted back from
        :data:`REPORT_NOW`) and the stored alignment against the injected aspect errors.

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C or SIGTERM stopped the batch (what it did is in ``summary``).
    """
    batch = process_observations(
        observatory.obsids,
        store=store,
        processor=processor,
        executor=executor,
        force=True,
        progress=progress,
        summary=summary,
    )
    if batch.signalled:
        raise KeyboardInterrupt
    selection = report_service.standard_selection()
    if batch.saved:
        matches = report_service.select_matches(store, name=select_name)
    else:
        matches = Table(names=["obsid", "name", "detector", "tstart", "dy", "dz", "dr"])
    aspect = np.asarray(observatory.injected_alignment()["obsid"])  # compared on their own
    truth = observatory.truth()
    comparison = compare_with_truth(
        matches[~np.isin(np.asarray(matches["obsid"]), aspect)],
        truth[~np.isin(np.asarray(truth["obsid"]), aspect)],
    )
    stored = read_alignment(store, select_name).table if batch.saved else None
    report = report_service.build_report(
        matches,
        now=REPORT_NOW,
        selection=selection,
        title="Chandra absolute astrometry: simulated observatory (astromon demo)",
        stored_alignment=stored,
    )
    recovery = None if stored is None else recover_alignment(stored, observatory.alignment_truth())
    return DemoResult(batch, matches, comparison, report, alignment=recovery)
