"""Region values as users give them: the columns, their types, defaults and valid ranges.

The checks shared by the region rules of :mod:`astromon.domain.regions` and by the search
arguments: region centres and radii, search radii (:func:`radius_to_arcsec`) and obsids
(:func:`as_obsids`).

Units: ``ra``/``dec`` in degrees, ``radius`` in arcsec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from astropy import units as u
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.column_conversion import as_table, not_whole, outside_integers
from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.schema import to_schema, validate_text

__all__ = [
    "MAX_RADIUS_ARCSEC",
    "REGION_FIELDS",
    "as_input_table",
    "as_obsids",
    "position_degrees",
    "prepare_new_regions",
    "radius_to_arcsec",
    "validate_region_values",
]

REGION_FIELDS: Final[tuple[str, ...]] = ("ra", "dec", "radius", "obsid", "user", "comments")
"""The columns a user gives for a region; the others (ids, time-stamp) are computed."""

_DEFAULTS: Final[dict[str, Any]] = {"radius": 0.0, "obsid": 0, "user": "", "comments": ""}
_REQUIRED: Final[tuple[str, ...]] = ("ra", "dec")
_TABLE: Final = "astromon_regions"


def as_input_table(data: Any, what: str) -> Table:
    """``data`` (anything ``astropy.table.Table()`` accepts) as a Table.

    Raises
    ------
    ValidationError
        ``data`` cannot be made a Table (the message names ``what``).
    """
    try:
        return as_table(data)
    except Exception as exc:  # astropy raises many types for bad input
        raise ValidationError(f"{what} must be convertible to an astropy Table: {exc}") from None


MAX_RADIUS_ARCSEC: Final = 648000.0
"""The largest region radius accepted: half the sky, in arcsec."""


def validate_region_values(table: Table) -> None:
    """Check region centres and radii.

    Parameters
    ----------
    table : astropy.table.Table
        Regions with ``ra``, ``dec`` (degrees) and ``radius`` (arcsec) columns.

    Raises
    ------
    ValidationError
        An ``ra`` outside [0, 360) or NaN, a ``dec`` outside [-90, 90] or NaN, or a ``radius``
        that is NaN, negative or larger than half the sky (648000 arcsec); the message names
        the value and its row.
    """
    ra = np.asarray(table["ra"], dtype=np.float64)
    dec = np.asarray(table["dec"], dtype=np.float64)
    radius = np.asarray(table["radius"], dtype=np.float64)
    checks = (
        ("ra", ra, ~((ra >= 0) & (ra < 360)), "degrees, must be in [0, 360)"),
        ("dec", dec, ~((dec >= -90) & (dec <= 90)), "degrees, must be in [-90, 90]"),
        (
            "radius",
            radius,
            ~((radius >= 0) & (radius <= MAX_RADIUS_ARCSEC)),
            f"arcsec, must be in [0, {MAX_RADIUS_ARCSEC:g}]",
        ),
    )
    for name, values, bad, rule in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValidationError(
                f"region {name}={float(values[row])!r} in row {row} is invalid ({rule})"
            )


def _arcsec(radius: Any) -> float:
    if isinstance(radius, str):
        text = radius.strip()
        try:
            return float(text)
        except ValueError:
            pass
        text = text[:-1] + "arcsec" if text.endswith('"') else text
        text = text[:-1] + "arcmin" if text.endswith("'") else text
        radius = u.Quantity(text)
        if radius.unit == u.dimensionless_unscaled:
            raise ValueError("no unit")
    if isinstance(radius, u.Quantity):
        # an angle beyond float range in arcsec is infinite: larger than the sky, as it was
        with np.errstate(over="ignore"):
            return float(radius.to_value(u.arcsec))
    return float(radius)


def radius_to_arcsec(radius: Any, name: str = "radius") -> float:
    """A search radius in arcsec.

    Parameters
    ----------
    radius : astropy.units.Quantity, str or float
        An angle, a text with a unit (``"5arcmin"``, ``"10 arcsec"``, ``'3"'``), or a number
        (or numeric text) of arcsec.
    name : str
        Name of the argument, for messages.

    Raises
    ------
    ValidationError
        Not an angle, not a scalar, NaN or negative.
    """
    try:
        value = _arcsec(radius)
    except (u.UnitsError, TypeError, ValueError):
        raise ValidationError(
            f"{name} must be an angle (Quantity or text such as '5arcmin', '10arcsec') or a "
            f"number of arcsec, got {radius!r}"
        ) from None
    if not value >= 0:
        raise ValidationError(f"{name} must be >= 0 arcsec, got {radius!r}")
    return value


def as_obsids(obsid: Any) -> Any:
    """An obsid (int) or array of obsids (int64), checked.

    Raises
    ------
    ValidationError
        Not integers (NaN, infinite, fractional, text) or outside the int32 range.
    """
    try:
        arr = np.asarray(obsid)
        if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
            raise TypeError
        if np.any(not_whole(arr) | outside_integers(arr, np.int32)):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"obsid must be an integer (or integers), got {obsid!r}") from None
    ints = arr.astype(np.int64)
    return int(ints) if ints.ndim == 0 else ints


def prepare_new_regions(data: Any) -> Table:
    """The user-given columns of new regions, typed, defaulted and validated.

    Parameters
    ----------
    data : Table-compatible
        Anything ``astropy.table.Table()`` accepts, with ``ra``, ``dec`` (degrees) and
        optionally ``radius`` (arcsec, default 0), ``obsid`` (default 0: every observation),
        ``user`` and ``comments`` (default empty). Other columns are ignored.

    Returns
    -------
    astropy.table.Table
        Columns :data:`REGION_FIELDS`.

    Raises
    ------
    SchemaError
        ``ra`` or ``dec`` is missing, or a column has the wrong type.
    ValidationError
        Invalid values (see :func:`validate_region_values`).
    """
    table = as_input_table(data, "regions")
    missing = [c for c in _REQUIRED if c not in table.colnames]
    if missing:
        raise SchemaError(f"regions lack the column(s) {missing}; they have {table.colnames}")
    n = len(table)
    columns: dict[str, Any] = {}
    for name in REGION_FIELDS:
        if name in table.colnames:
            columns[name] = table[name]
        else:
            default = _DEFAULTS[name]
            columns[name] = np.array([default] * n)
    full = _fill_ids(Table(columns), np.zeros(n, dtype=np.int32), [""] * n, [""] * n)
    converted = to_schema(_TABLE, full)
    validate_region_values(converted)
    validate_text(_TABLE, converted)
    return converted[list(REGION_FIELDS)]


def _fill_ids(
    table: Table, region_id: NDArray[Any], id_str: Sequence[str], modified: Sequence[str]
) -> Table:
    out = Table(
        {
            "region_id": np.asarray(region_id, dtype=np.int32),
            "region_id_str": np.asarray(list(id_str), dtype=str),
            "last_modified": np.asarray(list(modified), dtype=str),
        }
    )
    for name in REGION_FIELDS:
        out[name] = table[name]
    return out


def position_degrees(position: Any) -> tuple[Any, Any]:
    """``(ra, dec)`` in degrees of a SkyCoord or an (ra, dec) pair (numbers or angles).

    Raises
    ------
    ValidationError
        ``position`` is neither, or a Quantity is not an angle.
    """
    if hasattr(position, "icrs") and hasattr(position, "ra"):
        icrs = position.icrs
        return icrs.ra.deg, icrs.dec.deg
    try:
        ra, dec = position
    except (TypeError, ValueError):
        raise ValidationError(
            f"position must be a SkyCoord or an (ra, dec) pair in degrees, got {position!r}"
        ) from None
    values = []
    for value in (ra, dec):
        if isinstance(value, u.Quantity):
            try:
                values.append(value.to_value(u.deg))
            except u.UnitsError:
                raise ValidationError(f"position must be angles, got {value!r}") from None
        else:
            values.append(value)
    return values[0], values[1]
