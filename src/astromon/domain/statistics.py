"""Statistics of the monitoring report, as pure numpy functions.

Offsets ``dy``, ``dz`` and ``dr`` are in arcsec; times are CXC seconds. A year is 365.25 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError

__all__ = [
    "DETECTORS",
    "PERIODS",
    "QUANTILES",
    "SECONDS_PER_YEAR",
    "BinnedMedians",
    "Period",
    "QuantileHistory",
    "SummaryRow",
    "all_data_summary",
    "apply_offset_steps",
    "binned_medians",
    "cdf",
    "dr_quantiles",
    "dr_summary",
    "half_year_bins",
    "period_masks",
    "quantile_history",
    "shift_to_reference_calalign",
    "summary_table",
]

SECONDS_PER_YEAR: Final = 365.25 * 86400.0
DETECTORS: Final[tuple[str, ...]] = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")
QUANTILES: Final[tuple[float, ...]] = (68.0, 90.0, 99.0)
BAND_PERCENTILES: Final[tuple[float, float]] = (15.8, 84.2)
BIG_OFFSET_ARCSEC: Final = 1.0


@dataclass(frozen=True)
class Period:
    """A time window relative to 'now': ``now - start_years <= t < now - stop_years``."""

    label: str
    start_years: float
    stop_years: float


PERIODS: Final[tuple[Period, ...]] = (
    Period("last 5 years", 5.0, 0.0),
    Period("4-2 years ago", 4.0, 2.0),
    Period("last 2 years", 2.0, 0.0),
)


@dataclass(frozen=True)
class SummaryRow:
    """Figures of dr for one period and one detector selection (``"all"`` or a detector).

    ``n`` matches; ``rms`` = sqrt(mean(dr²)), ``q90`` = 90th percentile of dr and
    ``percent_big`` = percentage of matches with dr > 1 arcsec; NaN when ``n`` is 0.
    """

    period: str
    detector: str
    n: int
    rms: float
    q90: float
    percent_big: float


@dataclass(frozen=True)
class BinnedMedians:
    """Medians and 15.8/84.2 percentile bands of a quantity in time bins.

    Arrays share one length (one element per non-empty bin); ``bin_start``/``bin_stop`` are
    decimal years, ``n`` counts, the rest in the quantity's unit (arcsec).
    """

    bin_start: NDArray[np.float64]
    bin_stop: NDArray[np.float64]
    n: NDArray[np.int64]
    median: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


def _float_array(values: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def dr_summary(dr: ArrayLike) -> tuple[int, float, float, float]:
    """N, RMS, 90th percentile and percent above 1 arcsec of ``dr`` (arcsec; NaNs ignored).

    Returns ``(0, nan, nan, nan)`` for no values.
    """
    arr = _float_array(dr, "dr")
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return 0, float("nan"), float("nan"), float("nan")
    rms = float(np.sqrt(np.mean(arr**2)))
    q90 = float(np.percentile(arr, 90.0))
    big = float(100.0 * np.count_nonzero(arr > BIG_OFFSET_ARCSEC) / arr.size)
    return int(arr.size), rms, q90, big


def period_masks(
    times: ArrayLike, now: float, periods: Sequence[Period] = PERIODS
) -> dict[str, NDArray[np.bool_]]:
    """For each period, a mask of ``times`` (CXC s) inside it, relative to ``now`` (CXC s)."""
    t = _float_array(times, "times")
    if not np.isfinite(now):
        raise ValidationError(f"now must be a finite time in CXC seconds, got {now!r}")
    out = {}
    for period in periods:
        lo = now - period.start_years * SECONDS_PER_YEAR
        hi = now - period.stop_years * SECONDS_PER_YEAR
        upper = t <= hi if period.stop_years == 0 else t < hi
        out[period.label] = (t >= lo) & upper
    return out


def summary_table(
    dr: ArrayLike,
    detector: ArrayLike,
    times: ArrayLike,
    now: float,
    periods: Sequence[Period] = PERIODS,
    detectors: Sequence[str] = DETECTORS,
) -> list[SummaryRow]:
    """The summary table: dr figures per period, overall and per detector.

    Parameters
    ----------
    dr : array
        Offsets between x-ray sources and counterparts (arcsec).
    detector : array of str
        Detector of each match (ACIS-S, ACIS-I, HRC-S, HRC-I).
    times : array
        Time of each match (CXC seconds, e.g. the observation's tstart).
    now : float
        The reference time (CXC seconds) the periods are counted back from.

    Returns
    -------
    list of SummaryRow
        For each period: the row of all detectors, then one row per detector.
    """
    dr_arr = _float_array(dr, "dr")
    det = np.asarray(detector).astype(str)
    t = _float_array(times, "times")
    if not (dr_arr.size == det.size == t.size):
        raise ValidationError(
            f"dr, detector and times differ in length ({dr_arr.size}, {det.size}, {t.size})"
        )
    rows = []
    for label, in_period in period_masks(t, now, periods).items():
        for name in ("all", *detectors):
            mask = in_period if name == "all" else in_period & (det == name)
            n, rms, q90, big = dr_summary(dr_arr[mask])
            rows.append(SummaryRow(label, name, n, rms, q90, big))
    return rows


def dr_quantiles(dr: ArrayLike, quantiles: Sequence[float] = QUANTILES) -> dict[float, float]:
    """Percentiles of ``dr`` (arcsec), keyed by percent (68, 90, 99); NaN for no values."""
    arr = _float_array(dr, "dr")
    arr = arr[np.isfinite(arr)]
    for q in quantiles:
        if not 0.0 <= q <= 100.0:
            raise ValidationError(f"quantile {q!r} is not a percentage in [0, 100]")
    if arr.size == 0:
        return {float(q): float("nan") for q in quantiles}
    values = np.percentile(arr, list(quantiles))
    return {float(q): float(v) for q, v in zip(quantiles, values, strict=True)}


def cdf(values: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The empirical CDF: sorted finite values and the fraction ``(i + 1) / n`` at each."""
    arr = _float_array(values, "values")
    arr = np.sort(arr[np.isfinite(arr)])
    return arr, np.arange(1, arr.size + 1, dtype=np.float64) / max(arr.size, 1)


def half_year_bins(years: ArrayLike) -> NDArray[np.float64]:
    """Start (decimal year) of the half-year bin of each decimal year: floor(2·year)/2."""
    return np.floor(2.0 * _float_array(years, "years")) / 2.0


def binned_medians(
    years: ArrayLike,
    values: ArrayLike,
    width_years: float = 0.5,
    percentiles: tuple[float, float] = BAND_PERCENTILES,
) -> BinnedMedians:
    """Median and percentile band of ``values`` in bins of ``width_years`` (default half-year).

    Bins start at multiples of ``width_years``; empty bins are left out; NaN values ignored.
    """
    if not (np.isfinite(width_years) and width_years > 0):
        raise ValidationError(f"bin width must be a positive number of years, got {width_years!r}")
    y = _float_array(years, "years")
    v = _float_array(values, "values")
    if y.size != v.size:
        raise ValidationError(f"years and values differ in length ({y.size}, {v.size})")
    ok = np.isfinite(y) & np.isfinite(v)
    y, v = y[ok], v[ok]
    starts = np.floor(y / width_years) * width_years
    order = np.lexsort((v, starts))
    starts, v = starts[order], v[order]
    uniq, first, counts = np.unique(starts, return_index=True, return_counts=True)
    med, low, high = [], [], []
    for i, c in zip(first, counts, strict=True):
        chunk = v[i : i + c]
        med.append(np.median(chunk))
        lo, hi = np.percentile(chunk, percentiles)
        low.append(lo)
        high.append(hi)
    return BinnedMedians(
        bin_start=uniq.astype(np.float64),
        bin_stop=(uniq + width_years).astype(np.float64),
        n=counts.astype(np.int64),
        median=np.asarray(med, dtype=np.float64),
        low=np.asarray(low, dtype=np.float64),
        high=np.asarray(high, dtype=np.float64),
    )


@dataclass(frozen=True)
class QuantileHistory:
    """Quantiles of dr in time bins: ``values[q]`` holds the q-th percentile per bin.

    ``bin_start``/``bin_stop`` are decimal years, ``n`` counts, values in arcsec.
    """

    bin_start: NDArray[np.float64]
    bin_stop: NDArray[np.float64]
    n: NDArray[np.int64]
    values: dict[float, NDArray[np.float64]]


def quantile_history(
    years: ArrayLike,
    dr: ArrayLike,
    width_years: float = 0.5,
    quantiles: Sequence[float] = QUANTILES,
) -> QuantileHistory:
    """The 68/90/99% quantiles of ``dr`` (arcsec) in bins of ``width_years``.

    Bins start at multiples of ``width_years`` (decimal years); empty bins are left out.
    """
    if not (np.isfinite(width_years) and width_years > 0):
        raise ValidationError(f"bin width must be a positive number of years, got {width_years!r}")
    y = _float_array(years, "years")
    v = _float_array(dr, "dr")
    if y.size != v.size:
        raise ValidationError(f"years and dr differ in length ({y.size}, {v.size})")
    ok = np.isfinite(y) & np.isfinite(v)
    starts = np.floor(y[ok] / width_years) * width_years
    v = v[ok]
    uniq = np.unique(starts)
    counts = np.array([np.count_nonzero(starts == u) for u in uniq], dtype=np.int64)
    values = {
        float(q): np.array([np.percentile(v[starts == u], q) for u in uniq], dtype=np.float64)
        for q in quantiles
    }
    return QuantileHistory(uniq, uniq + width_years, counts, values)


def all_data_summary(
    dr: ArrayLike, detector: ArrayLike, detectors: Sequence[str] = DETECTORS
) -> list[SummaryRow]:
    """The summary figures of dr over all the data, overall and per detector (period "all data")."""
    dr_arr = _float_array(dr, "dr")
    det = np.asarray(detector).astype(str)
    if dr_arr.size != det.size:
        raise ValidationError(f"dr and detector differ in length ({dr_arr.size}, {det.size})")
    rows = []
    for name in ("all", *detectors):
        n, rms, q90, big = dr_summary(dr_arr if name == "all" else dr_arr[det == name])
        rows.append(SummaryRow("all data", name, n, rms, q90, big))
    return rows


def apply_offset_steps(
    times: ArrayLike, dy: ArrayLike, dz: ArrayLike, steps: Any
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Remove known offset steps from dy/dz: each step applies from its tstart onwards.

    Parameters
    ----------
    times : array
        Time of each match (CXC seconds).
    dy, dz : array
        Offsets (arcsec).
    steps : table-like with columns tstart (CXC s), dy, dz (arcsec)
        The step with the latest ``tstart <= time`` applies to a match; matches before the
        first step are unchanged. Steps need not be sorted.

    Returns
    -------
    dy, dz, dr : arrays
        ``dy - step.dy``, ``dz - step.dz`` and their hypotenuse (arcsec).
    """
    t = _float_array(times, "times")
    y = _float_array(dy, "dy")
    z = _float_array(dz, "dz")
    try:
        s_t = _float_array(steps["tstart"], "steps.tstart")
        s_y = _float_array(steps["dy"], "steps.dy")
        s_z = _float_array(steps["dz"], "steps.dz")
    except (KeyError, ValueError, IndexError) as exc:
        raise ValidationError(f"offset steps need columns tstart, dy, dz: {exc}") from None
    if not (np.isfinite(s_t).all() and np.isfinite(s_y).all() and np.isfinite(s_z).all()):
        raise ValidationError("offset steps hold NaN or infinite values")
    order = np.argsort(s_t, kind="stable")
    s_t, s_y, s_z = s_t[order], s_y[order], s_z[order]
    idx = np.searchsorted(s_t, t, side="right") - 1
    applies = idx >= 0
    shift_y = np.where(applies, s_y[np.clip(idx, 0, None)] if s_y.size else 0.0, 0.0)
    shift_z = np.where(applies, s_z[np.clip(idx, 0, None)] if s_z.size else 0.0, 0.0)
    new_y, new_z = y - shift_y, z - shift_z
    return new_y, new_z, np.hypot(new_y, new_z)


def shift_to_reference_calalign(
    dy: ArrayLike,
    dz: ArrayLike,
    calalign_dy: ArrayLike,
    calalign_dz: ArrayLike,
    ref_calalign_dy: ArrayLike,
    ref_calalign_dz: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Offsets as if every observation had been processed with a reference calalign.

    ``dy' = dy - calalign_dy + ref_calalign_dy`` (same for z), all in arcsec; returns
    ``(dy', dz', hypot(dy', dz'))``.
    """
    new_y = (
        _float_array(dy, "dy")
        - _float_array(calalign_dy, "calalign_dy")
        + _float_array(ref_calalign_dy, "ref_calalign_dy")
    )
    new_z = (
        _float_array(dz, "dz")
        - _float_array(calalign_dz, "calalign_dz")
        + _float_array(ref_calalign_dz, "ref_calalign_dz")
    )
    return new_y, new_z, np.hypot(new_y, new_z)
