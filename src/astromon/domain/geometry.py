"""Focal-plane geometry: sky positions to y/z angles for an attitude, separations, neighbours.

Angles on the sky (ra, dec, roll) are in degrees; focal-plane angles (y_angle, z_angle,
r_angle) and distances between sources are in arcsec.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "angular_separation_arcsec",
    "attitude_matrix",
    "grouped_nearest_neighbor_dist",
    "nearest_neighbor_dist",
    "radec_to_unit_vectors",
    "radec_to_yz",
]

Float = NDArray[np.float64]


def attitude_matrix(ra: float, dec: float, roll: float) -> Float:
    """Rows of the returned 3×3 matrix are the spacecraft body axes (x, y, z) in ECI.

    Parameters
    ----------
    ra, dec, roll : float
        Attitude in degrees.
    """
    a, d, r = np.radians([ra, dec, roll])
    ca, sa, cd, sd, cr, sr = np.cos(a), np.sin(a), np.cos(d), np.sin(d), np.cos(r), np.sin(r)
    return np.array(
        [
            [ca * cd, sa * cd, sd],
            [-ca * sd * sr - sa * cr, -sa * sd * sr + ca * cr, cd * sr],
            [-ca * sd * cr + sa * sr, -sa * sd * cr - ca * sr, cd * cr],
        ]
    )


def radec_to_unit_vectors(ra: ArrayLike, dec: ArrayLike) -> Float:
    """Unit vectors (N×3) of sky positions given in degrees."""
    ra_r = np.radians(np.asarray(ra, dtype=np.float64))
    dec_r = np.radians(np.asarray(dec, dtype=np.float64))
    cos_dec = np.cos(dec_r)
    return np.stack([np.cos(ra_r) * cos_dec, np.sin(ra_r) * cos_dec, np.sin(dec_r)], axis=-1)


def radec_to_yz(
    ra: ArrayLike, dec: ArrayLike, att_ra: float, att_dec: float, att_roll: float
) -> tuple[Float, Float]:
    """Focal-plane angles (y_angle, z_angle) in arcsec of sky positions for an attitude.

    Parameters
    ----------
    ra, dec : array-like
        Sky positions in degrees.
    att_ra, att_dec, att_roll : float
        Attitude (pointing) in degrees.

    Returns
    -------
    y_angle, z_angle : ndarray
        ``atan2(v1, v0)`` and ``atan2(v2, v0)`` in arcsec, ``v`` the position in body axes.
    """
    vectors = radec_to_unit_vectors(ra, dec)
    body = vectors @ attitude_matrix(att_ra, att_dec, att_roll).T
    y = np.degrees(np.arctan2(body[..., 1], body[..., 0])) * 3600.0
    z = np.degrees(np.arctan2(body[..., 2], body[..., 0])) * 3600.0
    return y, z


def angular_separation_arcsec(
    ra1: ArrayLike, dec1: ArrayLike, ra2: ArrayLike, dec2: ArrayLike
) -> Float:
    """Great-circle separation in arcsec (Vincenty formula, stable at all separations)."""
    l1, b1 = np.radians(np.asarray(ra1, float)), np.radians(np.asarray(dec1, float))
    l2, b2 = np.radians(np.asarray(ra2, float)), np.radians(np.asarray(dec2, float))
    dl = l2 - l1
    sdl, cdl = np.sin(dl), np.cos(dl)
    sb1, cb1, sb2, cb2 = np.sin(b1), np.cos(b1), np.sin(b2), np.cos(b2)
    num1 = cb2 * sdl
    num2 = cb1 * sb2 - sb1 * cb2 * cdl
    den = sb1 * sb2 + cb1 * cb2 * cdl
    result: Float = np.degrees(np.arctan2(np.hypot(num1, num2), den)) * 3600.0
    return result


def nearest_neighbor_dist(y: ArrayLike, z: ArrayLike) -> Float:
    """Distance (arcsec) in the (y, z) plane from each point to the nearest other point.

    A lone point gets ``inf``.
    """
    points = np.column_stack([np.asarray(y, float), np.asarray(z, float)])
    n = len(points)
    if n < 2:
        return np.full(n, np.inf)
    from scipy.spatial import cKDTree  # here: scipy.spatial costs 0.1 s at start-up

    dist, _ = cKDTree(points).query(points, k=2)
    result: Float = np.asarray(dist[:, 1], dtype=np.float64)
    return result


def grouped_nearest_neighbor_dist(groups: ArrayLike, y: ArrayLike, z: ArrayLike) -> Float:
    """:func:`nearest_neighbor_dist` within each group (e.g. per obsid), in input order."""
    keys: NDArray[Any] = np.asarray(groups)
    y_arr, z_arr = np.asarray(y, float), np.asarray(z, float)
    out = np.full(len(keys), np.inf)
    if len(keys) == 0:
        return out
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    for idx in np.split(order, bounds):
        out[idx] = nearest_neighbor_dist(y_arr[idx], z_arr[idx])
    return out
