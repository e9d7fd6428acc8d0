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
    "BAND_PERCENTILES",
    "DETECTORS",
    "QUANTILES",
    "SECONDS_PER_YEAR",
    "BinnedMedians",
    "QuantileHistory",
    "apply_offset_steps",
    "binned_medians",
    "cdf",
    "float_array",
    "half_year_bins",
    "quantile_history",
    "shift_to_reference_calalign",
]

SECONDS_PER_YEAR: Final = 365.25 * 86400.0
"""Seconds in a year of 365.25 days."""
DETECTORS: Final[tuple[str, ...]] = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")
"""The detectors, in the order the report lists them."""
QUANTILES: Final[tuple[float, ...]] = (68.0, 90.0, 99.0)
"""The percentiles of dr the report gives (the 68/90/99% radii)."""
BAND_PERCENTILES: Final[tuple[float, float]] = (15.8, 84.2)
"""The band of the half-year medians (the 1-sigma range of a normal distribution)."""


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


def float_array(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """``values`` as a one-dimensional float64 array (ValidationError naming ``name`` if not)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def cdf(values: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The empirical CDF: sorted finite values and the fraction ``(i + 1) / n`` at each."""
    arr = float_array(values, "values")
    arr = np.sort(arr[np.isfinite(arr)])
    return arr, np.arange(1, arr.size + 1, dtype=np.float64) / max(arr.size, 1)


def half_year_bins(years: ArrayLike) -> NDArray[np.float64]:
    """Start (decimal year) of the half-year bin of each decimal year: floor(2·year)/2."""
    return np.floor(2.0 * float_array(years, "years")) / 2.0


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
    y = float_array(years, "years")
    v = float_array(values, "values")
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
    y = float_array(years, "years")
    v = float_array(dr, "dr")
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
    t = float_array(times, "times")
    y = float_array(dy, "dy")
    z = float_array(dz, "dz")
    try:
        s_t = float_array(steps["tstart"], "steps.tstart")
        s_y = float_array(steps["dy"], "steps.dy")
        s_z = float_array(steps["dz"], "steps.dz")
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
        float_array(dy, "dy")
        - float_array(calalign_dy, "calalign_dy")
        + float_array(ref_calalign_dy, "ref_calalign_dy")
    )
    new_z = (
        float_array(dz, "dz")
        - float_array(calalign_dz, "calalign_dz")
        + float_array(ref_calalign_dz, "ref_calalign_dz")
    )
    return new_y, new_z, np.hypot(new_y, new_z)
