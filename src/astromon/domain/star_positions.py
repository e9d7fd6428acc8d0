"""Star positions: every catalog's stars where they were at the observation's epoch.

The one path every catalog adapter takes (so the online and offline catalogs give identical
positions for the same stars):

1. :func:`catalog_stars` reads a catalog's own columns, as its :class:`CatalogSpec` names
   them, into :class:`CatalogStars`: each star's position at its own epoch and its proper
   motion (blank main positions replaced by the spec's ``fallback`` positions, unmoved);
   a catalog file already in that form is turned into :class:`CatalogStars` directly.
2. :meth:`CatalogStars.at_epoch` moves the stars that have a motion and an epoch with
   :func:`propagate_proper_motion`; the others stay where the catalog puts them.
3. :func:`stars_near_positions` keeps the stars within the search radius.

Units: ra, dec in degrees; proper motions in mas/yr (``pmra`` includes the cos(dec) factor);
epochs in Julian years; radii in arcsec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.catalog_spec import CatalogSpec, PositionColumns
from astromon.domain.errors import ValidationError
from astromon.domain.sky_pairs import sky_pairs

__all__ = [
    "MAS_PER_DEG",
    "CatalogStars",
    "catalog_stars",
    "propagate_proper_motion",
    "stars_near_positions",
]

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


@dataclass(frozen=True)
class CatalogStars:
    """Stars as a catalog gives them: positions at their own epochs, and their motions.

    Attributes
    ----------
    ra, dec : ndarray
        Positions in degrees (NaN where the catalog gives none).
    epoch : ndarray
        Julian epoch (years) of each position; NaN where unknown.
    pmra, pmdec : ndarray
        Proper motions in mas/yr, ``pmra`` with the cos(dec) factor; NaN for a star the
        catalog gives no motion (it is kept at its position).
    """

    ra: NDArray[np.float64]
    dec: NDArray[np.float64]
    epoch: NDArray[np.float64]
    pmra: NDArray[np.float64]
    pmdec: NDArray[np.float64]

    def __post_init__(self) -> None:
        sizes = {len(np.atleast_1d(v)) for v in (self.ra, self.dec, self.epoch, self.pmra)}
        sizes.add(len(np.atleast_1d(self.pmdec)))
        if len(sizes) != 1:
            raise ValidationError(
                "catalog stars: ra, dec, epoch, pmra and pmdec have different lengths "
                f"{sorted(sizes)}"
            )

    @property
    def moving(self) -> NDArray[np.bool_]:
        """Mask of the stars that move: both motions and the epoch are known."""
        return np.isfinite(self.pmra) & np.isfinite(self.pmdec) & np.isfinite(self.epoch)

    def at_epoch(self, epoch: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Positions (degrees) at the Julian ``epoch``: moving stars moved, the others kept."""
        ra = np.array(self.ra, dtype=np.float64)
        dec = np.array(self.dec, dtype=np.float64)
        moving = self.moving & np.isfinite(ra) & np.isfinite(dec)
        if moving.any():
            ra[moving], dec[moving] = propagate_proper_motion(
                ra[moving],
                dec[moving],
                self.pmra[moving],
                self.pmdec[moving],
                self.epoch[moving],
                epoch,
            )
        return ra, dec


def catalog_stars(spec: CatalogSpec, values: Callable[[str], ArrayLike], n: int) -> CatalogStars:
    """The ``n`` stars of a catalog answer, read with its spec.

    Parameters
    ----------
    spec : CatalogSpec
        Which columns hold the positions, their epochs and the motions.
    values : callable
        ``column name -> float values`` of the ``n`` rows (NaN for blank values); it raises
        for a column the answer lacks.
    n : int
        Number of rows.

    Returns
    -------
    CatalogStars
        A star with a blank main position takes the spec's ``fallback`` position and epoch
        and no motion; a star with a blank motion or epoch keeps its position.
    """

    def read(positions: PositionColumns) -> tuple[NDArray[np.float64], ...]:
        ra = np.asarray(values(positions.ra), dtype=np.float64).reshape(n)
        dec = np.asarray(values(positions.dec), dtype=np.float64).reshape(n)
        epoch = np.full(n, np.nan)
        if spec.moves and positions.epoch is not None:
            column = positions.epoch.column
            epoch = positions.epoch.years(None if column is None else values(column), n)
        return ra, dec, epoch

    ra, dec, epoch = read(spec.positions)
    pmra, pmdec = np.full(n, np.nan), np.full(n, np.nan)
    if spec.motion is not None:
        pmra = np.asarray(values(spec.motion.pmra), dtype=np.float64).reshape(n)
        pmdec = np.asarray(values(spec.motion.pmdec), dtype=np.float64).reshape(n)
        if not spec.motion.pmra_includes_cosdec:
            pmra = pmra * np.cos(np.radians(dec))
    if spec.fallback is not None:
        blank = ~(np.isfinite(ra) & np.isfinite(dec))
        if blank.any():
            f_ra, f_dec, f_epoch = read(spec.fallback)
            ra, dec = np.where(blank, f_ra, ra), np.where(blank, f_dec, dec)
            epoch = np.where(blank, f_epoch, epoch)
            pmra, pmdec = np.where(blank, np.nan, pmra), np.where(blank, np.nan, pmdec)
    return CatalogStars(ra, dec, epoch, pmra, pmdec)
