"""Reference catalogs: the table of catalogs searched for counterparts, and their results.

The registry maps a catalog name (as stored in ``astromon_cat_src.catalog``) to a
:class:`CatalogSpec` (:mod:`astromon.domain.catalog_spec`): its VizieR table, the columns
that make a star's name and magnitude, the columns of its positions and their epoch, its
proper-motion columns and their convention, and the positions used for a star whose main
position is blank. The built-in table below was checked against each catalog's VizieR
description (its ReadMe). Users add catalogs with :func:`register_catalog`.

Every catalog adapter reads stars with :func:`catalog_stars`, moves them to the observation's
epoch with :meth:`CatalogStars.at_epoch`, keeps those near the sources with
:func:`stars_near_positions` (all in :mod:`astromon.domain.star_positions`, available here)
and builds its result with :func:`counterpart_table`. So the online (VizieR) and offline
(catalog file) adapters give identical rows for the same stars.

Units: ra, dec in degrees; proper motions in mas/yr (``pmra`` includes the cos(dec) factor);
epochs in Julian years (``2000.0`` is J2000.0, TT); radii and separations in arcsec.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from astropy.table import Column, Table
from numpy.typing import ArrayLike, NDArray

from astromon.domain.catalog_spec import (
    CatalogSpec,
    Epoch,
    PositionColumns,
    ProperMotion,
)
from astromon.domain.errors import ValidationError
from astromon.domain.star_positions import (
    MAS_PER_DEG,
    CatalogStars,
    catalog_stars,
    propagate_proper_motion,
    stars_near_positions,
)

__all__ = [
    "CATALOGS",
    "COUNTERPART_COLUMNS",
    "DEFAULT_ROUGH_MATCH_CATALOGS",
    "FASTEST_STAR_MAS_YR",
    "MAS_PER_DEG",
    "CatalogSpec",
    "CatalogStars",
    "Epoch",
    "PositionColumns",
    "ProperMotion",
    "catalog_names",
    "catalog_stars",
    "counterpart_table",
    "empty_counterpart_table",
    "get_catalog",
    "propagate_proper_motion",
    "register_catalog",
    "stars_near_positions",
    "unregister_catalog",
    "validate_catalog_names",
]

Float = NDArray[np.float64]

COUNTERPART_COLUMNS: Final = ("catalog", "name", "ra", "dec", "mag")
"""Columns of the table a catalog service returns (see :func:`counterpart_table`)."""

FASTEST_STAR_MAS_YR: Final = 10_400.0
"""Bound (mas/yr) on the motion of any star: Barnard's star, the fastest on the sky, moves
10.39"/yr (Gaia DR3: pmRA -801.551, pmDE 10362.394 mas/yr). It is the largest motion of the
catalogs whose description gives no range."""

_TYCHO2_MAX_MAS_YR: Final = math.hypot(6544.2, 10277.3)
"""Tycho-2's ReadMe ranges: pmRA in [-4418.0, 6544.2], pmDE in [-5774.3, 10277.3] mas/yr."""

_USNO_B_MAX_MAS_YR: Final = math.hypot(10_000.0, 10_000.0)
"""USNO-B1.0 stores each motion component within +-10"/yr (Monet et al. 2003, the
catalog's format); SDSS DR7's motions are USNO-B1.0's recalibrated on SDSS positions."""

_BRIGHT_FAST_MAS_YR: Final = 500.0
"""Fast-star motion of the bright-star catalogs (Tycho-2, Hipparcos): their stars are near,
so motions of hundreds of mas/yr are common, and they are sparse (about 60 and 3 stars per
square degree), so a wide slow-star cone costs nothing."""

_PLATE_FAST_MAS_YR: Final = 200.0
"""Fast-star motion of the catalogs with motions from photographic plates (USNO-B1.0, and
SDSS DR7's, which are USNO-B1.0's recalibrated): dense, with the least precise motions, so
more of their stars are given large motions than for the other dense catalogs."""


def _gaia_like(name: str, vizier_id: str, epoch: float, release: str) -> CatalogSpec:
    return CatalogSpec(
        name,
        vizier_id,
        ("Source",),
        "Gmag",
        positions=PositionColumns("RA_ICRS", "DE_ICRS", Epoch(epoch)),
        motion=ProperMotion("pmRA", "pmDE", FASTEST_STAR_MAS_YR),
        description=f"Gaia {release}; ICRS positions at epoch {epoch}, pmRA*cos(dec), pmDE",
    )


_BUILTIN: Final = (
    CatalogSpec(
        "Tycho2",
        "I/259/tyc2",
        ("TYC1", "TYC2", "TYC3"),
        "VTmag",
        positions=PositionColumns("RAmdeg", "DEmdeg", Epoch(2000.0)),
        motion=ProperMotion("pmRA", "pmDE", _TYCHO2_MAX_MAS_YR, fast_mas_yr=_BRIGHT_FAST_MAS_YR),
        fallback=PositionColumns("RA(ICRS)", "DE(ICRS)", Epoch(column="EpRA-1990", zero=1990.0)),
        description="Tycho-2 (Hog+ 2000); mean positions at J2000; the stars without one "
        "(pflag X) at their observed Tycho-2 position, unmoved",
    ),
    CatalogSpec(
        "ICRS",
        "I/323",
        ("ICRF",),
        None,
        positions=PositionColumns("_RAJ2000", "_DEJ2000"),
        description="ICRF2 radio sources (Fey+ 2009); extragalactic, no motion",
    ),
    CatalogSpec(
        "USNO-B1.0",
        "I/284",
        ("USNO-B1.0",),
        "R1mag",
        positions=PositionColumns("RAJ2000", "DEJ2000", Epoch(2000.0)),
        motion=ProperMotion("pmRA", "pmDE", _USNO_B_MAX_MAS_YR, fast_mas_yr=_PLATE_FAST_MAS_YR),
        description="USNO-B1.0 (Monet+ 2003); positions at epoch J2000",
    ),
    CatalogSpec(
        "HIP",
        "I/239/hip_main",
        ("HIP",),
        "Vmag",
        positions=PositionColumns("RAICRS", "DEICRS", Epoch(1991.25)),
        motion=ProperMotion("pmRA", "pmDE", FASTEST_STAR_MAS_YR, fast_mas_yr=_BRIGHT_FAST_MAS_YR),
        description="Hipparcos (ESA 1997); ICRS positions at epoch J1991.25",
    ),
    CatalogSpec(
        "HIP2",
        "I/311/hip2",
        ("HIP",),
        "Hpmag",
        positions=PositionColumns("RArad", "DErad", Epoch(1991.25)),
        motion=ProperMotion("pmRA", "pmDE", FASTEST_STAR_MAS_YR, fast_mas_yr=_BRIGHT_FAST_MAS_YR),
        description="Hipparcos, new reduction (van Leeuwen 2007); epoch J1991.25; Hp magnitude",
    ),
    CatalogSpec(
        "UCAC4",
        "I/322A/out",
        ("UCAC4",),
        "f.mag",
        positions=PositionColumns("RAJ2000", "DEJ2000", Epoch(2000.0)),
        motion=ProperMotion("pmRA", "pmDE", FASTEST_STAR_MAS_YR),
        description="UCAC4 (Zacharias+ 2012); mean positions at epoch J2000",
    ),
    CatalogSpec(
        "2MASS",
        "II/246/out",
        ("2MASS",),
        "Kmag",
        positions=PositionColumns("RAJ2000", "DEJ2000", Epoch(column="JD", unit="d")),
        description="2MASS point sources (Cutri+ 2003); positions at each star's observation "
        "date, no motion",
    ),
    CatalogSpec(
        "SDSS",
        "II/294",
        ("SDSS",),
        "rmag",
        positions=PositionColumns("RAJ2000", "DEJ2000", Epoch(column="ObsDate")),
        motion=ProperMotion("pmRA", "pmDE", _USNO_B_MAX_MAS_YR, fast_mas_yr=_PLATE_FAST_MAS_YR),
        description="SDSS DR7 photometric catalog; positions at each star's ObsDate",
    ),
    _gaia_like("Gaia2", "I/345/gaia2", 2015.5, "DR2"),
    _gaia_like("Gaia3", "I/355/gaiadr3", 2016.0, "DR3"),
)

_REGISTRY: dict[str, CatalogSpec] = {spec.name: spec for spec in _BUILTIN}

CATALOGS: Final[Mapping[str, CatalogSpec]] = MappingProxyType(_REGISTRY)
"""Read-only view of the registry (catalog name → :class:`CatalogSpec`)."""

DEFAULT_ROUGH_MATCH_CATALOGS: Final = ("Tycho2", "ICRS", "USNO-B1.0", "2MASS", "SDSS")
"""Catalogs searched by ``rough_match`` by default."""


def catalog_names() -> list[str]:
    """Names of the registered catalogs, in registration order."""
    return list(_REGISTRY)


def get_catalog(name: str) -> CatalogSpec:
    """The spec of catalog ``name``.

    Raises
    ------
    ValidationError
        ``name`` is not registered; the message lists the known catalogs.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValidationError(
            f"unknown catalog {name!r}; known catalogs: {', '.join(_REGISTRY)}"
        ) from None


def validate_catalog_names(names: str | Iterable[str]) -> tuple[str, ...]:
    """``names`` as a tuple (a single string is one name), after checking each is registered.

    Raises
    ------
    ValidationError
        Some names are not registered (all of them are named, with the known catalogs).
    """
    items = (names,) if isinstance(names, str) else tuple(names)
    unknown = [n for n in items if not isinstance(n, str) or n not in _REGISTRY]
    if unknown:
        raise ValidationError(f"unknown catalogs {unknown}; known catalogs: {', '.join(_REGISTRY)}")
    return items


def register_catalog(spec: CatalogSpec, *, replace: bool = False) -> None:
    """Add ``spec`` to the registry (or replace the spec of that name with ``replace=True``).

    Raises
    ------
    ValidationError
        ``spec`` is not a CatalogSpec, or its name is taken and ``replace`` is false.
    """
    if not isinstance(spec, CatalogSpec):
        raise ValidationError(f"register_catalog expects a CatalogSpec, got {type(spec).__name__}")
    if spec.name in _REGISTRY and not replace:
        raise ValidationError(
            f"catalog {spec.name!r} is already registered (pass replace=True to replace it)"
        )
    _REGISTRY[spec.name] = spec


def unregister_catalog(name: str) -> None:
    """Remove catalog ``name`` from the registry.

    Raises
    ------
    ValidationError
        ``name`` is not registered.
    """
    get_catalog(name)
    del _REGISTRY[name]


def empty_counterpart_table() -> Table:
    """A catalog-service result with no rows (columns catalog, name, ra, dec, mag)."""
    return counterpart_table("", [], [], [], [])


def counterpart_table(
    catalog: str, name: ArrayLike, ra: ArrayLike, dec: ArrayLike, mag: ArrayLike
) -> Table:
    """The table a catalog service returns: each star once, sorted by name, ra and dec.

    Parameters
    ----------
    catalog : str
        Catalog name, repeated on every row.
    name : array-like of str
        Star names.
    ra, dec : array-like
        Positions in degrees (float64).
    mag : array-like
        Magnitudes (float32; masked or missing values become NaN).

    Returns
    -------
    astropy.table.Table
        Columns catalog (str), name (str), ra, dec (float64, degrees), mag (float32).
    """
    names = np.asarray([str(n) for n in np.asarray(name, dtype=object).ravel()], dtype=str)
    ra_arr = np.asarray(ra, dtype=np.float64).ravel()
    dec_arr = np.asarray(dec, dtype=np.float64).ravel()
    mag_arr = _float_values(mag).astype(np.float32)
    if not (len(names) == len(ra_arr) == len(dec_arr) == len(mag_arr)):
        raise ValidationError(
            f"catalog {catalog!r}: name, ra, dec and mag have different lengths "
            f"({len(names)}, {len(ra_arr)}, {len(dec_arr)}, {len(mag_arr)})"
        )
    order = np.lexsort((dec_arr, ra_arr, names)) if len(names) else np.arange(0)
    keep: list[int] = []
    seen: set[tuple[str, float, float]] = set()
    for i in order.tolist():
        key = (str(names[i]), float(ra_arr[i]), float(dec_arr[i]))
        if key not in seen:
            seen.add(key)
            keep.append(i)
    sel = np.asarray(keep, dtype=np.intp)
    n = len(sel)
    return Table(
        [
            Column(np.full(n, catalog, dtype=f"<U{max(len(catalog), 1)}"), name="catalog"),
            Column(names[sel] if n else np.zeros(0, dtype="<U1"), name="name"),
            Column(ra_arr[sel], name="ra", unit="deg", format=".4f"),
            Column(dec_arr[sel], name="dec", unit="deg", format=".4f"),
            Column(mag_arr[sel], name="mag", format=".2f"),
        ]
    )


def _float_values(values: Any) -> Float:
    """Float64 array of ``values`` with masked entries as NaN."""
    if isinstance(values, np.ma.MaskedArray):
        filled: Any = np.ma.filled(values.astype(np.float64), np.nan)
        return np.asarray(filled, dtype=np.float64).ravel()
    return np.asarray(values, dtype=np.float64).ravel()
