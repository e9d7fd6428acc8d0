"""Bootstrap resampling of whole observations: the CDF band of dr and a median's uncertainty.

The uncertainties are checked against what they estimate: the spread of the statistic between
independent repetitions of the experiment, simulated here with observations whose sources
share an aspect offset (as Chandra's do).
"""

from __future__ import annotations

import numpy as np
import pytest

from astromon.domain.errors import ValidationError
from astromon.domain.resampling import (
    SIGMA_PERCENTILES,
    cdf_band,
    median_uncertainty,
    observation_draws,
)


def observations(
    rng: np.random.Generator, n_obs: int, per_obs: int, aspect: float = 0.3, source: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """dy of ``n_obs`` observations of ``per_obs`` sources: a shared aspect offset (sigma
    ``aspect``) plus each source's own error (sigma ``source``), and the obsid of each."""
    obsid = np.repeat(np.arange(n_obs), per_obs)
    dy = rng.normal(0.0, aspect, n_obs)[obsid] + rng.normal(0.0, source, obsid.size)
    return dy, obsid


def test_listing_each_observation_ten_times_over_gives_the_same_uncertainty() -> None:
    rng = np.random.default_rng(11)
    obsid = np.repeat(np.arange(40), rng.integers(1, 25, 40))
    dy = rng.normal(0, 0.3, 40)[obsid] + rng.normal(0, 0.1, obsid.size)
    once = median_uncertainty(dy, obsid)
    assert once > 0
    assert median_uncertainty(np.tile(dy, 10), np.tile(obsid, 10)) == once
    assert median_uncertainty(np.repeat(dy, 10), np.repeat(obsid, 10)) == once
    shuffled = rng.permutation(dy.size)  # the order of the rows does not matter either
    assert median_uncertainty(dy[shuffled], obsid[shuffled]) == once


def test_the_uncertainty_is_the_spread_of_the_median_between_experiments() -> None:
    rng = np.random.default_rng(12)
    medians, estimates = [], []
    for _ in range(60):
        dy, obsid = observations(rng, n_obs=30, per_obs=20)
        medians.append(np.median(dy))
        estimates.append(median_uncertainty(dy, obsid))
    truth = np.std(medians, ddof=1)  # about 1.2533 * 0.3 / sqrt(30) = 0.07
    assert np.mean(estimates) == pytest.approx(truth, rel=0.25)
    # what dividing by the square root of the number of sources gives: four times too small
    per_source = 1.2533 * np.sqrt(0.3**2 + 0.1**2) / np.sqrt(30 * 20)
    assert per_source < truth / 3


def test_with_one_source_per_observation_it_is_the_standard_error_of_a_median() -> None:
    rng = np.random.default_rng(13)
    estimates = [median_uncertainty(rng.normal(0, 1, 400), np.arange(400)) for _ in range(20)]
    assert np.mean(estimates) == pytest.approx(1.2533 / np.sqrt(400), rel=0.15)


def test_a_single_observation_has_no_uncertainty() -> None:
    assert np.isnan(median_uncertainty([0.1, 0.2, 0.3], [5, 5, 5]))
    assert np.isnan(median_uncertainty([np.nan, 0.2], [1, 2]))  # one finite value left
    with pytest.raises(ValidationError, match="differ in length"):
        median_uncertainty([0.1, 0.2], [1])


def test_draws_resample_whole_observations_with_a_fixed_seed() -> None:
    draws = observation_draws(7, 500, seed=3)
    assert draws.shape == (500, 7) and np.all(draws.sum(axis=1) == 7)
    assert np.array_equal(draws, observation_draws(7, 500, seed=3))
    assert abs(draws.mean() - 1.0) < 0.05  # each observation as likely as another
    with pytest.raises(ValidationError, match="positive"):
        observation_draws(7, 0, seed=3)


def empirical_cdf(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    return np.array([np.mean(values <= x) for x in grid])


def test_the_band_covers_the_cdf() -> None:
    rng = np.random.default_rng(14)
    dy, obsid = observations(rng, n_obs=60, per_obs=12)
    dz = rng.normal(0, 0.3, 60)[obsid] + rng.normal(0, 0.1, obsid.size)
    dr = np.hypot(dy, dz)
    grid = np.arange(0.0, 3.005, 0.01)
    band = cdf_band(dr, obsid, grid)
    np.testing.assert_allclose(band.cdf, empirical_cdf(dr, grid), atol=1e-12)
    assert np.all(band.low <= band.cdf + 1e-12) and np.all(band.cdf <= band.high + 1e-12)
    middle = (band.cdf > 0.2) & (band.cdf < 0.8)
    assert np.all(band.high[middle] - band.low[middle] > 0.02)  # a band, not a line


def test_the_band_is_the_spread_of_the_cdf_between_experiments() -> None:
    """Its width matches an independent bootstrap (plain loops over obsids drawn with
    numpy's choice) and the spread between repeated experiments."""
    rng = np.random.default_rng(15)
    grid = np.array([0.2, 0.35, 0.5, 0.7])
    widths, repeats = [], []
    for _ in range(30):
        dy, obsid = observations(rng, n_obs=40, per_obs=15)
        dz = rng.normal(0, 0.3, 40)[obsid] + rng.normal(0, 0.1, obsid.size)
        dr = np.hypot(dy, dz)
        band = cdf_band(dr, obsid, grid)
        widths.append((band.high - band.low) / 2)
        repeats.append(band.cdf)
    truth = np.std(repeats, axis=0, ddof=1)
    np.testing.assert_allclose(np.mean(widths, axis=0), truth, rtol=0.3)
    # an independent bootstrap of the last experiment
    loop = []
    for _ in range(400):
        chosen = rng.choice(40, 40, replace=True)
        sample = np.concatenate([dr[obsid == k] for k in chosen])
        loop.append(empirical_cdf(sample, grid))
    low, high = np.percentile(loop, SIGMA_PERCENTILES, axis=0)
    np.testing.assert_allclose(widths[-1], (high - low) / 2, rtol=0.3)
    # resampling sources instead would make the band far too narrow
    per_source = np.sqrt(band.cdf * (1 - band.cdf) / dr.size)
    assert np.all(per_source < 0.6 * truth)


def test_the_band_of_nothing_is_nan() -> None:
    band = cdf_band([np.nan], [1], [0.0, 1.0])
    assert np.isnan(band.cdf).all() and np.isnan(band.low).all()
    with pytest.raises(ValidationError, match="increasing"):
        cdf_band([0.5], [1], [1.0, 0.0])
