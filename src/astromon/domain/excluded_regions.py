"""Excluded regions: which sky positions fall inside a region to be excluded.

A region is a circle on the sky (centre ``ra``/``dec`` in degrees, ``radius`` in arcsec) that
applies to one observation (``obsid > 0``) or to every observation (``obsid <= 0``). A
position is in the region when its angular distance to the centre is strictly less than the
radius.

The search is :func:`astromon.domain.sky_pairs.sky_pairs` (a k-d tree on the positions, one
ball query per region), so memory grows with the number of positions, regions and candidate
pairs, never with their product.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Table
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.sky_pairs import sky_pairs

__all__ = ["in_excluded_regions", "validate_regions"]

BoolArray = NDArray[np.bool_]


def _positions(
    ra: ArrayLike, dec: ArrayLike, what: str = "position"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    try:
        ra_arr = np.atleast_1d(np.asarray(ra, dtype=np.float64)).ravel()
        dec_arr = np.atleast_1d(np.asarray(dec, dtype=np.float64)).ravel()
    except (TypeError, ValueError):
        raise ValidationError(f"ra/dec must be numbers in degrees, got {ra!r}, {dec!r}") from None
    if ra_arr.shape != dec_arr.shape:
        raise ValidationError(
            f"ra and dec must have the same length, got {ra_arr.size} and {dec_arr.size}"
        )
    bad = ~(np.isfinite(ra_arr) & np.isfinite(dec_arr)) | (np.abs(dec_arr) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"invalid {what} {i}: ra={float(ra_arr[i])!r}, dec={float(dec_arr[i])!r} "
            "(degrees; ra must be finite and dec within [-90, 90])"
        )
    return ra_arr, dec_arr


def validate_regions(
    regions: Table,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Centres (degrees), radii (arcsec) and obsids of ``regions``, validated.

    ``obsid`` is optional (missing means every observation).

    Raises
    ------
    SchemaError
        ``regions`` lacks ``ra``, ``dec`` or ``radius`` (named in the message).
    ValidationError
        A centre is NaN or out of range, or a radius is negative or NaN.
    """
    missing = [c for c in ("ra", "dec", "radius") if c not in regions.colnames]
    if missing:
        raise SchemaError(f"regions lack the column(s) {missing}; they have {regions.colnames}")
    ra, dec = _positions(regions["ra"], regions["dec"], "region centre")
    radius = np.asarray(regions["radius"], dtype=np.float64).ravel()
    bad = ~np.isfinite(radius) | (radius < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"region radius must be >= 0 arcsec, got {float(radius[i])!r} (row {i})"
        )
    if "obsid" in regions.colnames:
        obsid = np.asarray(regions["obsid"], dtype=np.int64).ravel()
    else:
        obsid = np.zeros(len(ra), dtype=np.int64)
    return ra, dec, radius, obsid


def in_excluded_regions(ra: ArrayLike, dec: ArrayLike, obsid: Any, regions: Table) -> BoolArray:
    """True where a position lies in an applicable excluded region.

    Parameters
    ----------
    ra, dec : float or array-like
        Positions in degrees.
    obsid : int, array-like of int or None
        Observation of each position (a scalar applies to all). A region applies to a
        position when the region's obsid is <= 0 or equals the position's obsid. None means
        every region applies.
    regions : astropy.table.Table
        Regions with ``ra``, ``dec`` (degrees), ``radius`` (arcsec) and optionally ``obsid``.

    Returns
    -------
    ndarray of bool
        One value per position (1-D; a scalar position gives one value): True where the
        angular distance to an applicable region centre is less than its radius.

    Raises
    ------
    ValidationError
        Invalid positions, radii or an ``obsid`` array of the wrong length.
    SchemaError
        ``regions`` lacks a needed column.
    """
    pos_ra, pos_dec = _positions(ra, dec)
    reg_ra, reg_dec, radius, reg_obsid = validate_regions(regions)
    n = len(pos_ra)
    result: BoolArray = np.zeros(n, dtype=np.bool_)
    if obsid is None:
        pos_obsid = None
    else:
        try:
            pos_obsid = np.broadcast_to(np.asarray(obsid, dtype=np.int64).ravel(), (n,))
        except (TypeError, ValueError):
            raise ValidationError(
                f"obsid must be an integer or one integer per position ({n}), got {obsid!r}"
            ) from None
    if n == 0 or len(reg_ra) == 0:
        return result

    region_idx, point_idx, separation = sky_pairs(reg_ra, reg_dec, pos_ra, pos_dec, radius)
    if pos_obsid is not None:
        applies = (reg_obsid[region_idx] <= 0) | (reg_obsid[region_idx] == pos_obsid[point_idx])
        point_idx, region_idx, separation = (
            point_idx[applies],
            region_idx[applies],
            separation[applies],
        )
    inside = separation < radius[region_idx]
    result[point_idx[inside]] = True
    return result
