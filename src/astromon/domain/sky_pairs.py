"""Pairs of sky positions within a radius: one k-d tree search used by every sky match.

Excluded regions (positions inside a circle), catalog screening (stars near x-ray sources) and
rough matches (every star/source pair) all ask the same question: which pairs of positions of
two sets are within a radius of each other. The answer comes from a k-d tree on unit vectors
of the second set and one ball query per position of the first set (chord length of the
radius, slightly enlarged), then the exact great-circle separation of each candidate pair.
Memory grows with the number of positions and candidate pairs, never with their product.

Units: ``ra``/``dec`` in degrees, radii and separations in arcsec.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.geometry import angular_separation_arcsec, radec_to_unit_vectors

__all__ = ["sky_pairs"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]

_ARCSEC_RAD = np.pi / (180.0 * 3600.0)
_CHORD_MARGIN = 1.001
"""Candidates come from a ball 0.1% larger than the radius; the exact test comes after."""


def _flat(values: ArrayLike) -> FloatArray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64)).ravel()


def sky_pairs(
    ra1: ArrayLike,
    dec1: ArrayLike,
    ra2: ArrayLike,
    dec2: ArrayLike,
    radius_arcsec: ArrayLike,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every pair (first[i], second[j]) at most ``radius_arcsec`` apart.

    Parameters
    ----------
    ra1, dec1 : array-like
        First set of positions (degrees).
    ra2, dec2 : array-like
        Second set of positions (degrees).
    radius_arcsec : float or array-like
        Radius (arcsec): one value, or one per position of the first set.

    Returns
    -------
    first, second : ndarray of intp
        Row indices into the first and second sets, sorted by ``first`` then ``second``.
    separation : ndarray of float64
        Great-circle separation of each pair (arcsec), ``<= radius``. Callers needing a
        strict limit compare ``separation < radius`` themselves.

    Positions with a non-finite coordinate, and first positions with a negative or NaN
    radius, belong to no pair.
    """
    ra1, dec1, ra2, dec2 = _flat(ra1), _flat(dec1), _flat(ra2), _flat(dec2)
    radius = np.broadcast_to(np.asarray(radius_arcsec, dtype=np.float64), ra1.shape)
    none: tuple[IntArray, IntArray, FloatArray] = (
        np.zeros(0, dtype=np.intp),
        np.zeros(0, dtype=np.intp),
        np.zeros(0, dtype=np.float64),
    )
    first_rows = np.flatnonzero(np.isfinite(ra1) & np.isfinite(dec1) & (radius >= 0))
    second_rows = np.flatnonzero(np.isfinite(ra2) & np.isfinite(dec2))
    if len(first_rows) == 0 or len(second_rows) == 0:
        return none
    from scipy.spatial import cKDTree  # here: scipy.spatial costs 0.1 s at start-up

    tree = cKDTree(radec_to_unit_vectors(ra2[second_rows], dec2[second_rows]))
    angle = np.minimum(radius[first_rows] * _ARCSEC_RAD, np.pi)
    chord = 2.0 * np.sin(angle / 2.0) * _CHORD_MARGIN + 1e-15
    queries = radec_to_unit_vectors(ra1[first_rows], dec1[first_rows])
    neighbours = tree.query_ball_point(queries, chord, return_sorted=False)
    counts = np.fromiter((len(n) for n in neighbours), dtype=np.intp, count=len(neighbours))
    total = int(counts.sum())
    if total == 0:
        return none
    first = np.repeat(first_rows, counts)
    second = second_rows[np.fromiter(chain.from_iterable(neighbours), dtype=np.intp, count=total)]
    order = np.lexsort((second, first))
    first, second = first[order], second[order]
    separation = np.asarray(
        angular_separation_arcsec(ra1[first], dec1[first], ra2[second], dec2[second]),
        dtype=np.float64,
    )
    close = separation <= radius[first]
    return first[close], second[close], separation[close]
