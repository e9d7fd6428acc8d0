"""The valid values of every column of the astromon tables, checked column by column (numpy).

Rules (units as stored: degrees for ``ra``/``dec``/``roll``, arcsec for focal-plane angles,
offsets, separations and region radii, mm for ``sim_z``, CXC seconds for ``tstart``):

* every text value is at most :data:`MAX_TEXT_LENGTH` (4096) characters and holds no NUL
  character;
* ``obsid`` is >= 1 (region ``obsid`` <= 0 means every observation);
  source and counterpart ids and ``region_id`` are >= 0;
* ``ra`` in [0, 360), ``dec`` in [-90, 90], ``roll`` in [0, 360), all finite;
* ``date_obs`` is ``YYYY-MM-DDThh:mm:ss`` (optionally with decimals) and a real calendar time;
  ``last_modified`` a Chandra date ``YYYY:DDD[:hh[:mm[:ss[.sss]]]]`` with a real day of year;
* ``tstart`` finite in [0, 3.2e9] s (1998 to about 2099); ``sim_z`` finite within 500 mm;
  ``version`` finite;
* ``detector`` one of :data:`DETECTORS`, ``grating`` one of :data:`GRATINGS`, ``category_id``
  one of :data:`~astromon.domain.schema.CATEGORIES`;
* focal-plane angles (``y_angle``, ``z_angle``, ``r_angle``) and offsets (``dy``, ``dz``) finite;
  ``dr``, ``separation`` finite and >= 0; region ``radius`` in [0, 648000] arcsec;
* ``region_id_str`` is 10 lower-case hexadecimal characters;
* ``astromon_meta.last_region_id`` >= 0;
* ``astromon_alignment``: ``n_pairs`` >= 1, ``n_rejected`` >= 0; ``dy``, ``dz`` finite;
  their errors, ``rms_before``, ``rms_after`` and ``shift_chi2`` finite and >= 0; ``roll``
  finite or NaN (no roll fitted), ``roll_err`` and ``chi2_dof`` NaN or finite and >= 0; the
  options as the fit accepts them (``k_sigma`` > 0, ``residual_limit`` NaN (none) or > 0,
  ``flag_threshold`` and ``min_spread`` >= 0, ``flag_sigma`` > 0,
  ``min_pairs_roll`` >= 2, ``max_iterations`` >= 0); ``pairs_digest`` 16 lower-case
  hexadecimal characters.

Float columns not named here (``net_counts``, ``snr``, ``mag`` ...) may hold NaN (no value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from astromon.domain.column_conversion import NUL_RULE, has_nul
from astromon.domain.errors import ValidationError
from astromon.domain.observation_rules import MAX_OBSID, obsid_in_range
from astromon.domain.schema import CATEGORIES, get_spec, validate_text

__all__ = [
    "DETECTORS",
    "GRATINGS",
    "MAX_TEXT_LENGTH",
    "InvalidValue",
    "check_values",
    "invalid_values",
]

MAX_TEXT_LENGTH: Final = 4096
"""The longest text value stored (characters)."""

DETECTORS: Final = ("ACIS-I", "ACIS-S", "HRC-I", "HRC-S")
"""Known values of ``astromon_obs.detector``."""

GRATINGS: Final = ("NONE", "HETG", "LETG")
"""Known values of ``astromon_obs.grating``."""

_MAX_TSTART: Final = 3.2e9
_MAX_SIM_Z: Final = 500.0
_MAX_RADIUS: Final = 648000.0
_DAYS: Final = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

Bad = NDArray[np.bool_]


@dataclass(frozen=True)
class InvalidValue:
    """One stored (or to-be-stored) value that breaks a rule."""

    table: str
    column: str
    row: int
    value: Any
    rule: str

    def __str__(self) -> str:
        value = self.value
        if isinstance(value, str) and len(value) > 60:
            value = f"{value[:40]}... ({len(self.value)} characters)"
        return f"{self.table}.{self.column}={value!r} in row {self.row} is invalid ({self.rule})"


def _float(values: Any) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def _range(lo: float, hi: float, *, open_hi: bool = False) -> Callable[[Any], Bad]:
    def bad(values: Any) -> Bad:
        v = _float(values)
        ok = (v >= lo) & ((v < hi) if open_hi else (v <= hi))
        return np.asarray(~ok)

    return bad


def _finite(values: Any) -> Bad:
    return np.asarray(~np.isfinite(_float(values)))


def _one_of(known: Any) -> Callable[[Any], Bad]:
    allowed = np.asarray(list(known))

    def bad(values: Any) -> Bad:
        return np.asarray(~np.isin(np.asarray(values), allowed))

    return bad


def _digits(codes: NDArray[np.uint8], columns: slice) -> tuple[Bad, NDArray[np.int64]]:
    """Whether the character columns are all digits, and their value as a number."""
    part = codes[:, columns].astype(np.int64) - ord("0")
    ok = np.all((part >= 0) & (part <= 9), axis=1)
    weights = 10 ** np.arange(part.shape[1] - 1, -1, -1)
    return ok, np.where(ok[:, None], part, 0) @ weights


def _codes(values: Any, width: int) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Characters of each string as a (n, width) array of code points (0-padded), and lengths."""
    text = np.asarray(values, dtype=str)
    lengths = np.char.str_len(text).astype(np.int64)
    fixed = text.astype(f"<U{width}")
    points = fixed.view(np.uint32).reshape(len(text), width)
    return np.minimum(points, 255).astype(np.uint8), lengths


def _leap(year: NDArray[np.int64]) -> Bad:
    return np.asarray((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0)))


def _fraction_ok(codes: NDArray[np.uint8], lengths: NDArray[np.int64], start: int) -> Bad:
    """Nothing after ``start``, or a '.' followed by digits only."""
    n, width = codes.shape
    positions = np.arange(width)[None, :]
    tail = (positions > start) & (positions < lengths[:, None])
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    digits_ok = np.all(~tail | is_digit, axis=1)
    dot = codes[:, start] == ord(".") if width > start else np.zeros(n, dtype=bool)
    return np.asarray((lengths == start) | (dot & (lengths > start + 1) & digits_ok))


def _bad_date_obs(values: Any) -> Bad:
    """Not ``YYYY-MM-DDThh:mm:ss[.fff]`` or not a calendar time."""
    codes, lengths = _codes(values, 32)
    if not len(codes):
        return np.zeros(0, dtype=bool)
    ok = (lengths >= 19) & (lengths <= 32)
    for position, char in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")):
        ok &= codes[:, position] == ord(char)
    fields = []
    for columns in (slice(0, 4), slice(5, 7), slice(8, 10), slice(11, 13), slice(14, 16)):
        digits, number = _digits(codes, columns)
        ok &= digits
        fields.append(number)
    digits, second = _digits(codes, slice(17, 19))
    ok &= digits & _fraction_ok(codes, lengths, 19)
    year, month, day, hour, minute = fields
    month_ok = (month >= 1) & (month <= 12)
    days = np.where(month_ok, _DAYS[np.clip(month - 1, 0, 11)], 0) + ((month == 2) & _leap(year))
    ok &= (year >= 1990) & month_ok & (day >= 1) & (day <= days)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 60)
    return np.asarray(~ok)


def _bad_chandra_date(values: Any) -> Bad:
    """Not ``YYYY:DDD[:hh[:mm[:ss[.sss]]]]`` with a real day of the year."""
    codes, lengths = _codes(values, 32)
    if not len(codes):
        return np.zeros(0, dtype=bool)
    digits, year = _digits(codes, slice(0, 4))
    ok = digits & (codes[:, 4] == ord(":"))
    digits, doy = _digits(codes, slice(5, 8))
    ok &= digits & (year >= 1990) & (doy >= 1) & (doy <= 365 + _leap(year))
    ends = lengths == 8
    for start, limit in ((8, 23), (11, 59)):
        digits, number = _digits(codes, slice(start + 1, start + 3))
        sep = codes[:, start] == ord(":")
        ok &= ends | (sep & digits & (number <= limit) & (lengths >= start + 3))
        ends |= lengths == start + 3
    digits, second = _digits(codes, slice(15, 17))
    seconds_ok = (codes[:, 14] == ord(":")) & digits & (second <= 60)
    ok &= ends | (seconds_ok & _fraction_ok(codes, lengths, 17))
    return np.asarray(~ok)


def _hexadecimal(width: int) -> Callable[[Any], Bad]:
    """Not ``width`` characters of ``0-9a-f``."""

    def bad(values: Any) -> Bad:
        codes, lengths = _codes(values, width)
        if not len(codes):
            return np.zeros(0, dtype=bool)
        digit = (codes >= ord("0")) & (codes <= ord("9"))
        letter = (codes >= ord("a")) & (codes <= ord("f"))
        return np.asarray(~((lengths == width) & np.all(digit | letter, axis=1)))

    return bad


def _nan_or(check: Callable[[Any], Bad]) -> Callable[[Any], Bad]:
    """``check``, with NaN (no value) allowed."""

    def bad(values: Any) -> Bad:
        return np.asarray(check(values) & ~np.isnan(_float(values)))

    return bad


def _obsid(allow_all: bool) -> Callable[[Any], Bad]:
    def bad(values: Any) -> Bad:
        v = np.asarray(values, dtype=np.int64)
        ok = v <= MAX_OBSID if allow_all else obsid_in_range(v)
        return np.asarray(~ok)

    return bad


def _non_negative_int(values: Any) -> Bad:
    return np.asarray(np.asarray(values, dtype=np.int64) < 0)


_OBSID_RULE: Final = "an observation id, must be >= 1"
_RA = (_range(0, 360, open_hi=True), "degrees, must be finite and in [0, 360)")
_DEC = (_range(-90, 90), "degrees, must be finite and in [-90, 90]")
_ANGLE = (_finite, "arcsec, must be finite")
_DISTANCE = (_range(0, np.finfo(np.float64).max), "arcsec, must be finite and >= 0")
_ID = (_non_negative_int, "must be >= 0")
_OBSID = (_obsid(False), _OBSID_RULE)
_NON_NEGATIVE = (_range(0, np.finfo(np.float64).max), "must be finite and >= 0")
_NAN_OR_NON_NEGATIVE = (_nan_or(_NON_NEGATIVE[0]), "must be NaN or finite and >= 0")
_POSITIVE = (_range(np.finfo(np.float64).tiny, np.finfo(np.float64).max), "must be > 0")
_ARCSEC_NAN_OR_NON_NEGATIVE = (_NAN_OR_NON_NEGATIVE[0], "arcsec, must be NaN or finite and >= 0")

_RULES: Final[dict[str, dict[str, tuple[Callable[[Any], Bad], str]]]] = {
    "astromon_obs": {
        "obsid": _OBSID,
        "version": (_finite, "must be finite"),
        "detector": (_one_of(DETECTORS), f"must be one of {', '.join(DETECTORS)}"),
        "grating": (_one_of(GRATINGS), f"must be one of {', '.join(GRATINGS)}"),
        "sim_z": (_range(-_MAX_SIM_Z, _MAX_SIM_Z), f"mm, must be finite within {_MAX_SIM_Z:g}"),
        "date_obs": (_bad_date_obs, "must be a date YYYY-MM-DDThh:mm:ss"),
        "tstart": (_range(0, _MAX_TSTART), f"CXC seconds, must be finite in [0, {_MAX_TSTART:g}]"),
        "ra": _RA,
        "dec": _DEC,
        "roll": (_range(0, 360, open_hi=True), "degrees, must be finite and in [0, 360)"),
        "category_id": (
            _one_of(CATEGORIES),
            f"must be a known category id ({', '.join(str(c) for c in CATEGORIES)})",
        ),
    },
    "astromon_xray_src": {
        "obsid": _OBSID,
        "id": _ID,
        "ra": _RA,
        "dec": _DEC,
        "y_angle": _ANGLE,
        "z_angle": _ANGLE,
        "r_angle": _DISTANCE,
    },
    "astromon_cat_src": {
        "obsid": _OBSID,
        "id": _ID,
        "x_id": _ID,
        "ra": _RA,
        "dec": _DEC,
        "separation": _DISTANCE,
        "y_angle": _ANGLE,
        "z_angle": _ANGLE,
    },
    "astromon_xcorr": {
        "obsid": _OBSID,
        "c_id": _ID,
        "x_id": _ID,
        "dy": _ANGLE,
        "dz": _ANGLE,
        "dr": _DISTANCE,
    },
    "astromon_regions": {
        "region_id": _ID,
        "region_id_str": (_hexadecimal(10), "must be 10 hexadecimal characters 0-9a-f"),
        "last_modified": (_bad_chandra_date, "must be a Chandra date YYYY:DDD:hh:mm:ss.sss"),
        "ra": _RA,
        "dec": _DEC,
        "radius": (_range(0, _MAX_RADIUS), f"arcsec, must be in [0, {_MAX_RADIUS:g}]"),
        "obsid": (_obsid(True), "an observation id, or <= 0 for every observation"),
    },
    "astromon_meta": {"last_region_id": _ID},
    "astromon_alignment": {
        "obsid": _OBSID,
        "n_pairs": (_range(1, MAX_OBSID), "must be >= 1"),
        "n_rejected": _ID,
        "dy": _ANGLE,
        "dz": _ANGLE,
        "roll": (_nan_or(_finite), "arcsec, must be finite or NaN (no roll)"),
        "dy_err": _DISTANCE,
        "dz_err": _DISTANCE,
        "roll_err": _ARCSEC_NAN_OR_NON_NEGATIVE,
        "chi2_dof": _NAN_OR_NON_NEGATIVE,
        "rms_before": _DISTANCE,
        "rms_after": _DISTANCE,
        "shift_chi2": _NON_NEGATIVE,
        "k_sigma": _POSITIVE,
        "residual_limit": (
            _nan_or(_POSITIVE[0]),
            "arcsec, must be NaN (no limit) or > 0",
        ),
        "flag_threshold": _DISTANCE,
        "flag_sigma": _POSITIVE,
        "min_pairs_roll": (_range(2, MAX_OBSID), "must be >= 2"),
        "min_spread": _DISTANCE,
        "max_iterations": _ID,
        "pairs_digest": (_hexadecimal(16), "must be 16 hexadecimal characters 0-9a-f"),
    },
}


def _text_too_long(values: Any) -> Bad:
    return np.asarray(np.char.str_len(np.asarray(values, dtype=str)) > MAX_TEXT_LENGTH)


def invalid_values(name: str, table: Any, limit: int | None = None) -> list[InvalidValue]:
    """Every value of ``table`` (in the schema of ``name``) that breaks a rule of its column.

    Parameters
    ----------
    name : str
        The astromon table.
    table : astropy.table.Table
        Rows already in the schema (:func:`astromon.domain.schema.to_schema`).
    limit : int, optional
        Stop after this many values (the first ones, column by column).

    Returns
    -------
    list of InvalidValue
        In column order, then row order; empty when every value is valid.
    """
    found: list[InvalidValue] = []
    rules = _RULES.get(name, {})
    for column in table.colnames:
        values = np.asarray(table[column])
        if not len(values):
            continue
        checks: list[tuple[Bad, str]] = []
        if values.dtype.kind == "U" and values.dtype.itemsize // 4 > MAX_TEXT_LENGTH:
            checks.append((_text_too_long(values), f"longer than {MAX_TEXT_LENGTH} characters"))
        if values.dtype.kind == "U":
            checks.append((has_nul(values), NUL_RULE))
        if column in rules:
            check, rule = rules[column]
            checks.append((check(values), rule))
        for bad, rule in checks:
            for row in np.flatnonzero(bad):
                found.append(InvalidValue(name, column, int(row), values[row].item(), rule))
                if limit is not None and len(found) >= limit:
                    return found
    return found


def check_values(name: str, table: Any) -> None:
    """Check a table already in the schema of ``name`` before it is written.

    Text must be valid unicode; every value must follow its column's rule (see the module
    documentation); ``astromon_meta`` must have exactly one row; no primary key (and no
    ``region_id_str``) may appear twice.

    Raises
    ------
    ValidationError
        The first offending value, named with its table, column, row and value.
    """
    spec = get_spec(name)
    validate_text(name, table)
    bad_values = invalid_values(name, table, limit=1)
    if bad_values:
        raise ValidationError(str(bad_values[0]))
    if name == "astromon_meta" and len(table) != 1:
        raise ValidationError(f"astromon_meta must have exactly one row, got {len(table)}")
    keys = [spec.key] if spec.key else []
    if name == "astromon_regions":
        keys.append(("region_id_str",))
    for key in keys:
        if len(table) < 2:
            break
        arr = np.asarray(table[list(key)].as_array())
        order = np.argsort(arr, kind="stable")
        sorted_rows = arr[order]
        same = sorted_rows[1:] == sorted_rows[:-1]
        if same.any():
            row = int(order[int(np.flatnonzero(same)[0]) + 1])
            value = {col: table[col][row].item() for col in key}
            raise ValidationError(f"{name} has more than one row with {value} (row {row})")
