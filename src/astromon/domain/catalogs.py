"""Reference catalogs: the registry of catalogs searched for counterparts, and star positions.

The registry maps a catalog name (as stored in ``astromon_cat_src.catalog``) to a
:class:`CatalogSpec`: its VizieR table, the columns that make a star's name and magnitude,
the columns of its positions and, for catalogs whose positions are moved to the epoch of the
observation, its proper-motion columns and the epoch of its positions. Users add catalogs with
:func:`register_catalog`.

Positions and their propagation are computed here, once, for every catalog adapter:
:func:`propagate_proper_motion` moves positions with their proper motions,
:func:`stars_near_positions` selects stars close to x-ray sources, and
:func:`counterpart_table` builds the table a catalog service returns. So the online (VizieR)
and offline (catalog file) adapters give identical rows for the same stars.

Units: ra, dec in degrees; proper motions in mas/yr (``pmra`` includes the cos(dec) factor);
epochs in Julian years (``2000.0`` is J2000.0, TT); radii and separations in arcsec.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from astropy.table import Column, Table
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from astromon.domain.errors import ValidationError
from astromon.domain.geometry import angular_separation_arcsec, radec_to_unit_vectors

__all__ = [
    "CATALOGS",
    "COUNTERPART_COLUMNS",
    "DEFAULT_ROUGH_MATCH_CATALOGS",
    "CatalogSpec",
    "catalog_names",
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

MAS_PER_DEG: Final = 3.6e6
"""Milliarcseconds in one degree."""

COUNTERPART_COLUMNS: Final = ("catalog", "name", "ra", "dec", "mag")
"""Columns of the table a catalog service returns (see :func:`counterpart_table`)."""


@dataclass(frozen=True)
class CatalogSpec:
    """One reference catalog of the registry.

    Attributes
    ----------
    name : str
        Name used by astromon (``astromon_cat_src.catalog``), e.g. ``'Tycho2'``.
    vizier_id : str
        VizieR catalog or table id, e.g. ``'I/259/tyc2'``.
    name_columns : tuple of str
        VizieR columns whose values, joined with ``-``, make the star's name.
    mag_column : str or None
        VizieR magnitude column; ``None`` when the catalog has none (``mag`` is NaN).
    ra_column, dec_column : str
        VizieR columns of the positions in degrees (default: VizieR's computed ``_RAJ2000`` and
        ``_DEJ2000``).
    pmra_column, pmdec_column : str or None
        Proper-motion columns in mas/yr (``pmra`` with the cos(dec) factor). When both are set
        the positions are propagated to the epoch of the observation; otherwise the catalog
        positions are used as they are.
    epoch : float or None
        Julian epoch (years) of the positions of a propagated catalog. For catalogs with a
        per-star epoch (``epoch_column``), the central epoch of the catalog.
    epoch_column : str or None
        Column giving the epoch (Julian years) of each star's position, when it varies.
    epoch_spread : float
        Half-width in years of the range of per-star epochs around ``epoch`` (0 for a single
        epoch); used to size the search margin of moving stars.
    max_pm_mas_yr : float
        Largest total proper motion (mas/yr) the online search allows for: the VizieR cone is
        widened by the distance such a star moves between ``epoch`` and the observation.
    description : str
        Free text (shown in the documentation and in error messages).
    """

    name: str
    vizier_id: str
    name_columns: tuple[str, ...]
    mag_column: str | None
    ra_column: str = "_RAJ2000"
    dec_column: str = "_DEJ2000"
    pmra_column: str | None = None
    pmdec_column: str | None = None
    epoch: float | None = None
    epoch_column: str | None = None
    epoch_spread: float = 0.0
    max_pm_mas_yr: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"catalog name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.vizier_id, str) or not self.vizier_id.strip():
            raise ValidationError(
                f"catalog {self.name!r}: vizier_id must be a non-empty string, "
                f"got {self.vizier_id!r}"
            )
        if isinstance(self.name_columns, str) or not self.name_columns:
            raise ValidationError(
                f"catalog {self.name!r}: name_columns must be a non-empty tuple of column "
                f"names, got {self.name_columns!r}"
            )
        if (self.pmra_column is None) != (self.pmdec_column is None):
            raise ValidationError(
                f"catalog {self.name!r}: give both pmra_column and pmdec_column or neither "
                f"(got {self.pmra_column!r}, {self.pmdec_column!r})"
            )
        if self.propagates and self.epoch is None:
            raise ValidationError(
                f"catalog {self.name!r} has proper motions but no epoch: set epoch (the epoch "
                "of its positions, or their central epoch when epoch_column is set)"
            )
        for label, value in (
            ("epoch_spread", self.epoch_spread),
            ("max_pm_mas_yr", self.max_pm_mas_yr),
        ):
            if not math.isfinite(value) or value < 0:
                raise ValidationError(
                    f"catalog {self.name!r}: {label} must be finite and >= 0, got {value!r}"
                )

    @property
    def propagates(self) -> bool:
        """True when positions are moved to the observation epoch with proper motions."""
        return self.pmra_column is not None and self.pmdec_column is not None

    def search_margin_arcsec(self, epoch: float) -> float:
        """How far (arcsec) a star of this catalog may move between its epoch and ``epoch``.

        Zero for catalogs that are not propagated.
        """
        if not self.propagates or self.epoch is None:
            return 0.0
        years = abs(epoch - self.epoch) + self.epoch_spread
        return self.max_pm_mas_yr * years / 1000.0


_BUILTIN: Final = (
    CatalogSpec(
        "Tycho2",
        "I/259/tyc2",
        ("TYC1", "TYC2", "TYC3"),
        "VTmag",
        ra_column="RAmdeg",
        dec_column="DEmdeg",
        pmra_column="pmRA",
        pmdec_column="pmDE",
        epoch=2000.0,
        max_pm_mas_yr=5000.0,
        description="Tycho-2 (Hog+ 2000); mean positions at J2000 moved with proper motions",
    ),
    CatalogSpec("ICRS", "I/323", ("ICRF",), None, description="ICRF2 radio sources"),
    CatalogSpec("USNO-B1.0", "I/284", ("USNO-B1.0",), "R1mag", description="USNO-B1.0"),
    CatalogSpec("HIP", "I/239/hip_main", ("HIP",), "Vmag", description="Hipparcos (1997)"),
    CatalogSpec(
        "HIP2",
        "I/311/hip2",
        ("HIP",),
        "Hpmag",
        description="Hipparcos, new reduction (van Leeuwen 2007); Hp magnitude",
    ),
    CatalogSpec("UCAC4", "I/322A/out", ("UCAC4",), "f.mag", description="UCAC4 (I/322A)"),
    CatalogSpec("2MASS", "II/246/out", ("2MASS",), "Kmag", description="2MASS point sources"),
    CatalogSpec(
        "SDSS",
        "II/294",
        ("SDSS",),
        "rmag",
        ra_column="RAJ2000",
        dec_column="DEJ2000",
        pmra_column="pmRA",
        pmdec_column="pmDE",
        epoch=2004.5,
        epoch_column="ObsDate",
        epoch_spread=6.0,
        max_pm_mas_yr=2000.0,
        description="SDSS DR7 photometric catalog; positions at ObsDate moved with proper motions",
    ),
    CatalogSpec(
        "Gaia2",
        "I/345/gaia2",
        ("Source",),
        "Gmag",
        ra_column="RA_ICRS",
        dec_column="DE_ICRS",
        description="Gaia DR2; ICRS positions at epoch 2015.5, not propagated",
    ),
    CatalogSpec(
        "Gaia3",
        "I/355/gaiadr3",
        ("Source",),
        "Gmag",
        ra_column="RA_ICRS",
        dec_column="DE_ICRS",
        pmra_column="pmRA",
        pmdec_column="pmDE",
        epoch=2016.0,
        max_pm_mas_yr=1000.0,
        description="Gaia DR3; positions at epoch 2016.0 moved with proper motions",
    ),
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
    stars = radec_to_unit_vectors(np.atleast_1d(star_ra), np.atleast_1d(star_dec))
    targets = radec_to_unit_vectors(np.atleast_1d(ra), np.atleast_1d(dec))
    mask = np.zeros(len(stars), dtype=bool)
    if len(stars) == 0 or len(targets) == 0:
        return mask
    finite = np.all(np.isfinite(stars), axis=1)
    chord = 2.0 * math.sin(math.radians(radius_arcsec / 3600.0) / 2.0)
    dist, idx = cKDTree(targets).query(
        np.where(finite[:, None], stars, 0.0), k=1, distance_upper_bound=chord * 1.001 + 1e-15
    )
    close = np.flatnonzero(finite & np.isfinite(dist))
    nearest = idx[close]
    sep = angular_separation_arcsec(
        np.atleast_1d(np.asarray(star_ra, dtype=np.float64))[close],
        np.atleast_1d(np.asarray(star_dec, dtype=np.float64))[close],
        np.atleast_1d(np.asarray(ra, dtype=np.float64))[nearest],
        np.atleast_1d(np.asarray(dec, dtype=np.float64))[nearest],
    )
    mask[close] = sep <= radius_arcsec
    return mask


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
