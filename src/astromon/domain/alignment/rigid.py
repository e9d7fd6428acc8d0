"""The weighted rigid 2-D fit of many observations at once, in closed form.

Model, per observation: ``x_i = R(θ) c_i + t`` with ``x_i`` the x-ray position and ``c_i``
the catalog position of pair i in the (y, z) focal plane (arcsec), ``t = (dy, dz)`` the
translation and ``R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]]``: a positive θ turns the catalog
positions counter-clockwise (from +y towards +z) about the optical axis.

With isotropic weights ``w_i = 1 / σ_i²`` the least-squares solution of
``S = Σ w_i |x_i - R c_i - t|²`` is exact, without linearising in θ:

1. ``∂S/∂t = 0`` gives ``t = x̄ - R c̄``, with the weighted centroids
   ``x̄ = Σ w_i x_i / W`` and ``c̄ = Σ w_i c_i / W`` (``W = Σ w_i``).
2. With centred positions ``x'_i = x_i - x̄`` and ``c'_i = c_i - c̄``,
   ``S = Σ w |x'|² + Σ w |c'|² - 2 Σ w x'·R c'`` and
   ``Σ w x'·R c' = cos θ · D + sin θ · X`` with ``D = Σ w (x'_y c'_y + x'_z c'_z)`` and
   ``X = Σ w (c'_y x'_z - c'_z x'_y)``; S is smallest at ``θ = atan2(X, D)``.

Without a roll, ``θ = 0`` and ``t = x̄ - c̄``, the weighted mean offset.

Errors: the covariance of (t_y, t_z, θ) is the inverse of the normal matrix of the model
linearised at the solution, ``N = Σ w_i J_iᵀ J_i`` with ``J_i = [I | R'(θ) c_i]``. Writing
``q_i = R c_i`` (so ``R' c_i = (-q_z, q_y)``) and ``M = Σ w |c'|²`` (the weighted second
moment about the centroid, the same for ``q``), the block inverse gives
``var θ = 1 / M``, ``var t_y = 1/W + q̄_z² / M``, ``var t_z = 1/W + q̄_y² / M`` and
``cov(t_y, t_z) = -q̄_y q̄_z / M``: the farther the pairs' centroid from the axis, the more the
roll's uncertainty enters the shift. Without a roll, ``var t_y = var t_z = 1/W``.

Observations are consecutive row ranges (``starts``); every sum is one ``np.add.reduceat``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["RigidFit", "fit_rigid"]

Float = NDArray[np.float64]
Int = NDArray[np.intp]
Bool = NDArray[np.bool_]


@dataclass(frozen=True)
class RigidFit:
    """Per-observation results of :func:`fit_rigid` (arcsec; θ in radians).

    Attributes
    ----------
    ty, tz : ndarray
        The translation.
    theta : ndarray
        The roll (radians); 0 where no roll was fitted.
    has_roll : ndarray of bool
        Where a roll was fitted.
    var_ty, var_tz, cov_tyz : ndarray
        Covariance of the translation (arcsec²).
    var_theta : ndarray
        Variance of the roll (radians²); NaN where no roll was fitted.
    chi2 : ndarray
        ``Σ w |residual|²`` over the weighted pairs.
    spread : ndarray
        ``sqrt(M / W)``: the weighted RMS distance (arcsec) of the catalog positions from
        their weighted centroid.
    ry, rz : ndarray
        Per-row residuals ``x - R c - t`` (every row, weighted or not).
    """

    ty: Float
    tz: Float
    theta: Float
    has_roll: Bool
    var_ty: Float
    var_tz: Float
    cov_tyz: Float
    var_theta: Float
    chi2: Float
    spread: Float
    ry: Float
    rz: Float


def fit_rigid(
    xy: Float,
    xz: Float,
    cy: Float,
    cz: Float,
    weight: Float,
    starts: Int,
    roll_allowed: Bool,
    min_spread: float,
) -> RigidFit:
    """Fit ``x = R(θ) c + t`` to every observation (rows ``starts[k]:starts[k+1]``).

    Parameters
    ----------
    xy, xz : ndarray
        X-ray positions (arcsec), rows grouped by observation.
    cy, cz : ndarray
        Catalog positions (arcsec).
    weight : ndarray
        ``1 / σ²`` per row (arcsec⁻²); 0 leaves a row out of the fit. Every observation has
        at least one positive weight.
    starts : ndarray of int
        First row of each observation (increasing, starting at 0).
    roll_allowed : ndarray of bool
        Per observation: whether enough pairs are weighted for a roll.
    min_spread : float
        A roll is fitted only where ``spread >= min_spread`` too (arcsec).
    """
    index = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(xy))))

    def total(values: Float) -> Float:
        return np.asarray(np.add.reduceat(values, starts), dtype=np.float64)

    w_sum = total(weight)
    x_mean_y, x_mean_z = total(weight * xy) / w_sum, total(weight * xz) / w_sum
    c_mean_y, c_mean_z = total(weight * cy) / w_sum, total(weight * cz) / w_sum
    xpy, xpz = xy - x_mean_y[index], xz - x_mean_z[index]
    cpy, cpz = cy - c_mean_y[index], cz - c_mean_z[index]
    moment = total(weight * (cpy * cpy + cpz * cpz))
    spread = np.sqrt(moment / w_sum)
    has_roll = roll_allowed & (spread >= min_spread) & (moment > 0)
    dot = total(weight * (xpy * cpy + xpz * cpz))
    cross = total(weight * (cpy * xpz - cpz * xpy))
    theta = np.where(has_roll, np.arctan2(cross, dot), 0.0)
    cos, sin = np.cos(theta), np.sin(theta)
    qy_mean = cos * c_mean_y - sin * c_mean_z
    qz_mean = sin * c_mean_y + cos * c_mean_z
    ty, tz = x_mean_y - qy_mean, x_mean_z - qz_mean
    cos_r, sin_r = cos[index], sin[index]
    ry = xpy - (cos_r * cpy - sin_r * cpz)
    rz = xpz - (sin_r * cpy + cos_r * cpz)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_moment = np.where(has_roll, 1.0 / moment, np.nan)
    roll_term = np.where(has_roll, inv_moment, 0.0)
    return RigidFit(
        ty=ty,
        tz=tz,
        theta=theta,
        has_roll=has_roll,
        var_ty=1.0 / w_sum + qz_mean**2 * roll_term,
        var_tz=1.0 / w_sum + qy_mean**2 * roll_term,
        cov_tyz=-qy_mean * qz_mean * roll_term,
        var_theta=inv_moment,
        chi2=total(weight * (ry * ry + rz * rz)),
        spread=spread,
        ry=ry,
        rz=rz,
    )
