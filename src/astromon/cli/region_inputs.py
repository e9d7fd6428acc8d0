"""Regions as users type them: angles, radii with units, table files, and the defaults.

``regions add`` (options or ``--file``), ``regions update`` and the legacy
``astromon-excluded-region`` read regions the same way:

* RA and Dec in degrees or sexagesimal (``12:30:45.5`` or ``12h30m45.5s`` hours for RA,
  ``-30:15:00`` or ``-30d15m00s`` degrees for Dec); in a file, a column with an angular unit
  is converted;
* radii in arcsec, or as text with a unit (``5arcmin``, ``'3"'``); in a file, a column with an
  angular unit is converted;
* a new region without a radius, obsid, user or comments gets :func:`region_defaults`:
  5 arcsec, 0 (every observation), the login name, no comments.

Every bad value is a :class:`~astromon.domain.errors.ValidationError` naming the option (or
the file, column and row) and the value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain.errors import ValidationError
from astromon.domain.region_values import radius_to_arcsec, validate_region_values
from astromon.ports.input_files import InputFiles

__all__ = [
    "DEFAULT_RADIUS_ARCSEC",
    "checked_options",
    "file_regions",
    "login_name",
    "parse_angle",
    "region_defaults",
]

DEFAULT_RADIUS_ARCSEC: Final = 5.0
"""Radius of a new region when none is given (arcsec), on the command line and in files."""
_ANGLE_EXAMPLES: Final = {True: "12:30:45.5 or 12h30m45.5s", False: "-30:15:00 or -30d15m00s"}


def login_name() -> str:
    """The login name of the user running astromon (empty when it cannot be told)."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no such user in the password database, no LOGNAME...
        return ""


def region_defaults() -> dict[str, Any]:
    """The values of a new region's optional fields when not given."""
    return {"radius": DEFAULT_RADIUS_ARCSEC, "obsid": 0, "user": login_name(), "comments": ""}


def parse_angle(value: Any, option: str, hours: bool, unit: Any = None) -> float:
    """An RA (``hours``) or Dec in degrees: a number, sexagesimal text, or a value in ``unit``.

    Raises
    ------
    ValidationError
        Not an angle, or not finite (the message names ``option`` and the value).
    """
    import astropy.units as u
    from astropy.coordinates import Angle

    text = str(value).strip()
    try:
        if unit is not None:
            degrees = float(u.Quantity(float(text), unit).to_value(u.deg))
        else:
            try:
                degrees = float(text)
            except ValueError:
                has_unit = any(c.isalpha() or c in "°'\"" for c in text)
                angle = Angle(text) if has_unit else Angle(text, u.hourangle if hours else u.deg)
                degrees = float(angle.deg)
    except Exception:
        raise ValidationError(
            f"{option} {text!r} is not an angle: give degrees or sexagesimal "
            f"({_ANGLE_EXAMPLES[hours]})"
        ) from None
    if not math.isfinite(degrees):
        raise ValidationError(f"{option} {text!r} is not a finite angle")
    return degrees


def checked_options(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` of the options ``--ra``, ``--dec``, ``--radius`` (degrees, arcsec; None when
    not given), each within the range of a region, as the database checks it.

    Raises
    ------
    ValidationError
        A value out of its range (the message names its option and the rule).
    """
    probe = {"ra": 0.0, "dec": 0.0, "radius": 0.0}
    for name, value in values.items():
        if value is None:
            continue
        try:
            validate_region_values(Table({k: [v] for k, v in {**probe, name: value}.items()}))
        except ValidationError as exc:
            raise ValidationError(f"--{name} {value!r}: {exc}") from None
    return values


def _cells(column: Any) -> list[Any]:
    """The values of a column, None for masked (empty) cells."""
    mask = np.ma.getmaskarray(column)
    data = np.asarray(column)
    return [None if missing else data[i] for i, missing in enumerate(mask)]


def _unit(column: Any, where: str) -> Any:
    """The angular unit of a file column (None without one)."""
    import astropy.units as u

    unit = getattr(column, "unit", None)
    if unit is None:
        return None
    if isinstance(unit, u.UnrecognizedUnit) or not unit.is_equivalent(u.deg):
        raise ValidationError(f"{where}: unit {str(unit)!r} is not an angle")
    return unit


def _radius(value: Any, unit: Any, where: str) -> float:
    """A radius cell in arcsec: a number (arcsec, or in the column's ``unit``) or text with a
    unit."""
    if unit is not None:
        try:
            value = float(value) * unit
        except (TypeError, ValueError):
            raise ValidationError(f"{where}: radius {value!r} is not a number") from None
    return radius_to_arcsec(value, where)


def file_regions(path: Path, files: InputFiles, *, new: bool) -> Table:
    """The regions of a table file, with RA/Dec in degrees and radii in arcsec.

    Parameters
    ----------
    path : pathlib.Path
        The file (``--file``).
    files : InputFiles
        Reads it (the input-files port).
    new : bool
        Regions to add: missing columns and empty cells take :func:`region_defaults`
        (as ``regions add`` does). Otherwise (an update) other columns are kept as they are.

    Raises
    ------
    ValidationError
        The file cannot be read, or a value is not what its column holds (the message names
        the file, the column, the row and the value).
    """
    table = files.read_table(path, "--file")
    columns: dict[str, Any] = {name: table[name] for name in table.colnames}
    defaults = region_defaults() if new else {}
    out: dict[str, list[Any]] = {}
    for name, column in columns.items():
        where = f"--file {str(path)!r}: column {name}"
        cells = _cells(column)
        if name in ("ra", "dec"):
            unit = _unit(column, where)
            out[name] = [
                None if v is None else parse_angle(v, f"{where} row {i}", name == "ra", unit)
                for i, v in enumerate(cells)
            ]
        elif name == "radius":
            unit = _unit(column, where)
            out[name] = [
                None if v is None else _radius(v, unit, f"{where} row {i}")
                for i, v in enumerate(cells)
            ]
        else:
            out[name] = cells
    for name, value in defaults.items():
        out[name] = [value if v is None else v for v in out.get(name, [None] * len(table))]
    missing = [name for name, values in out.items() if any(v is None for v in values)]
    if missing:
        raise ValidationError(f"--file {str(path)!r}: empty cells in the columns {missing}")
    return Table({name: values for name, values in out.items()} if len(table) else table)
