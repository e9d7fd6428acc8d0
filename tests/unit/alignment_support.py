"""Helpers of the alignment tests: generated pairs with known shifts and rolls, and a plain
per-observation reference fit (iterated numpy.linalg.lstsq on the linearised model, with the
rejection written as a loop) to compare the vectorised fit against."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.alignment import AlignmentOptions
from astromon.domain.position_errors import CATALOG_POSITION_ERRORS, UNLISTED_CATALOG_ERROR

Float = NDArray[np.float64]
ARCSEC = math.pi / (180.0 * 3600.0)


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


@dataclass
class Simulated:
    """A generated cross-match table and the truth (per observation, in obsid order)."""

    table: Table
    obsid: NDArray[np.int64]
    dy: Float
    dz: Float
    roll: Float
    sigma: Float


def simulate(
    rng: np.random.Generator,
    pairs: Sequence[int],
    *,
    max_shift: float = 2.0,
    max_roll: float = 60.0,
    max_off_axis: float = 900.0,
    min_off_axis: float = 0.0,
    noise: bool = True,
    catalog: str = "Gaia3",
    first_obsid: int = 1000,
) -> Simulated:
    """Observations with ``pairs[k]`` pairs each: catalog stars uniform in the annulus from
    ``min_off_axis`` to ``max_off_axis`` arcsec, x-ray = R(roll)·star + shift (+ Gaussian
    noise of the pair's model sigma), net counts log-uniform in 10-3000."""
    n_obs = len(pairs)
    counts = np.asarray(pairs)
    obs_index = np.repeat(np.arange(n_obs), counts)
    n = len(obs_index)
    shift_y = rng.uniform(-max_shift, max_shift, n_obs)
    shift_z = rng.uniform(-max_shift, max_shift, n_obs)
    roll = rng.uniform(-max_roll, max_roll, n_obs)
    radius = np.sqrt(rng.uniform(min_off_axis**2, max_off_axis**2, n))
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    cy, cz = radius * np.cos(angle), radius * np.sin(angle)
    ry, rz = rotate(roll[obs_index], cy, cz)
    x0y, x0z = ry + shift_y[obs_index], rz + shift_z[obs_index]
    r_angle = np.hypot(x0y, x0z)
    net_counts = 10.0 ** rng.uniform(1.0, np.log10(3000.0), n)
    sigma = np.array([pair_sigma(c, r, catalog) for c, r in zip(net_counts, r_angle, strict=True)])
    scale = sigma if noise else 0.0 * sigma
    xy = x0y + rng.normal(size=n) * scale
    xz = x0z + rng.normal(size=n) * scale
    obsid = first_obsid + np.arange(n_obs, dtype=np.int64)
    table = Table(
        {
            "obsid": obsid[obs_index],
            "x_y_angle": xy,
            "x_z_angle": xz,
            "dy": xy - cy,
            "dz": xz - cz,
            "net_counts": net_counts,
            "r_angle": r_angle,
            "catalog": np.full(n, catalog),
        }
    )
    return Simulated(table, obsid, shift_y, shift_z, roll, sigma)


def reference_fit(table: Table, options: AlignmentOptions) -> dict[int, dict[str, float]]:
    """Per obsid: the fit of each observation on its own, by iterated lstsq and a rejection loop.

    Same definitions as the fit under test, written the obvious way: Gauss-Newton steps with
    numpy.linalg.lstsq on the weighted, linearised model; covariance inv(JᵀWJ); a roll when
    there are ``min_pairs_roll`` pairs and the weighted RMS distance of the stars from their
    weighted centroid is at least ``min_spread``; while at least 3 pairs are kept, drop the
    pair of largest |residual| / threshold when it exceeds 1.
    """
    results: dict[int, dict[str, float]] = {}
    for obsid in sorted(set(int(o) for o in table["obsid"])):
        rows = table[np.asarray(table["obsid"]) == obsid]
        xy = np.asarray(rows["x_y_angle"], float)
        xz = np.asarray(rows["x_z_angle"], float)
        dy = np.asarray(rows["dy"], float)
        dz = np.asarray(rows["dz"], float)
        own = rows["c_pos_err"] if "c_pos_err" in rows.colnames else np.full(len(rows), np.nan)
        sigma = np.array(
            [
                pair_sigma(float(c), float(r), str(cat), float(e))
                for c, r, cat, e in zip(
                    rows["net_counts"], rows["r_angle"], rows["catalog"], own, strict=True
                )
            ]
        )
        results[obsid] = _one_observation(xy, xz, dy, dz, sigma, options)
    return results


def _one_observation(
    xy: Float, xz: Float, dy: Float, dz: Float, sigma: Float, options: AlignmentOptions
) -> dict[str, float]:
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
        "shift_chi2": float(shift @ np.linalg.inv(cov[:2, :2]) @ shift),
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
