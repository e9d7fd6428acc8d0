"""A plain per-observation alignment fit: ONLY the benchmarks' comparator and the tests' check.

The obvious way, one observation at a time (``Table.group_by``): the x-ray errors written
from Kim et al. (2007, ApJS 169, 401), Gauss-Newton steps with :func:`numpy.linalg.lstsq` on
the weighted model linearised in the roll, the covariance ``inv(JᵀWJ)``, the studentised
residual of each pair from the 2×2 block of ``I - H`` (``H`` the hat matrix of the weighted
Jacobian) and the rejection as a loop. It shares no code with
:mod:`astromon.domain.alignment`, whose results it reproduces
(``tests/unit/test_alignment_fit.py``, and the ``alignment`` benchmark case at any size).

Units: angles, offsets and errors in arcsec; the roll in arcsec.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.alignment import AlignmentOptions
from astromon.domain.position_errors import CATALOG_POSITION_ERRORS, UNLISTED_CATALOG_ERROR

__all__ = ["ARCSEC", "FIGURES", "fit_alignment", "kim_sigma", "pair_sigma", "rotate"]

Float = NDArray[np.float64]
ARCSEC = math.pi / (180.0 * 3600.0)
"""One arcsec in radians."""

FIGURES = (
    "n_pairs", "n_rejected", "dy", "dz", "roll", "dy_err", "dz_err", "roll_err", "chi2_dof",
    "rms_before", "rms_after", "shift_chi2", "flagged",
)  # fmt: skip
"""The columns of :func:`fit_alignment` after ``obsid``."""


def kim_sigma(net_counts: float, r_angle: float) -> float:
    """1-sigma per-axis error (arcsec) of an x-ray source, written from Kim et al. 2007.

    log10 PU95 = 0.1145 θ - 0.4958 log10 C + 0.1932 (log10 C <= 2.1393), else
    0.0968 θ - 0.2064 log10 C - 0.4260; θ in arcmin (at most 15), C clipped to [1, 10**3.3];
    the 95% radius of a circular Gaussian is sqrt(-2 ln 0.05) sigma.
    """
    log_c = min(max(math.log10(max(net_counts, 1.0)), 0.0), 3.3)
    theta = min(r_angle / 60.0, 15.0)
    if log_c <= 2.1393:
        log_pu = 0.1145 * theta - 0.4958 * log_c + 0.1932
    else:
        log_pu = 0.0968 * theta - 0.2064 * log_c - 0.4260
    return float(10.0**log_pu / math.sqrt(-2.0 * math.log(0.05)))


def pair_sigma(net_counts: float, r_angle: float, catalog: str, own: float = math.nan) -> float:
    """The pair's 1-sigma error: the star's ``own`` error when finite, else its catalog's."""
    star = (
        own if math.isfinite(own) else CATALOG_POSITION_ERRORS.get(catalog, UNLISTED_CATALOG_ERROR)
    )
    return math.sqrt(kim_sigma(net_counts, r_angle) ** 2 + star**2)


def rotate(angle_arcsec: Any, y: Any, z: Any) -> tuple[Float, Float]:
    """(y, z) turned counter-clockwise by ``angle_arcsec``."""
    theta = np.asarray(angle_arcsec, dtype=float) * ARCSEC
    c, s = np.cos(theta), np.sin(theta)
    return c * y - s * z, s * y + c * z


def fit_alignment(table: Table, options: AlignmentOptions) -> Table:
    """One row per obsid (sorted): each observation fitted on its own.

    Same definitions as :func:`astromon.domain.alignment.fit_alignment`: a roll when there
    are ``min_pairs_roll`` pairs and the weighted RMS distance of the stars from their
    weighted centroid is at least ``min_spread``; while at least 3 pairs are kept, drop the
    pair of largest badness (studentised residual over ``k_sigma``, or |residual| over
    ``residual_limit``) when it exceeds 1; flag when ``hypot(dy, dz) > flag_threshold`` and
    the shift's chi-square exceeds ``options.flag_chi2``. ``select_name`` is ignored.
    """
    rows: list[dict[str, Any]] = []
    for group in table.group_by("obsid").groups:
        xy = np.asarray(group["x_y_angle"], float)
        xz = np.asarray(group["x_z_angle"], float)
        dy = np.asarray(group["dy"], float)
        dz = np.asarray(group["dz"], float)
        own = group["c_pos_err"] if "c_pos_err" in group.colnames else np.full(len(group), np.nan)
        sigma = np.array(
            [
                pair_sigma(float(c), float(r), str(cat), float(e))
                for c, r, cat, e in zip(
                    group["net_counts"], group["r_angle"], group["catalog"], own, strict=True
                )
            ]
        )
        rows.append(
            {"obsid": int(group["obsid"][0]), **_one_observation(xy, xz, dy, dz, sigma, options)}
        )
    names = ["obsid", *FIGURES]
    return (
        Table(rows=[[row[n] for n in names] for row in rows], names=names)
        if rows
        else Table(names=names)
    )


def _one_observation(
    xy: Float, xz: Float, dy: Float, dz: Float, sigma: Float, options: AlignmentOptions
) -> dict[str, Any]:
    cy, cz = xy - dy, xz - dz
    kept = np.ones(len(xy), dtype=bool)
    rounds = 0
    while True:
        fit = _gauss_newton(xy[kept], xz[kept], cy[kept], cz[kept], sigma[kept], options)
        if rounds == options.max_iterations or kept.sum() < 3:
            break
        ry, rz = rotate(fit["theta"] / ARCSEC, cy, cz)
        res_y, res_z = xy - ry - fit["ty"], xz - rz - fit["tz"]
        residual = np.hypot(res_y, res_z)
        badness = np.full(len(xy), -np.inf)
        badness[kept] = (
            np.sqrt(
                _studentised_squares(
                    res_y[kept], res_z[kept], sigma[kept], fit["weighted_jacobian"]
                )
            )
            / options.k_sigma
        )
        if options.residual_limit is not None:
            badness = np.maximum(badness, residual / options.residual_limit)
            badness[~kept] = -np.inf
        worst = int(np.argmax(badness))
        if badness[worst] <= 1.0:
            break
        kept[worst] = False
        rounds += 1
    n = int(kept.sum())
    ry, rz = rotate(fit["theta"] / ARCSEC, cy[kept], cz[kept])
    res_y, res_z = xy[kept] - ry - fit["ty"], xz[kept] - rz - fit["tz"]
    cov = fit["cov"]
    shift = np.array([fit["ty"], fit["tz"]])
    shift_chi2 = float(shift @ np.linalg.inv(cov[:2, :2]) @ shift)
    return {
        "n_pairs": len(xy),
        "n_rejected": len(xy) - n,
        "dy": fit["ty"],
        "dz": fit["tz"],
        "roll": fit["theta"] / ARCSEC if fit["has_roll"] else math.nan,
        "dy_err": math.sqrt(cov[0, 0]),
        "dz_err": math.sqrt(cov[1, 1]),
        "roll_err": math.sqrt(cov[2, 2]) / ARCSEC if fit["has_roll"] else math.nan,
        "chi2_dof": fit["chi2"] / fit["dof"] if fit["dof"] > 0 else math.nan,
        "rms_before": math.sqrt(np.mean(dy[kept] ** 2 + dz[kept] ** 2)),
        "rms_after": math.sqrt(np.mean(res_y**2 + res_z**2)),
        "shift_chi2": shift_chi2,
        "flagged": bool(
            math.hypot(fit["ty"], fit["tz"]) > options.flag_threshold
            and shift_chi2 > options.flag_chi2
        ),
    }


def _studentised_squares(
    res_y: Float, res_z: Float, sigma: Float, weighted_jacobian: Float
) -> Float:
    """r̃ᵀ B⁺ r̃ per pair, r̃ the weighted residual and B its 2×2 block of I - H."""
    n = len(res_y)
    a = weighted_jacobian
    hat = a @ np.linalg.inv(a.T @ a) @ a.T
    left = np.eye(2 * n) - hat
    out = np.empty(n)
    for j in range(n):
        rows = [j, n + j]
        block = left[np.ix_(rows, rows)]
        r = np.array([res_y[j], res_z[j]]) / sigma[j]
        out[j] = r @ np.linalg.pinv(block, rcond=1e-10, hermitian=True) @ r
    return out


def _jacobian(theta: float, cy: Float, cz: Float, has_roll: bool) -> Float:
    """d(R c + t)/d(t_y, t_z[, θ]) at ``theta``: rows y of every pair, then z."""
    ry, rz = rotate(theta / ARCSEC, cy, cz)
    ones, zeros = np.ones_like(cy), np.zeros_like(cy)
    columns = [np.concatenate([ones, zeros]), np.concatenate([zeros, ones])]
    if has_roll:
        columns.append(np.concatenate([-rz, ry]))  # d(R c)/dθ = (-(Rc)_z, (Rc)_y)
    return np.stack(columns, axis=1)


def _gauss_newton(
    xy: Float, xz: Float, cy: Float, cz: Float, sigma: Float, options: AlignmentOptions
) -> dict[str, Any]:
    w = 1.0 / sigma**2
    spread = math.sqrt(
        np.sum(w * ((cy - np.average(cy, weights=w)) ** 2 + (cz - np.average(cz, weights=w)) ** 2))
        / np.sum(w)
    )
    has_roll = len(xy) >= options.min_pairs_roll and spread >= options.min_spread
    root_w = np.concatenate([np.sqrt(w), np.sqrt(w)])[:, None]
    params = np.array([np.average(xy - cy, weights=w), np.average(xz - cz, weights=w), 0.0])
    for _ in range(50):
        ry, rz = rotate(params[2] / ARCSEC, cy, cz)
        residual = np.concatenate([xy - ry - params[0], xz - rz - params[1]])[:, None]
        weighted = _jacobian(params[2], cy, cz, has_roll) * root_w
        step = np.linalg.lstsq(weighted, (residual * root_w)[:, 0], rcond=None)[0]
        params[: len(step)] += step
        if np.max(np.abs(step)) < 1e-15:
            break
    ry, rz = rotate(params[2] / ARCSEC, cy, cz)
    residual = np.concatenate([xy - ry - params[0], xz - rz - params[1]])
    weighted = _jacobian(params[2], cy, cz, has_roll) * root_w
    k = weighted.shape[1]
    cov = np.full((3, 3), np.nan)
    cov[:k, :k] = np.linalg.inv(weighted.T @ weighted)
    return {
        "ty": params[0],
        "tz": params[1],
        "theta": params[2],
        "has_roll": has_roll,
        "cov": cov,
        "chi2": float(np.sum((residual * root_w[:, 0]) ** 2)),
        "dof": 2 * len(xy) - k,
        "weighted_jacobian": weighted,
    }
