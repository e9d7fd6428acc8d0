"""Median astrometric offsets in regular time bins: the input of a new CALALIGN.

Bins are ``1 / bins_per_year`` years wide and start at multiples of that width (decimal
years; with 2 bins per year, half-years starting at ``YYYY.0`` and ``YYYY.5``). Every bin that
holds at least one match gives one row per detector selection (``"all"`` and each detector
with matches in the bin).

The uncertainty of a median is percentile-based: ``1.2533 · σ / √N`` with
``σ = (P84.2 − P15.8) / 2`` of the values in the bin (the standard error of the median of a
normal distribution, with σ estimated robustly). Offsets are in arcsec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError

__all__ = [
    "MEDIAN_ERROR_FACTOR",
    "OffsetBin",
    "bin_starts",
    "binned_offsets",
    "median_error",
]

MEDIAN_ERROR_FACTOR: Final = float(np.sqrt(np.pi / 2.0))
"""Standard error of the median over that of the mean for a normal distribution (1.2533)."""
_BAND: Final = (15.8, 84.2)


@dataclass(frozen=True)
class OffsetBin:
    """The median offset of one detector selection in one time bin.

    ``start_year``/``stop_year`` are decimal years, ``detector`` is ``"all"`` or a detector,
    ``n`` the number of matches, ``dy``/``dz`` medians and ``dy_err``/``dz_err`` their
    uncertainties (arcsec, :func:`median_error`).
    """

    start_year: float
    stop_year: float
    detector: str
    n: int
    dy: float
    dz: float
    dy_err: float
    dz_err: float


def median_error(values: ArrayLike) -> float:
    """Percentile-based uncertainty of the median: ``1.2533 · (P84.2 − P15.8) / 2 / √N``.

    NaN for fewer than two values.
    """
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size < 2:
        return float("nan")
    low, high = np.percentile(arr, _BAND)
    return float(MEDIAN_ERROR_FACTOR * (high - low) / 2.0 / np.sqrt(arr.size))


def bin_starts(years: ArrayLike, bins_per_year: float = 2.0) -> NDArray[np.float64]:
    """Start (decimal year) of the bin of each decimal year: ``floor(year·k) / k``."""
    k = _check_bins_per_year(bins_per_year)
    y = np.asarray(years, dtype=np.float64)
    result: NDArray[np.float64] = np.floor(y * k) / k
    return result


def _check_bins_per_year(bins_per_year: float) -> float:
    if not (np.isfinite(bins_per_year) and bins_per_year > 0):
        raise ValidationError(f"bins per year must be a positive number, got {bins_per_year!r}")
    return float(bins_per_year)


def binned_offsets(
    years: ArrayLike,
    dy: ArrayLike,
    dz: ArrayLike,
    detector: ArrayLike,
    *,
    bins_per_year: float = 2.0,
    detectors: Sequence[str] = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I"),
) -> list[OffsetBin]:
    """Median dy and dz per time bin, over all detectors and per detector.

    Parameters
    ----------
    years : array
        Decimal year of each match.
    dy, dz : array
        Offsets of each match (arcsec); matches with a NaN are left out.
    detector : array of str
        Detector of each match.
    bins_per_year : float
        Bins per year (2: half-years).
    detectors : sequence of str
        The detectors with their own rows, in output order.

    Returns
    -------
    list of OffsetBin
        Sorted by bin; in each bin the ``"all"`` row first, then the detectors.
    """
    k = _check_bins_per_year(bins_per_year)
    y = np.asarray(years, dtype=np.float64)
    vy = np.asarray(dy, dtype=np.float64)
    vz = np.asarray(dz, dtype=np.float64)
    det = np.asarray(detector).astype(str)
    if not (y.shape == vy.shape == vz.shape == det.shape) or y.ndim != 1:
        raise ValidationError(
            f"years, dy, dz and detector must be 1-d of one length, got {y.shape}, "
            f"{vy.shape}, {vz.shape}, {det.shape}"
        )
    ok = np.isfinite(y) & np.isfinite(vy) & np.isfinite(vz)
    y, vy, vz, det = y[ok], vy[ok], vz[ok], det[ok]
    starts = bin_starts(y, k)
    rows = []
    for start in np.unique(starts):
        in_bin = starts == start
        for name in ("all", *detectors):
            sel = in_bin if name == "all" else in_bin & (det == name)
            if not sel.any():
                continue
            rows.append(
                OffsetBin(
                    start_year=float(start),
                    stop_year=float(start + 1.0 / k),
                    detector=name,
                    n=int(sel.sum()),
                    dy=float(np.median(vy[sel])),
                    dz=float(np.median(vz[sel])),
                    dy_err=median_error(vy[sel]),
                    dz_err=median_error(vz[sel]),
                )
            )
    return rows
