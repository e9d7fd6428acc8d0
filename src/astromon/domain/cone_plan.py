"""The cones an online catalog is searched with: every star within the radius of a source
at the observation's epoch, in small answers.

An online catalog (VizieR) compares the sources with the positions of its stars at one
epoch, the *cone epoch* (VizieR: J2000, its computed ``_RAJ2000``/``_DEJ2000``). A star moving
``mu`` mas/yr is at most ``mu * |t - t_cone|`` away from there at the observation's epoch
``t``: moving uniformly along the tangent of the sphere, it goes along a great circle by at
most its motion times the time. One cone that finds every star must therefore be widened by
the catalog's fastest motion ``M``; in 2025 USNO-B1.0 is searched within 3" + 354" of every
source, some 800 stars each where it holds 25,000 stars per square degree.

:func:`cone_plan` splits the stars at the catalog's fast-star motion ``P``
(:attr:`ProperMotion.fast_mas_yr <astromon.domain.catalog_spec.ProperMotion>`):

1. a *slow* cone of radius ``r + P |t - t_cone|`` over every star: it holds every star
   moving at most ``P`` that is within ``r`` at ``t``, and every star without a motion (it
   does not move);
2. two *fast* cones of radius ``r + M |t - t_cone|``, over the stars with
   ``|pmRA| > P / sqrt(2)``, and over those with ``|pmDE| > P / sqrt(2)``.

Nothing is missed: a star faster than ``P`` has ``pmRA*^2 + pmDE^2 > P^2`` (``pmRA*`` the
motion on the sky, ``pmRA * cos(dec)``), so one of its two components exceeds
``P / sqrt(2)``. A catalog whose ``pmRA`` column is d(ra)/dt has
``|pmRA| = |pmRA*| / cos(dec) >= |pmRA*|``, so the same bound on that column holds too (at
high declinations it lets more stars through, never fewer). A blank motion exceeds no bound:
such a star stays where the catalog puts it, inside the slow cone. A star found by two cones
is the same star twice; the catalog service keeps it once.

The plan costs two more requests. It is used when the widened cone is more than
:data:`MIN_WIDENING` times as wide as the slow one (more than four times the area, so four
times the stars of a dense field); otherwise one widened cone is searched: for catalogs
without motion, for observations close to the cone epoch, and when ``P`` is not below ``M``.

Each cone is searched around every source, or, when that holds fewer stars, around one
position (:func:`search_positions`): a wide cone around each of 100 sources a few arcminutes
apart returns each fast star once per source, the cone around their centre that holds all of
them returns it once.

Every cone radius gets a slack of :data:`CONE_SLACK_FRACTION` and :data:`CONE_SLACK_ARCSEC`:
the positions sent are rounded (astroquery writes 1e-8 degree, 0.04 mas), and the catalog's
propagation of its stars to the cone epoch may differ slightly from astromon's. The stars
found are then moved to ``t`` and cut at the exact radius.

Units: arcsec, mas/yr, Julian years.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.catalog_spec import CatalogSpec
from astromon.domain.errors import ValidationError
from astromon.domain.geometry import angular_separation_arcsec, radec_to_unit_vectors

__all__ = [
    "CONE_SLACK_ARCSEC",
    "CONE_SLACK_FRACTION",
    "MIN_WIDENING",
    "QueryCone",
    "cone_plan",
    "search_positions",
]

CONE_SLACK_FRACTION: Final = 1e-3
"""Relative slack added to every cone radius."""

CONE_SLACK_ARCSEC: Final = 0.01
"""Absolute slack (arcsec) added to every cone radius."""

MIN_WIDENING: Final = 2.0
"""The plan of three cones is used only when the widened cone's radius is more than this
many times the slow cone's."""


@dataclass(frozen=True)
class QueryCone:
    """One cone search around every source.

    Attributes
    ----------
    radius_arcsec : float
        Radius (arcsec) around each source, compared with the stars' positions at the cone
        epoch.
    motion_column : str or None
        None: every star. Otherwise only the stars whose ``|motion_column| > above_mas_yr``
        (a blank value is not above anything).
    above_mas_yr : float
        The bound on ``|motion_column|`` (mas/yr); 0 when ``motion_column`` is None.
    """

    radius_arcsec: float
    motion_column: str | None = None
    above_mas_yr: float = 0.0


def _number(value: object) -> float:
    """``value`` as a float; NaN for what is not a real number (booleans and text included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return math.nan
    return float(value)


def _padded(radius_arcsec: float) -> float:
    return radius_arcsec * (1.0 + CONE_SLACK_FRACTION) + CONE_SLACK_ARCSEC


def cone_plan(
    spec: CatalogSpec, radius_arcsec: float, epoch: float, cone_epoch: float
) -> tuple[QueryCone, ...]:
    """The cones that find every star of ``spec`` within ``radius_arcsec`` of a source at
    ``epoch``, when the catalog compares positions at ``cone_epoch``.

    Parameters
    ----------
    spec : CatalogSpec
        The catalog (its motion columns, fastest motion and fast-star motion).
    radius_arcsec : float
        The search radius at the observation's epoch (arcsec, > 0).
    epoch : float
        Julian epoch (years) of the observation.
    cone_epoch : float
        Julian epoch (years) of the positions the catalog compares (VizieR: 2000.0).

    Returns
    -------
    tuple of QueryCone
        One widened cone over every star; or the slow cone over every star, then the fast
        cones on ``pmra`` and on ``pmdec`` (see the module's description).

    Raises
    ------
    ValidationError
        The radius is not a finite number > 0, or an epoch is not finite.
    """
    radius = _number(radius_arcsec)
    if not (math.isfinite(radius) and radius > 0):
        raise ValidationError(f"radius must be > 0 arcsec, got {radius_arcsec!r}")
    t, t_cone = _number(epoch), _number(cone_epoch)
    for label, value, given in (("observation", t, epoch), ("cone", t_cone, cone_epoch)):
        if not math.isfinite(value):
            raise ValidationError(f"the {label} epoch must be a finite Julian year, got {given!r}")
    widened = _padded(radius + spec.search_margin_arcsec(t, t_cone))
    if spec.motion is None:
        return (QueryCone(widened),)
    slow = _padded(radius + spec.motion.fast_mas_yr * abs(t - t_cone) / 1000.0)
    if widened <= MIN_WIDENING * slow:
        return (QueryCone(widened),)
    bound = spec.motion.fast_mas_yr / math.sqrt(2.0)  # one component of a fast star exceeds it
    return (
        QueryCone(slow),
        QueryCone(widened, spec.motion.pmra, bound),
        QueryCone(widened, spec.motion.pmdec, bound),
    )


def search_positions(
    ra: ArrayLike, dec: ArrayLike, radius_arcsec: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """Where to search a cone of ``radius_arcsec`` around every source: the sources, or one
    position with a larger radius.

    The one position is the centre of the sources (their mean direction); its cone, of the
    radius plus the largest distance of a source from it (plus :data:`CONE_SLACK_ARCSEC`),
    holds every star within ``radius_arcsec`` of any source. It is chosen when its area is
    smaller than the areas of the sources' cones added up: on a field of uniform density,
    when its answer is smaller than theirs (a star in the cones of several sources is in
    each of their answers).

    Parameters
    ----------
    ra, dec : array-like
        The sources (degrees).
    radius_arcsec : float
        The cone radius around each source (arcsec).

    Returns
    -------
    ra, dec : ndarray
        The positions to search around (degrees).
    radius : float
        The cone radius around each of them (arcsec).

    Raises
    ------
    ValidationError
        ``ra`` and ``dec`` differ in length, or a position is not finite or has |dec| > 90
        (the rows are named).
    """
    ra_arr = np.atleast_1d(np.asarray(ra, dtype=np.float64)).ravel()
    dec_arr = np.atleast_1d(np.asarray(dec, dtype=np.float64)).ravel()
    if len(ra_arr) != len(dec_arr):
        raise ValidationError(
            f"source positions: {len(ra_arr)} right ascensions but {len(dec_arr)} declinations"
        )
    bad = np.flatnonzero(~np.isfinite(ra_arr) | ~(np.abs(dec_arr) <= 90.0))
    if len(bad):
        raise ValidationError(
            f"source positions must be finite degrees with |dec| <= 90; rows {bad[:10].tolist()} "
            f"are not (ra {ra_arr[bad[:3]].tolist()}, dec {dec_arr[bad[:3]].tolist()})"
        )
    if len(ra_arr) < 2:
        return ra_arr, dec_arr, radius_arcsec
    mean = radec_to_unit_vectors(ra_arr, dec_arr).sum(axis=0)
    length = float(np.linalg.norm(mean))
    if length < 1e-9 * len(ra_arr):  # sources all around the sky: no centre
        return ra_arr, dec_arr, radius_arcsec
    x, y, z = mean / length
    centre_ra = np.array([math.degrees(math.atan2(y, x)) % 360.0])
    centre_dec = np.array([math.degrees(math.asin(max(-1.0, min(1.0, z))))])
    spread = float(np.max(angular_separation_arcsec(centre_ra, centre_dec, ra_arr, dec_arr)))
    covering = radius_arcsec + spread + CONE_SLACK_ARCSEC
    if covering**2 >= len(ra_arr) * radius_arcsec**2:
        return ra_arr, dec_arr, radius_arcsec
    return centre_ra, centre_dec, covering
