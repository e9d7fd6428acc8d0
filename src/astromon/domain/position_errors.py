"""Positional uncertainties of the two members of a cross-match pair.

Every figure here is a **1-sigma error per axis** in arcsec: the standard deviation of the
position along y (and, equally, along z) of a circular 2-D Gaussian.

X-ray sources
    The empirical relations of the ChaMP point-source catalog (Kim et al. 2007, ApJS 169,
    401; the relations the Chandra Source Catalog 1 used for its position errors), for the
    positional uncertainty PU (arcsec) at 95% confidence, with θ the off-axis angle in
    arcmin and C the net counts::

        log10 PU = 0.1145 θ - 0.4958 log10 C + 0.1932    for 0 < log10 C <= 2.1393
        log10 PU = 0.0968 θ - 0.2064 log10 C - 0.4260    for 2.1393 < log10 C <= 3.3

    PU is the radius holding 95% of a circular Gaussian of per-axis sigma σ: for such a
    Gaussian ``P(r < R) = 1 - exp(-R² / 2σ²)``, so ``σ = PU / sqrt(-2 ln 0.05) = PU / 2.4477``.

    Outside the calibrated range the inputs are clipped, never extrapolated: net counts below
    1 (including zero and negative net counts) count as 1 count; above 10**3.3 (about 1995
    counts) as 10**3.3, so brighter sources keep the error of a 1995-count source (on axis
    0.078" at 95%, 0.032" per axis); off-axis angles above :data:`MAX_OFF_AXIS_ARCMIN` count
    as that angle. The two relations meet at log10 C = 2.1393 on axis but not off axis (their
    θ slopes differ): at 2' the larger of the two is 9% above the smaller, at 15' 84%. That is
    the published model.

Catalog stars
    A per-catalog typical error (:data:`CATALOG_POSITION_ERRORS`), or a per-star error when
    the cross-match table carries one (see :mod:`astromon.domain.alignment`).

A pair's error is the quadrature sum of both (:func:`pair_position_error`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError

__all__ = [
    "CATALOG_POSITION_ERRORS",
    "MAX_LOG_COUNTS",
    "MAX_OFF_AXIS_ARCMIN",
    "PU95_PER_SIGMA",
    "UNLISTED_CATALOG_ERROR",
    "catalog_position_error",
    "pair_position_error",
    "xray_position_error",
]

Float = NDArray[np.float64]

PU95_PER_SIGMA: Final = math.sqrt(-2.0 * math.log(0.05))
"""Radius holding 95% of a circular 2-D Gaussian, in units of its per-axis sigma (2.4477)."""

_BREAK_LOG_COUNTS: Final = 2.1393
"""log10 of the net counts where Kim et al. (2007) switch from the faint to the bright relation."""

_FAINT: Final = (0.1145, -0.4958, 0.1932)
"""(θ slope per arcmin, log10 C slope, constant) of log10 PU for 0 < log10 C <= 2.1393."""

_BRIGHT: Final = (0.0968, -0.2064, -0.4260)
"""(θ slope per arcmin, log10 C slope, constant) of log10 PU for 2.1393 < log10 C <= 3.3."""

MAX_LOG_COUNTS: Final = 3.3
"""Upper end of the counts range of the relations (log10 of the net counts)."""

MAX_OFF_AXIS_ARCMIN: Final = 15.0
"""Off-axis angles beyond this (arcmin) are clipped to it.

astromon's limit, not the paper's: the relations grow exponentially with θ, and extrapolated
to the edge of the HRC-I field (30') they would give a 20-count source a 95% radius of 960"
(18" at 15').
"""

CATALOG_POSITION_ERRORS: Final[Mapping[str, float]] = MappingProxyType(
    {
        # Gaia DR3 (Lindegren et al. 2021, A&A 649, A2): 0.015-2 mas at epoch 2016.0 and
        # 0.015-2 mas/yr; propagated to 1999-2026 a faint star (G = 20, 0.5 mas and
        # 0.5 mas/yr) is within 10 mas.
        "Gaia3": 0.01,
        # Gaia DR2 (Lindegren et al. 2018, A&A 616, A2): about 0.7 mas at G = 20, epoch 2015.5;
        # astromon does not move these positions to the observation epoch, and a proper motion
        # of a few mas/yr over up to 16 years adds about 0.1" (astromon's allowance).
        "Gaia2": 0.1,
        # Tycho-2 (Høg et al. 2000, A&A 355, L27): about 60 mas at J2000 for typical stars,
        # proper motions to 2.5 mas/yr, so about 0.1" at observation epochs to 2026.
        "Tycho2": 0.1,
        # ICRF2 radio sources (Fey et al. 2015, AJ 150, 58): a 40 µas noise floor, most
        # sources below 1 mas.
        "ICRS": 0.001,
        # USNO-B1.0 (Monet et al. 2003, AJ 125, 984): 0.2" at J2000.
        "USNO-B1.0": 0.2,
        # Hipparcos (ESA 1997) and its new reduction (van Leeuwen 2007, A&A 474, 653): about
        # 1 mas at J1991.25. astromon does not move them with their proper motions; that
        # displacement is not part of this figure.
        "HIP": 0.001,
        "HIP2": 0.001,
        # UCAC4 (Zacharias et al. 2013, AJ 145, 44): 15-20 mas at 10-14 mag to about 100 mas
        # at its faint limit.
        "UCAC4": 0.1,
        # 2MASS (Skrutskie et al. 2006, AJ 131, 1163): 70-80 mas for Ks < 14 relative to the
        # Tycho-2 reference frame.
        "2MASS": 0.08,
        # SDSS DR7 (Pier et al. 2003, AJ 125, 1559): below 0.05" per coordinate for r < 20,
        # about 0.1" at r = 22.
        "SDSS": 0.1,
    }
)
"""Typical 1-sigma per-axis position error (arcsec) of each registered catalog's stars."""

UNLISTED_CATALOG_ERROR: Final = 0.2
"""1-sigma per-axis error (arcsec) of catalogs without an entry in CATALOG_POSITION_ERRORS:
the largest listed one (USNO-B1.0)."""


def xray_position_error(net_counts: ArrayLike, off_axis_arcsec: ArrayLike) -> Float:
    """1-sigma per-axis position error (arcsec) of x-ray sources (Kim et al. 2007).

    Parameters
    ----------
    net_counts : array-like
        Net counts of the sources; clipped to [1, 10**3.3].
    off_axis_arcsec : array-like
        Off-axis angles (arcsec, the ``r_angle`` column); clipped to at most 15'.

    Returns
    -------
    numpy.ndarray of float64
        ``PU95 / 2.4477`` per source (see the module documentation).

    Raises
    ------
    ValidationError
        A NaN or infinite count or angle, or a negative angle (the message gives the first
        such value and its position).
    """
    counts = np.asarray(net_counts, dtype=np.float64)
    theta = np.asarray(off_axis_arcsec, dtype=np.float64)
    _check(counts, "net_counts", negative_ok=True)
    _check(theta, "off-axis angle", negative_ok=False)
    log_counts = np.log10(np.clip(counts, 1.0, 10.0**MAX_LOG_COUNTS))
    theta_arcmin = np.minimum(theta / 60.0, MAX_OFF_AXIS_ARCMIN)
    faint = log_counts <= _BREAK_LOG_COUNTS
    slope_theta = np.where(faint, _FAINT[0], _BRIGHT[0])
    slope_counts = np.where(faint, _FAINT[1], _BRIGHT[1])
    constant = np.where(faint, _FAINT[2], _BRIGHT[2])
    pu95 = 10.0 ** (slope_theta * theta_arcmin + slope_counts * log_counts + constant)
    return np.asarray(pu95 / PU95_PER_SIGMA, dtype=np.float64)


def catalog_position_error(catalog: ArrayLike) -> Float:
    """Typical 1-sigma per-axis position error (arcsec) of stars of each ``catalog``.

    Catalogs not listed in :data:`CATALOG_POSITION_ERRORS` get :data:`UNLISTED_CATALOG_ERROR`.
    """
    names = np.asarray(catalog)
    if names.dtype.kind == "S":
        names = np.char.decode(names, "utf-8")
    names = names.astype(str)
    errors = np.full(names.shape, UNLISTED_CATALOG_ERROR)
    for name, error in CATALOG_POSITION_ERRORS.items():  # a few compares, no sort of the rows
        errors[names == name] = error
    return errors


def pair_position_error(xray_error: ArrayLike, catalog_error: ArrayLike) -> Float:
    """1-sigma per-axis error (arcsec) of the offset x-ray minus catalog: the quadrature sum."""
    return np.asarray(
        np.hypot(np.asarray(xray_error, np.float64), np.asarray(catalog_error, np.float64)),
        dtype=np.float64,
    )


def _check(values: Float, what: str, *, negative_ok: bool) -> None:
    bad = ~np.isfinite(values) if negative_ok else ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        rule = "finite" if negative_ok else "finite and >= 0"
        raise ValidationError(
            f"{what} must be {rule}: {int(bad.sum())} value(s) are not, the first "
            f"{values.flat[first]!r} at row {first}"
        )
