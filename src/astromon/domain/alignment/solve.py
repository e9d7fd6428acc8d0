"""The alignment of every observation: rigid fits, rejection of discrepant pairs, the flag.

Rejection, one pair at a time. After each fit, every pair gets a *badness*: its normalised
residual divided by ``k_sigma``, or the length of its residual divided by ``residual_limit``
when that is larger; a pair is discrepant when its badness exceeds 1. The normalised residual
is the residual in units of its own standard deviation (the studentised residual): the fit
absorbs part of each pair's error, most of it for a pair that dominates the weights, so the
residual's variance is the pair's ``σ²`` less the variance of its fitted position
(:mod:`.rigid`), ``σ² - 1/W`` across and ``σ² - 1/W - |c'|²/M`` along the roll's direction; its
square, the sum of the squared components over their variances, follows a chi-square with 2
degrees of freedom for a pair that fits, so ``k_sigma = 3`` rejects 1.1% (``exp(-4.5)``) of
good pairs. A direction along which the residual's variance vanishes (the fit passes through
the pair there) adds nothing. Without studentising, a wrong pair of a bright source, with
most of its observation's weight, would pull the fit onto itself and a good pair would look
worse.

In each round, every observation drops its single worst discrepant pair, and the
observations that dropped one are fitted again (the others are unchanged). A discrepant pair
pulls the fit towards itself and inflates the residuals of the good pairs; dropping every pair
above the threshold at once could drop good pairs that only looked bad because of it, so only
the worst goes each round. The rounds stop when no observation drops a pair, or after
``max_iterations`` rounds (an observation with more discrepant pairs than that keeps the
rest). A pair is dropped only while its observation keeps at least
:data:`MIN_PAIRS_TO_REJECT` pairs: with two pairs no fit can tell which of them is wrong.

The flag: the shift's chi-square with 2 degrees of freedom, ``tᵀ C⁻¹ t`` with ``C`` the
covariance of ``t = (dy, dz)``, must exceed
:attr:`~astromon.domain.alignment.options.AlignmentOptions.flag_chi2` (the ``flag_sigma``
Gaussian significance), and ``hypot(dy, dz)`` must exceed ``flag_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from astromon.domain.alignment.options import AlignmentOptions
from astromon.domain.alignment.rigid import RigidFit, fit_rigid

__all__ = ["ARCSEC_PER_RADIAN", "MIN_PAIRS_TO_REJECT", "AlignmentSolution", "solve_alignment"]

Float = NDArray[np.float64]
Int = NDArray[np.intp]
Bool = NDArray[np.bool_]

ARCSEC_PER_RADIAN: Final = 180.0 * 3600.0 / np.pi
"""Arcseconds in one radian (206264.8)."""

MIN_PAIRS_TO_REJECT: Final = 3
"""A pair is rejected only while its observation keeps at least this many pairs."""


@dataclass(frozen=True)
class AlignmentSolution:
    """Per-observation results (in ``starts`` order) and the per-row rejection mask.

    Units: arcsec (``roll`` and ``roll_err`` too); ``chi2_dof`` and ``shift_chi2`` are
    dimensionless. See :mod:`astromon.domain.alignment` for the definitions.
    """

    n_pairs: Int
    n_rejected: Int
    dy: Float
    dz: Float
    roll: Float
    dy_err: Float
    dz_err: Float
    roll_err: Float
    chi2_dof: Float
    rms_before: Float
    rms_after: Float
    shift_chi2: Float
    flagged: Bool
    rejected: Bool


def solve_alignment(
    xy: Float,
    xz: Float,
    dy: Float,
    dz: Float,
    sigma: Float,
    starts: Int,
    options: AlignmentOptions,
) -> AlignmentSolution:
    """Fit every observation with iterative rejection (rows grouped by observation).

    Parameters
    ----------
    xy, xz : ndarray
        X-ray focal-plane angles (arcsec).
    dy, dz : ndarray
        Offsets x-ray minus catalog (arcsec); the catalog position is ``x - d``.
    sigma : ndarray
        1-sigma per-axis error of each offset (arcsec, > 0).
    starts : ndarray of int
        First row of each observation (increasing, from 0; every observation non-empty).
    options : AlignmentOptions
        The fit's options.
    """
    cy, cz = xy - dy, xz - dz
    weight = 1.0 / sigma**2
    n_rows = len(xy)
    counts = np.diff(np.append(starts, n_rows))
    index = np.repeat(np.arange(len(starts)), counts)
    kept = np.ones(n_rows, dtype=bool)
    n_kept = counts.copy()

    def fit_groups(groups: Int) -> tuple[RigidFit, Int, Int]:
        """The fit of observations ``groups`` (increasing) with the kept pairs, their rows and
        the first of their rows in the fit's arrays."""
        chosen = np.zeros(len(starts), dtype=bool)
        chosen[groups] = True
        rows = np.flatnonzero(chosen[index])
        sub_starts = np.concatenate([[0], np.cumsum(counts[groups])[:-1]]).astype(np.intp)
        roll_allowed = n_kept[groups] >= options.min_pairs_roll
        fit = fit_rigid(
            cy[rows], cz[rows], dy[rows], dz[rows], (weight * kept)[rows], sub_starts,
            roll_allowed, options.min_spread,
        )  # fmt: skip
        return fit, rows, sub_starts

    groups = np.arange(len(starts))
    fit, rows, sub_starts = fit_groups(groups)
    refit = fit
    for _ in range(options.max_iterations):
        # only the observations fitted last can have a discrepant pair left
        local = _worst_pairs(refit, sigma[rows], kept[rows], n_kept[groups], sub_starts, options)
        if not len(local):
            break
        worst = rows[local]
        kept[worst] = False
        groups = index[worst]
        n_kept[groups] -= 1
        refit, rows, sub_starts = fit_groups(groups)
        fit.update(refit, groups, rows)
    return _solution(fit, dy, dz, kept, n_kept, counts, starts, options)


def _worst_pairs(
    fit: RigidFit,
    sigma: Float,
    kept: Bool,
    n_kept: Int,
    starts: Int,
    options: AlignmentOptions,
) -> Int:
    """Rows (in ``fit``) of the worst discrepant pair of each observation that may lose one."""
    index = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(sigma))))
    residual = np.hypot(fit.ry, fit.rz)
    badness = np.sqrt(_studentised_square(fit, sigma)) / options.k_sigma
    if options.residual_limit is not None:
        badness = np.maximum(badness, residual / options.residual_limit)
    eligible = kept & (n_kept >= MIN_PAIRS_TO_REJECT)[index] & (badness > 1.0)
    badness = np.where(eligible, badness, -np.inf)
    group_max = np.maximum.reduceat(badness, starts)
    hits = np.flatnonzero(eligible & (badness == group_max[index]))
    first = np.ones(len(hits), dtype=bool)
    first[1:] = index[hits[1:]] != index[hits[:-1]]
    return hits[first]


def _studentised_square(fit: RigidFit, sigma: Float) -> Float:
    """Per row: the squared residual over its variance, summed over the two directions."""
    variance = sigma**2
    radial_var = variance - fit.fitted_var
    roll_var = radial_var - fit.roll_var
    radial_sq = np.maximum(fit.ry**2 + fit.rz**2 - fit.r_roll**2, 0.0)
    floor = 1e-12 * variance
    with np.errstate(divide="ignore", invalid="ignore"):
        radial = np.where(radial_var > floor, radial_sq / radial_var, 0.0)
        along_roll = np.where(roll_var > floor, fit.r_roll**2 / roll_var, 0.0)
    return np.asarray(radial + along_roll, dtype=np.float64)


def _solution(
    fit: RigidFit,
    dy: Float,
    dz: Float,
    kept: Bool,
    n_kept: Int,
    counts: Int,
    starts: Int,
    options: AlignmentOptions,
) -> AlignmentSolution:
    def mean_kept(values: Float) -> Float:
        return np.asarray(np.add.reduceat(values * kept, starts) / n_kept, dtype=np.float64)

    n_params = np.where(fit.has_roll, 3, 2)
    dof = 2 * n_kept - n_params
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2_dof = np.where(dof > 0, fit.chi2 / dof, np.nan)
    determinant = fit.var_ty * fit.var_tz - fit.cov_tyz**2
    shift_chi2 = (
        fit.var_tz * fit.ty**2 - 2.0 * fit.cov_tyz * fit.ty * fit.tz + fit.var_ty * fit.tz**2
    ) / determinant
    flagged = (shift_chi2 > options.flag_chi2) & (np.hypot(fit.ty, fit.tz) > options.flag_threshold)
    return AlignmentSolution(
        n_pairs=counts,
        n_rejected=counts - n_kept,
        dy=fit.ty,
        dz=fit.tz,
        roll=np.where(fit.has_roll, fit.theta * ARCSEC_PER_RADIAN, np.nan),
        dy_err=np.sqrt(fit.var_ty),
        dz_err=np.sqrt(fit.var_tz),
        roll_err=np.sqrt(fit.var_theta) * ARCSEC_PER_RADIAN,
        chi2_dof=chi2_dof,
        rms_before=np.sqrt(mean_kept(dy * dy + dz * dz)),
        rms_after=np.sqrt(mean_kept(fit.ry**2 + fit.rz**2)),
        shift_chi2=shift_chi2,
        flagged=flagged,
        rejected=~kept,
    )
