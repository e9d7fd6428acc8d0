"""Median astrometric offsets in regular time bins: the input of a new CALALIGN.

Bins are ``1 / bins_per_year`` years wide and start at multiples of that width (decimal
years; with 2 bins per year, half-years starting at ``YYYY.0`` and ``YYYY.5``). Every bin that
holds at least one match gives an ``"all"`` row (the median over every detector: the one
correction the system we replace applies to every INSTR_ID of a CALALIGN file) and, when
asked, a row per detector with matches in the bin.

The uncertainty of a median comes from the observations, not from the sources: the matches of
one observation share its aspect error, so it is the spread of the medians of bootstrap
resamples of whole observations (:func:`astromon.domain.resampling.median_uncertainty`).
An observation with many sources cannot make it smaller, and a bin with a single observation
has none (NaN). Offsets are in arcsec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError
from astromon.domain.resampling import median_uncertainty

__all__ = ["OffsetBin", "bin_starts", "binned_offsets"]


@dataclass(frozen=True)
class OffsetBin:
    """The median offset of one detector selection in one time bin.

    ``start_year``/``stop_year`` are decimal years, ``detector`` is ``"all"`` or a detector,
    ``n`` the number of matches and ``n_obs`` of observations, ``dy``/``dz`` medians and
    ``dy_err``/``dz_err`` their uncertainties (arcsec,
    :func:`astromon.domain.resampling.median_uncertainty`).
    """

    start_year: float
    stop_year: float
    detector: str
    n: int
    n_obs: int
    dy: float
    dz: float
    dy_err: float
    dz_err: float


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
    obsid: ArrayLike,
    *,
    bins_per_year: float = 2.0,
    detectors: Sequence[str] = (),
) -> list[OffsetBin]:
    """Median dy and dz per time bin, over all detectors and, if asked, per detector.

    Parameters
    ----------
    years : array
        Decimal year of each match.
    dy, dz : array
        Offsets of each match (arcsec); matches with a NaN are left out.
    detector : array of str
        Detector of each match.
    obsid : array of int
        Observation of each match (the unit of the uncertainty's resampling).
    bins_per_year : float
        Bins per year (2: half-years).
    detectors : sequence of str
        The detectors with their own rows, in output order (none: the ``"all"`` rows only).

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
    obs = np.asarray(obsid)
    if not (y.shape == vy.shape == vz.shape == det.shape == obs.shape) or y.ndim != 1:
        raise ValidationError(
            f"years, dy, dz, detector and obsid must be 1-d of one length, got {y.shape}, "
            f"{vy.shape}, {vz.shape}, {det.shape}, {obs.shape}"
        )
    ok = np.isfinite(y) & np.isfinite(vy) & np.isfinite(vz)
    y, vy, vz, det, obs = y[ok], vy[ok], vz[ok], det[ok], obs[ok]
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
                    n_obs=int(np.unique(obs[sel]).size),
                    dy=float(np.median(vy[sel])),
                    dz=float(np.median(vz[sel])),
                    dy_err=median_uncertainty(vy[sel], obs[sel]),
                    dz_err=median_uncertainty(vz[sel], obs[sel]),
                )
            )
    return rows
