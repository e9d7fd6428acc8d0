"""Generated pairs with known shifts and rolls, for the alignment tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

from benchmarks.reference_alignment import pair_sigma, rotate

Float = NDArray[np.float64]


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
