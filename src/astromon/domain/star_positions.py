"""Star positions: proper-motion propagation and stars near given positions.

Used by every catalog adapter (through :mod:`astromon.domain.catalogs`), so the online and
offline catalogs give identical positions for the same stars.

Units: ra, dec in degrees; proper motions in mas/yr (``pmra`` includes the cos(dec) factor);
epochs in Julian years; radii in arcsec.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.sky_pairs import sky_pairs

__all__ = ["MAS_PER_DEG", "propagate_proper_motion", "stars_near_positions"]

Float = NDArray[np.float64]

MAS_PER_DEG: Final = 3.6e6
"""Milliarcseconds in one degree."""


def propagate_proper_motion(
    ra: ArrayLike,
    dec: ArrayLike,
    pmra: ArrayLike,
    pmdec: ArrayLike,
    from_epoch: ArrayLike,
    to_epoch: float,
) -> tuple[Float, Float]:
    """Positions moved with their proper motions from ``from_epoch`` to ``to_epoch``.

    The star moves uniformly along the tangent of the sphere at its catalog position (the
    rigorous propagation without parallax or radial velocity), so the result holds at the
    poles and for fast stars. Missing (NaN) proper motions count as zero.

    Parameters
    ----------
    ra, dec : array-like
        Catalog positions in degrees.
    pmra, pmdec : array-like
        Proper motions in mas/yr; ``pmra`` includes the cos(dec) factor.
    from_epoch : float or array-like
        Julian epoch (years) of the catalog positions.
    to_epoch : float
        Julian epoch (years) to move them to.

    Returns
    -------
    ra, dec : ndarray
        Positions at ``to_epoch`` in degrees (ra in [0, 360)).
    """
    ra_r = np.radians(np.asarray(ra, dtype=np.float64))
    dec_r = np.radians(np.asarray(dec, dtype=np.float64))
    mu_a = np.nan_to_num(np.asarray(pmra, dtype=np.float64))
    mu_d = np.nan_to_num(np.asarray(pmdec, dtype=np.float64))
    years = float(to_epoch) - np.asarray(from_epoch, dtype=np.float64)
    # displacement along the local east (p) and north (q) directions, in radians
    scale = np.radians(years / MAS_PER_DEG)
    da, dd = mu_a * scale, mu_d * scale
    sa, ca, sd, cd = np.sin(ra_r), np.cos(ra_r), np.sin(dec_r), np.cos(dec_r)
    x = ca * cd - sa * da - sd * ca * dd
    y = sa * cd + ca * da - sd * sa * dd
    z = sd + cd * dd
    new_ra = np.degrees(np.arctan2(y, x)) % 360.0
    new_dec = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return np.asarray(new_ra, dtype=np.float64), np.asarray(new_dec, dtype=np.float64)


def stars_near_positions(
    star_ra: ArrayLike,
    star_dec: ArrayLike,
    ra: ArrayLike,
    dec: ArrayLike,
    radius_arcsec: float,
) -> NDArray[np.bool_]:
    """Mask of the stars within ``radius_arcsec`` (inclusive) of at least one position.

    Parameters
    ----------
    star_ra, star_dec : array-like
        Star positions in degrees.
    ra, dec : array-like
        Positions (e.g. x-ray sources) in degrees.
    radius_arcsec : float
        Radius in arcsec.
    """
    mask = np.zeros(np.atleast_1d(np.asarray(star_ra)).size, dtype=bool)
    stars, _, _ = sky_pairs(star_ra, star_dec, ra, dec, radius_arcsec)
    mask[stars] = True
    return mask
