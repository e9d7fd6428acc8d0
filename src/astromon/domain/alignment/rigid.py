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

Fitted positions: the fitted centroid and the roll are uncorrelated, so the fitted position
of pair i, ``R c_i + t``, has the variance ``1/W`` along every direction, plus ``|c'_i|² / M``
along the direction the roll moves it (perpendicular to ``R c'_i``). Its residual has the
pair's variance ``σ_i²`` minus these (the part of its error the fit absorbs).

Observations are consecutive row ranges (``starts``); every sum is one ``np.add.reduceat``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["ROW_FIELDS", "RigidFit", "fit_rigid"]

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
    fitted_var : ndarray
        Per row: ``1/W``, the variance (arcsec²) of the fitted position along any direction.
    roll_var : ndarray
        Per row: ``|c'|² / M``, the variance (arcsec²) the roll adds along its direction
        (0 without a roll).
    r_roll : ndarray
        Per row: the residual's component (arcsec) along the roll's direction, the unit
        vector perpendicular to ``R c'`` (0 without a roll).
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
    fitted_var: Float
    roll_var: Float
    r_roll: Float

    def update(self, other: RigidFit, groups: Int, rows: Int) -> None:
        """Write ``other``, the fit of observations ``groups`` (rows ``rows``), into this one."""
        for field in fields(self):
            target = rows if field.name in ROW_FIELDS else groups
            getattr(self, field.name)[target] = getattr(other, field.name)


ROW_FIELDS: Final = frozenset({"ry", "rz", "fitted_var", "roll_var", "r_roll"})
"""The per-row fields of :class:`RigidFit` (the others are per observation)."""


def fit_rigid(
    cy: Float,
    cz: Float,
    dy: Float,
    dz: Float,
    weight: Float,
    starts: Int,
    roll_allowed: Bool,
    min_spread: float,
) -> RigidFit:
    """Fit ``c + d = R(θ) c + t`` to every observation (rows ``starts[k]:starts[k+1]``).

    The sums are taken over the catalog positions ``c`` and the offsets ``d = x - c``, never
    over the x-ray positions, so that nothing of the order of the positions (up to 900") is
    subtracted from the offsets: ``t = d̄ + (I - R) c̄`` and the residuals
    ``d - d̄ + (I - R) c'``, with ``I - R = [[v, s], [-s, v]]``, ``s = sin θ`` and
    ``v = 1 - cos θ = 2 sin²(θ/2)``; the cross sum is ``X = Σ w (c'_y d'_z - c'_z d'_y)`` and the
    dot sum ``D = M + Σ w (c'_y d'_y + c'_z d'_z)``.

    Parameters
    ----------
    cy, cz : ndarray
        Catalog positions (arcsec), rows grouped by observation.
    dy, dz : ndarray
        Offsets x-ray minus catalog (arcsec).
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
    index = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(cy))))

    def total(values: Float) -> Float:
        return np.asarray(np.add.reduceat(values, starts), dtype=np.float64)

    w_sum = total(weight)
    c_mean_y, c_mean_z = total(weight * cy) / w_sum, total(weight * cz) / w_sum
    d_mean_y, d_mean_z = total(weight * dy) / w_sum, total(weight * dz) / w_sum
    cpy, cpz = cy - c_mean_y[index], cz - c_mean_z[index]
    dpy, dpz = dy - d_mean_y[index], dz - d_mean_z[index]
    moment = total(weight * (cpy * cpy + cpz * cpz))
    spread = np.sqrt(moment / w_sum)
    has_roll = roll_allowed & (spread >= min_spread) & (moment > 0)
    dot = moment + total(weight * (cpy * dpy + cpz * dpz))
    cross = total(weight * (cpy * dpz - cpz * dpy))
    theta = np.where(has_roll, np.arctan2(cross, dot), 0.0)
    sin, versine = np.sin(theta), 2.0 * np.sin(theta / 2.0) ** 2
    ty = d_mean_y + versine * c_mean_y + sin * c_mean_z
    tz = d_mean_z - sin * c_mean_y + versine * c_mean_z
    sin_r, versine_r = sin[index], versine[index]
    ry = dpy + versine_r * cpy + sin_r * cpz
    rz = dpz - sin_r * cpy + versine_r * cpz
    qy_mean = c_mean_y - (versine * c_mean_y + sin * c_mean_z)
    qz_mean = c_mean_z - (-sin * c_mean_y + versine * c_mean_z)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_moment = np.where(has_roll, 1.0 / moment, np.nan)
    roll_term = np.where(has_roll, inv_moment, 0.0)
    # the roll moves pair i along (-(R c')_z, (R c')_y) / |c'|
    radius = np.hypot(cpy, cpz)
    cos_r = 1.0 - versine_r
    along_y = -(sin_r * cpy + cos_r * cpz)
    along_z = cos_r * cpy - sin_r * cpz
    with np.errstate(divide="ignore", invalid="ignore"):
        r_roll = np.where(radius > 0, (ry * along_y + rz * along_z) / radius, 0.0)
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
        fitted_var=(1.0 / w_sum)[index],
        roll_var=radius**2 * roll_term[index],
        r_roll=np.where(has_roll[index], r_roll, 0.0),
    )
