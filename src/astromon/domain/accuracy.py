"""Chandra's celestial location accuracy: the figures of dr over a window of time.

The accuracy statement the CXC publishes is computed over the cross-matches of the ``N``
years before "now" (``N`` = 5 by default): a match at time ``t`` (its observation's start,
CXC seconds) counts when ``now - N·year < t <= now``, a year being 365.25 days. A match after
``now`` never counts. Over those matches, overall and per detector:

* ``n``: the number of matches;
* ``q68``, ``q90``, ``q99``: the 68/90/99% radii, the percentiles of dr computed with
  ``numpy.percentile`` (linear interpolation between order statistics). The system we replace
  (sot/astromon's ``web/celmon.py``) interpolates the cumulative histogram of dr in 0.01"
  bins from 0 to 3"; the two agree within the bin width, 0.01";
* ``max_offset``: the worst offset, the largest dr;
* ``rms``: ``sqrt(mean(dr²))``;
* ``percent_above_1arcsec``: the percentage of matches with dr > 1".

Offsets are in arcsec. A figure that cannot be computed (no match) is NaN, written ``null``
in JSON records (read back by :mod:`astromon.domain.accuracy_json`). The periods table (last
5 years, 4-2 years ago, last 2 years) uses the same figures over the same kind of interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError
from astromon.domain.statistics import DETECTORS, QUANTILES, SECONDS_PER_YEAR, float_array
from astromon.domain.time import CxoTime

__all__ = [
    "BIG_OFFSET_ARCSEC",
    "DEFAULT_YEARS",
    "PERIODS",
    "AccuracyFigures",
    "AccuracyStatement",
    "Period",
    "SummaryRow",
    "accuracy_figures",
    "accuracy_statement",
    "detector_key",
    "iso_date",
    "json_number",
    "recent_half_years",
    "summary_table",
    "window_mask",
]

DEFAULT_YEARS: Final = 5.0
"""Length of the accuracy window, years before now."""
BIG_OFFSET_ARCSEC: Final = 1.0
"""Offsets above this (arcsec) are counted in ``percent_above_1arcsec``."""


def json_number(value: float) -> float | None:
    """``value`` for a JSON record: None for NaN or infinity (JSON has no NaN)."""
    number = float(value)
    return number if math.isfinite(number) else None


def iso_date(secs: float) -> str:
    """The ISO date ``YYYY-MM-DD`` of a time in CXC seconds."""
    return str(CxoTime(float(secs)).iso)[:10]


def detector_key(detector: str) -> str:
    """The record key of a detector: ``ACIS-S`` → ``ACIS_S``."""
    return detector.replace("-", "_")


def window_mask(
    times: ArrayLike, now: float, years: float, ending_years_ago: float = 0.0
) -> NDArray[np.bool_]:
    """Matches in ``now - years·year < t <= now - ending_years_ago·year`` (CXC seconds).

    Raises
    ------
    ValidationError
        ``now`` is not finite, or the window is not a positive number of years.
    """
    t = float_array(times, "times")
    if not math.isfinite(now):
        raise ValidationError(f"now must be a finite time in CXC seconds, got {now!r}")
    if not (math.isfinite(years) and years > ending_years_ago >= 0):
        raise ValidationError(
            f"the window must be a positive number of years, got {years!r} to "
            f"{ending_years_ago!r} years before now"
        )
    lo = now - years * SECONDS_PER_YEAR
    hi = now - ending_years_ago * SECONDS_PER_YEAR
    mask: NDArray[np.bool_] = (t > lo) & (t <= hi)
    return mask


@dataclass(frozen=True)
class AccuracyFigures:
    """The figures of dr over one selection (arcsec; NaN when ``n`` is 0)."""

    n: int
    q68: float
    q90: float
    q99: float
    max_offset: float
    rms: float
    percent_above_1arcsec: float

    def record(self) -> dict[str, int | float | None]:
        """The figures under their record keys, NaN as None."""
        return {
            "n": self.n,
            "q68": json_number(self.q68),
            "q90": json_number(self.q90),
            "q99": json_number(self.q99),
            "max_offset": json_number(self.max_offset),
            "rms": json_number(self.rms),
            "percent_above_1arcsec": json_number(self.percent_above_1arcsec),
        }


def accuracy_figures(dr: ArrayLike) -> AccuracyFigures:
    """The accuracy figures of ``dr`` (arcsec); NaN values are left out."""
    arr = float_array(dr, "dr")
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        nan = float("nan")
        return AccuracyFigures(0, nan, nan, nan, nan, nan, nan)
    q68, q90, q99 = (float(v) for v in np.percentile(arr, QUANTILES))
    return AccuracyFigures(
        n=int(arr.size),
        q68=q68,
        q90=q90,
        q99=q99,
        max_offset=float(np.max(arr)),
        rms=float(np.sqrt(np.mean(arr**2))),
        percent_above_1arcsec=float(100.0 * np.count_nonzero(arr > BIG_OFFSET_ARCSEC) / arr.size),
    )


def _detector_array(detector: ArrayLike, size: int) -> NDArray[np.str_]:
    det = np.asarray(detector).astype(str)
    if det.shape != (size,):
        raise ValidationError(f"dr and detector differ in length ({size}, {det.size})")
    return det


@dataclass(frozen=True)
class AccuracyStatement:
    """The accuracy over a window, overall and per detector.

    Attributes
    ----------
    start, end : float
        The window ``start < t <= end`` (CXC seconds; ``end`` is now).
    n_years : float
        Its length in years.
    snr : float or None
        The minimum S/N of the selection (None when not known).
    overall : AccuracyFigures
        All detectors together.
    detectors : mapping
        Detector (every one of :data:`DETECTORS`) → its figures.
    """

    start: float
    end: float
    n_years: float
    snr: float | None
    overall: AccuracyFigures
    detectors: Mapping[str, AccuracyFigures] = field(default_factory=dict)

    @property
    def start_date(self) -> str:
        """The window's start, ``YYYY-MM-DD``."""
        return iso_date(self.start)

    @property
    def end_date(self) -> str:
        """The window's end (now), ``YYYY-MM-DD``."""
        return iso_date(self.end)

    def record(self) -> dict[str, Any]:
        """start_date, end_date, snr, n_years, the overall figures, and per detector (keys
        ``ACIS_S``, ``ACIS_I``, ``HRC_S``, ``HRC_I``) the same figures; NaN as None."""
        record: dict[str, Any] = {
            "start_date": self.start_date,
            "end_date": self.end_date,
            "snr": None if self.snr is None else json_number(self.snr),
            "n_years": json_number(self.n_years),
            **self.overall.record(),
        }
        for name, figures in self.detectors.items():
            record[detector_key(name)] = figures.record()
        return record


def accuracy_statement(
    dr: ArrayLike,
    detector: ArrayLike,
    times: ArrayLike,
    now: float,
    years: float = DEFAULT_YEARS,
    snr: float | None = None,
    detectors: Sequence[str] = DETECTORS,
) -> AccuracyStatement:
    """The accuracy figures of the matches in the window ``now - years < t <= now``.

    Parameters
    ----------
    dr : array
        Offsets (arcsec).
    detector : array of str
        Detector of each match.
    times : array
        Time of each match (CXC seconds, the observation's start).
    now : float
        The end of the window (CXC seconds).
    years : float
        The window's length in years.
    snr : float, optional
        The minimum S/N of the selection (recorded, not applied).
    detectors : sequence of str
        Detectors with their own figures (each one, with n = 0 when it has no match).
    """
    dr_arr = float_array(dr, "dr")
    det = _detector_array(detector, dr_arr.size)
    inside = window_mask(times, now, years)
    if inside.size != dr_arr.size:
        raise ValidationError(f"dr and times differ in length ({dr_arr.size}, {inside.size})")
    return AccuracyStatement(
        start=now - years * SECONDS_PER_YEAR,
        end=float(now),
        n_years=float(years),
        snr=snr,
        overall=accuracy_figures(dr_arr[inside]),
        detectors={name: accuracy_figures(dr_arr[inside & (det == name)]) for name in detectors},
    )


@dataclass(frozen=True)
class Period:
    """A time window relative to now: ``now - start_years < t <= now - stop_years``."""

    label: str
    start_years: float
    stop_years: float


PERIODS: Final[tuple[Period, ...]] = (
    Period("last 5 years", 5.0, 0.0),
    Period("4-2 years ago", 4.0, 2.0),
    Period("last 2 years", 2.0, 0.0),
)
"""The periods of the summary table."""


@dataclass(frozen=True)
class SummaryRow:
    """The accuracy figures of one period and one detector selection (``all`` or a detector)."""

    period: str
    detector: str
    figures: AccuracyFigures


def summary_table(
    dr: ArrayLike,
    detector: ArrayLike,
    times: ArrayLike,
    now: float,
    periods: Sequence[Period] = PERIODS,
    detectors: Sequence[str] = DETECTORS,
) -> list[SummaryRow]:
    """The periods table: for each period, the row of all detectors, then one per detector.

    ``dr`` in arcsec, ``times`` and ``now`` in CXC seconds.
    """
    dr_arr = float_array(dr, "dr")
    det = _detector_array(detector, dr_arr.size)
    rows = []
    for period in periods:
        inside = window_mask(times, now, period.start_years, period.stop_years)
        if inside.size != dr_arr.size:
            raise ValidationError(f"dr and times differ in length ({dr_arr.size}, {inside.size})")
        for name in ("all", *detectors):
            mask = inside if name == "all" else inside & (det == name)
            rows.append(SummaryRow(period.label, name, accuracy_figures(dr_arr[mask])))
    return rows


def recent_half_years(years: ArrayLike, count: int = 6) -> list[float]:
    """The ``count`` half-years ending with the latest one that holds a match.

    ``years`` are decimal years; half-years start at ``YYYY.0`` and ``YYYY.5``. Returns their
    starts, oldest first (empty for no finite year).
    """
    y = float_array(years, "years")
    y = y[np.isfinite(y)]
    if y.size == 0:
        return []
    latest = float(np.floor(2.0 * np.max(y)) / 2.0)
    return [latest - 0.5 * k for k in range(count - 1, -1, -1)]
