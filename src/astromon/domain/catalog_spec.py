"""What a reference catalog gives: the columns of its positions, their epoch, its motions.

A :class:`CatalogSpec` describes one catalog of the registry (:mod:`astromon.domain.catalogs`):
its VizieR table, the columns of the star names and magnitudes, and where each star was when:

* :class:`PositionColumns` -- the columns of the positions (degrees) and their
  :class:`Epoch`, a constant (Gaia DR3: 2016.0) or a column (SDSS: ``ObsDate``);
* :class:`ProperMotion` -- the proper-motion columns (mas/yr), whether ``pmRA`` already
  includes the cos(dec) factor, and the largest motion the catalog holds;
* ``fallback`` -- the positions of stars whose main position is blank (Tycho-2's stars
  without a mean position): such a star is kept at that position, without motion.

A star moves from its own epoch to the observation's when its catalog has proper motions and
the star has both (and an epoch); otherwise it stays where the catalog puts it. A catalog with
no :class:`ProperMotion` (2MASS, ICRF) keeps every star at its epoch: :attr:`CatalogSpec.moves`
records that fact.

Units: degrees, mas/yr, Julian years (TT); a Julian date column is turned into Julian years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError

__all__ = [
    "EPOCH_UNITS",
    "VIZIER_J2000",
    "CatalogSpec",
    "Epoch",
    "PositionColumns",
    "ProperMotion",
]

Float = NDArray[np.float64]

EPOCH_UNITS: Final = ("yr", "d")
"""Units of an epoch column: Julian years (plus :attr:`Epoch.zero`), or Julian dates (days)."""

_JD_J2000: Final = 2451545.0
_DAYS_PER_JULIAN_YEAR: Final = 365.25


def _check_name(catalog: str, label: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"catalog {catalog!r}: {label} must be a non-empty column name, got {value!r}"
        )


def _check_finite(catalog: str, label: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(
            f"catalog {catalog!r}: {label} must be a finite number, got {value!r}"
        )


@dataclass(frozen=True)
class Epoch:
    """When positions hold: a constant Julian epoch, or a column giving each star's.

    Attributes
    ----------
    value : float or None
        The Julian epoch (years) of every position, e.g. ``2016.0``.
    column : str or None
        The column with each star's epoch (exactly one of ``value`` and ``column``).
    unit : {'yr', 'd'}
        Unit of ``column``: Julian years, or Julian dates (days).
    zero : float
        Years added to the values of a ``'yr'`` column (Tycho-2's ``EpRA-1990``: 1990).
    """

    value: float | None = None
    column: str | None = None
    unit: str = "yr"
    zero: float = 0.0

    def check(self, catalog: str) -> None:
        """Raise ValidationError (naming ``catalog``) unless the epoch is well defined."""
        if (self.value is None) == (self.column is None):
            raise ValidationError(
                f"catalog {catalog!r}: an epoch is a constant value or a column, not both or "
                f"neither (got value={self.value!r}, column={self.column!r})"
            )
        if self.value is not None:
            _check_finite(catalog, "epoch", self.value)
        else:
            _check_name(catalog, "epoch column", self.column)
        if self.unit not in EPOCH_UNITS:
            raise ValidationError(
                f"catalog {catalog!r}: epoch unit must be one of {EPOCH_UNITS}, got {self.unit!r}"
            )
        _check_finite(catalog, "epoch zero", self.zero)

    def years(self, values: ArrayLike | None, n: int) -> Float:
        """The epochs of ``n`` stars in Julian years (NaN where the column is blank).

        ``values`` holds the column's values (ignored for a constant epoch).
        """
        if self.value is not None:
            return np.full(n, float(self.value))
        data = np.asarray(values, dtype=np.float64).reshape(n)
        if self.unit == "d":
            return np.asarray(2000.0 + (data - _JD_J2000) / _DAYS_PER_JULIAN_YEAR)
        return np.asarray(data + self.zero)


@dataclass(frozen=True)
class PositionColumns:
    """The columns of a catalog's positions (degrees) and the epoch they hold at.

    ``epoch`` may be None only for a catalog without motion whose positions have no epoch
    (the ICRF's extragalactic radio sources).
    """

    ra: str
    dec: str
    epoch: Epoch | None = None

    def check(self, catalog: str) -> None:
        """Raise ValidationError (naming ``catalog``) unless the columns are well defined."""
        _check_name(catalog, "ra column", self.ra)
        _check_name(catalog, "dec column", self.dec)
        if self.epoch is not None:
            if not isinstance(self.epoch, Epoch):
                raise ValidationError(
                    f"catalog {catalog!r}: the epoch must be an Epoch, got {self.epoch!r}"
                )
            self.epoch.check(catalog)


VIZIER_J2000: Final = PositionColumns("_RAJ2000", "_DEJ2000", Epoch(2000.0))
"""VizieR's computed positions: at epoch J2000, moved there with the catalog's own motions."""


@dataclass(frozen=True)
class ProperMotion:
    """A catalog's proper-motion columns (mas/yr).

    Attributes
    ----------
    pmra, pmdec : str
        Columns of the motion in right ascension and declination.
    max_mas_yr : float
        The largest total motion a star of the catalog can have (mas/yr); it sizes the
        search around the positions an online catalog is searched at.
    pmra_includes_cosdec : bool
        True when ``pmra`` is the motion on the sky (mu_alpha * cos(dec)), as in every
        built-in catalog; False when it is d(ra)/dt and is multiplied by cos(dec) here.
    fast_mas_yr : float
        The motion (mas/yr) above which a star is *fast*: an online catalog is searched
        around each source within the radius plus how far a star moving this fast goes, and
        the fast stars in their own, wider searches (:mod:`astromon.domain.cone_plan`). It
        decides only how large the answers are, never which stars are found. The default,
        100 mas/yr, suits dense catalogs with precise motions (Gaia, UCAC4).
    """

    pmra: str
    pmdec: str
    max_mas_yr: float
    pmra_includes_cosdec: bool = True
    fast_mas_yr: float = 100.0

    def check(self, catalog: str) -> None:
        """Raise ValidationError (naming ``catalog``) unless the motion is well defined."""
        _check_name(catalog, "pmra column", self.pmra)
        _check_name(catalog, "pmdec column", self.pmdec)
        _check_finite(catalog, "max_mas_yr", self.max_mas_yr)
        if self.max_mas_yr < 0:
            raise ValidationError(
                f"catalog {catalog!r}: max_mas_yr must be >= 0, got {self.max_mas_yr!r}"
            )
        _check_finite(catalog, "fast_mas_yr", self.fast_mas_yr)
        if self.fast_mas_yr <= 0:
            raise ValidationError(
                f"catalog {catalog!r}: fast_mas_yr must be > 0, got {self.fast_mas_yr!r}"
            )
        if not isinstance(self.pmra_includes_cosdec, bool):
            raise ValidationError(
                f"catalog {catalog!r}: pmra_includes_cosdec must be True or False, "
                f"got {self.pmra_includes_cosdec!r}"
            )


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
        Columns whose values, joined with ``-``, make the star's name.
    mag_column : str or None
        Magnitude column; ``None`` when the catalog has none (``mag`` is NaN).
    positions : PositionColumns
        The positions and their epoch (default: VizieR's computed J2000 positions).
    motion : ProperMotion or None
        The proper motions; None when the catalog gives none (its stars stay at their epoch).
    fallback : PositionColumns or None
        Positions of the stars whose main position is blank; they are kept there, unmoved.
    description : str
        Free text (shown in the documentation and in error messages).
    """

    name: str
    vizier_id: str
    name_columns: tuple[str, ...]
    mag_column: str | None
    positions: PositionColumns = VIZIER_J2000
    motion: ProperMotion | None = None
    fallback: PositionColumns | None = None
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
        for label, part, kind in (
            ("positions", self.positions, PositionColumns),
            ("fallback", self.fallback, PositionColumns),
            ("motion", self.motion, ProperMotion),
        ):
            if part is None and label != "positions":
                continue
            if not isinstance(part, kind):
                raise ValidationError(
                    f"catalog {self.name!r}: {label} must be a {kind.__name__}, got {part!r}"
                )
            part.check(self.name)
        if self.motion is not None and self.positions.epoch is None:
            raise ValidationError(
                f"catalog {self.name!r} has proper motions but its positions have no epoch: "
                "give positions=PositionColumns(ra, dec, Epoch(value or column))"
            )

    @property
    def moves(self) -> bool:
        """True when the catalog gives proper motions (its stars move to the observation)."""
        return self.motion is not None

    @property
    def ra_column(self) -> str:
        """Column of the main right ascensions (degrees)."""
        return self.positions.ra

    @property
    def dec_column(self) -> str:
        """Column of the main declinations (degrees)."""
        return self.positions.dec

    def columns(self) -> dict[str, str]:
        """The columns astromon reads from the catalog, each with what it is read for.

        Epoch columns are read only from catalogs that move (the others keep their stars
        where they are, whatever the epoch).
        """
        roles: dict[str, str] = {}

        def add(column: str | None, role: str) -> None:
            if column is not None and column not in roles:
                roles[column] = role

        def add_positions(positions: PositionColumns, what: str) -> None:
            add(positions.ra, f"right ascension of the {what}")
            add(positions.dec, f"declination of the {what}")
            if self.moves and positions.epoch is not None:
                add(positions.epoch.column, f"epoch of the {what}")

        add_positions(self.positions, "positions")
        for column in self.name_columns:
            add(column, "star name")
        add(self.mag_column, "magnitude")
        if self.motion is not None:
            add(self.motion.pmra, "proper motion in right ascension; selects the fast stars")
            add(self.motion.pmdec, "proper motion in declination; selects the fast stars")
        if self.fallback is not None:
            add_positions(self.fallback, "stars without a main position")
        return roles

    def search_margin_arcsec(self, epoch: float, searched_epoch: float) -> float:
        """How far (arcsec) a star may be from where it is searched, at ``epoch``.

        ``searched_epoch`` is the epoch of the positions the search compares (VizieR's cone:
        J2000). Zero for catalogs without motion.
        """
        if self.motion is None:
            return 0.0
        return self.motion.max_mas_yr * abs(float(epoch) - float(searched_epoch)) / 1000.0
