"""Bootstrap resampling of whole observations.

The cross-matches of one observation share its aspect error, so they are not independent
draws: an observation with many sources would make an uncertainty computed per source too
small. Here the observation (obsid) is the unit. A resample draws as many observations as
there are, with replacement, each equally likely, and keeps every match of each drawn
observation as many times as it was drawn. A statistic's spread over the resamples is its
uncertainty; the 15.87 and 84.13 percentiles of that spread bound the central 68.3% (±1σ of a
normal distribution).

Resamples come from ``numpy.random.default_rng(seed)`` with a fixed seed, so a result is the
same on every run. Observations are taken in obsid order, so listing the matches in another
order, or listing every match of every observation k times over, draws the same resamples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError
from astromon.domain.statistics import float_array

__all__ = [
    "BOOTSTRAP_SEED",
    "CDF_RESAMPLES",
    "MEDIAN_RESAMPLES",
    "SIGMA_PERCENTILES",
    "CdfBand",
    "cdf_band",
    "median_uncertainty",
    "observation_draws",
]

BOOTSTRAP_SEED: Final = 20260101
"""The fixed seed of every resampling."""
CDF_RESAMPLES: Final = 200
"""Resamples of the CDF band."""
MEDIAN_RESAMPLES: Final = 400
"""Resamples of the uncertainty of a median."""
SIGMA_PERCENTILES: Final[tuple[float, float]] = (15.87, 84.13)
"""The central 68.3% of a distribution (±1σ of a normal one)."""
_CHUNK_ELEMENTS: Final = 4_000_000
"""Resamples are processed in chunks of at most this many (resample, match) weights."""


def _groups(values: ArrayLike, groups: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Finite values and the index (in sorted group order) of the group of each."""
    v = float_array(values, "values")
    g = np.asarray(groups)
    if g.shape != v.shape:
        raise ValidationError(f"values and groups differ in length ({v.size}, {g.size})")
    ok = np.isfinite(v)
    _, codes = np.unique(g[ok], return_inverse=True)
    return v[ok], codes.astype(np.intp)


def observation_draws(n_groups: int, n_resamples: int, seed: int) -> NDArray[np.int64]:
    """How many times each of ``n_groups`` observations is drawn, per resample.

    Returns an array ``(n_resamples, n_groups)``; each row sums to ``n_groups``.
    """
    if n_resamples < 1:
        raise ValidationError(f"the number of resamples must be positive, got {n_resamples!r}")
    rng = np.random.default_rng(seed)
    draws: NDArray[np.int64] = rng.multinomial(
        n_groups, np.full(n_groups, 1.0 / n_groups), size=n_resamples
    )
    return draws


@dataclass(frozen=True)
class CdfBand:
    """The empirical CDF of a quantity on a grid, with its bootstrap band.

    ``grid`` in the quantity's unit (arcsec); ``cdf`` the fraction of values ``<= grid``;
    ``low``/``high`` the 15.87/84.13 percentiles of that fraction over the resamples.
    """

    grid: NDArray[np.float64]
    cdf: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


def cdf_band(
    values: ArrayLike,
    groups: ArrayLike,
    grid: ArrayLike,
    *,
    n_resamples: int = CDF_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> CdfBand:
    """The CDF of ``values`` at each ``grid`` point with a band from resampling observations.

    Parameters
    ----------
    values : array
        The quantity (dr, arcsec); NaN values are left out.
    groups : array
        The observation (obsid) of each value.
    grid : array
        Where the CDF is evaluated, increasing.
    n_resamples, seed : int
        Number of resamples and the random seed.

    Returns
    -------
    CdfBand
        ``cdf``, ``low`` and ``high`` are NaN when there is no value.
    """
    v, codes = _groups(values, groups)
    x = float_array(grid, "grid")
    if x.size and np.any(np.diff(x) <= 0):
        raise ValidationError("the CDF grid must be increasing")
    if v.size == 0:
        nan = np.full(x.size, np.nan)
        return CdfBand(x, nan, nan, nan)
    n_groups = int(codes.max()) + 1
    # per observation, the number of its values at or below each grid point
    first = np.searchsorted(x, v, side="left")
    hist = np.zeros((n_groups, x.size + 1), dtype=np.float64)
    np.add.at(hist, (codes, first), 1.0)
    below = np.cumsum(hist, axis=1)[:, : x.size]
    totals = hist.sum(axis=1)
    draws = observation_draws(n_groups, n_resamples, seed).astype(np.float64)
    resampled = (draws @ below) / (draws @ totals)[:, None]
    low, high = np.percentile(resampled, SIGMA_PERCENTILES, axis=0)
    return CdfBand(x, below.sum(axis=0) / totals.sum(), low, high)


def _chunks(n_resamples: int, n_values: int) -> Iterator[slice]:
    size = max(1, _CHUNK_ELEMENTS // max(n_values, 1))
    for start in range(0, n_resamples, size):
        yield slice(start, min(start + size, n_resamples))


def median_uncertainty(
    values: ArrayLike,
    groups: ArrayLike,
    *,
    n_resamples: int = MEDIAN_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> float:
    """The uncertainty of the median of ``values``, resampling whole observations.

    Half the 15.87–84.13 percentile range of the medians of the resamples (the median of a
    resample is ``numpy.median`` of its values, each repeated as often as its observation was
    drawn). NaN values are left out; NaN when fewer than two observations have a value (one
    observation says nothing about the spread between observations).

    Parameters
    ----------
    values : array
        The quantity (dy or dz, arcsec).
    groups : array
        The observation (obsid) of each value.
    n_resamples, seed : int
        Number of resamples and the random seed.
    """
    v, codes = _groups(values, groups)
    n_groups = int(codes.max()) + 1 if codes.size else 0
    if n_groups < 2:
        return float("nan")
    order = np.argsort(v, kind="stable")
    sorted_values, sorted_codes = v[order], codes[order]
    draws = observation_draws(n_groups, n_resamples, seed)
    medians = np.empty(n_resamples)
    for part in _chunks(n_resamples, v.size):
        weights = np.cumsum(draws[part][:, sorted_codes], axis=1)  # running count in value order
        total = weights[:, -1]
        # the values at positions (total-1)//2 and total//2 of the repeated, sorted values
        low = np.sum(weights <= ((total - 1) // 2)[:, None], axis=1)
        high = np.sum(weights <= (total // 2)[:, None], axis=1)
        medians[part] = (sorted_values[low] + sorted_values[high]) / 2.0
    low_m, high_m = np.percentile(medians, SIGMA_PERCENTILES)
    return float((high_m - low_m) / 2.0)
