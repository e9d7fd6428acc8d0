"""Input values as the stored column types, converted only when nothing is lost.

:func:`astromon.domain.schema.to_schema` converts each column with :func:`convert_column`.
A value that cannot be stored exactly is refused (:class:`SchemaError`) with its table,
column, row and value, before anything is written:

* text columns take text (``str``, or ``bytes`` in UTF-8): ``None``, numbers and other
  objects are not text, and a NUL character cannot be stored (numpy text drops trailing
  NULs, so ``'a\\x00'`` would come back as ``'a'``); a missing (masked) text is refused;
* integer columns (i32) take integers in [-2**31, 2**31 - 1]: NaN, infinities, fractions
  and larger numbers are refused;
* boolean columns take booleans, and numbers or text that are exactly 0/1 or
  ``True``/``False`` (any case): any other value is refused;
* float32 columns refuse finite values beyond the float32 range (they would become
  infinite); float64 columns refuse integers beyond the float64 range; masked floats are NaN
  (no value);
* a column with an astropy unit is converted to the schema unit; a unit astropy does not
  know, or one that cannot be converted, is refused naming both units.

:func:`as_table` builds the input table so that text given in Python lists keeps every
character (trailing NULs included) until it is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from astropy import units as u
from astropy.table import Table

from astromon.domain.errors import SchemaError

__all__ = [
    "NUL_RULE", "as_table", "convert_column", "has_nul", "not_whole", "outside_integers",
]  # fmt: skip

NUL_RULE: Final = "text must not contain NUL characters"
"""Why text holding a NUL character is refused (it cannot be stored exactly)."""

_NUMPY_TYPES: Final = {"i32": np.int32, "f32": np.float32, "f64": np.float64, "bool": np.bool_}
_BOOLEAN_TEXT: Final = {"true": True, "false": False, "1": True, "0": False}
_FLOAT32_MAX: Final = float(np.finfo(np.float32).max)


def _refused(table: str, column: str, row: int, value: Any, why: str) -> SchemaError:
    if isinstance(value, np.generic):
        value = value.item()
    shown = repr(value)
    if len(shown) > 60:
        shown = f"{shown[:40]}... ({len(shown)} characters)"
    return SchemaError(f"{table}.{column}={shown} in row {row} cannot be stored ({why})")


def has_nul(values: Any) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """For each text of a numpy text array, whether it holds a NUL character inside.

    (Trailing NULs are already gone from numpy text; see :func:`as_table`.)
    """
    text = np.asarray(values, dtype=str)
    if text.size == 0 or text.dtype.itemsize == 0:
        return np.zeros(text.shape, dtype=bool)
    width = text.dtype.itemsize // 4
    codes = np.ascontiguousarray(text).view(np.uint32).reshape(len(text), width)
    lengths = np.char.str_len(text)
    inside = np.arange(width)[None, :] < lengths[:, None]
    return np.asarray(np.any((codes == 0) & inside, axis=1))


def _raw(values: Any) -> Any:
    """A list of scalars holding text or None as an object array (nothing stripped)."""
    if not isinstance(values, list | tuple) or not values:
        return values
    if not any(isinstance(v, str | bytes) or v is None for v in values):
        return values
    if any(isinstance(v, list | tuple | dict | np.ndarray) for v in values):
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def as_table(data: Any) -> Table:
    """``data`` as an astropy Table; text in Python lists stays as given (object columns).

    Raises
    ------
    TypeError, ValueError
        ``data`` is not something ``astropy.table.Table()`` accepts.
    """
    if isinstance(data, Table):
        return data
    if isinstance(data, Mapping):
        return Table({name: _raw(values) for name, values in data.items()})
    return Table(data)


def _text(table: str, column: str, arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if arr.dtype.kind == "U":
        bad = np.flatnonzero(has_nul(arr))
        if bad.size:
            row = int(bad[0])
            raise _refused(table, column, row, arr[row], NUL_RULE)
        return arr
    if arr.dtype.kind not in "SO":
        raise _refused(table, column, 0, arr[0], f"text expected, got {arr.dtype} values")
    out: list[str] = []
    for row, value in enumerate(arr.tolist()):
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise _refused(table, column, row, value, "bytes that are not UTF-8") from None
        if not isinstance(value, str):
            raise _refused(table, column, row, value, "not text")
        if "\x00" in value:
            raise _refused(table, column, row, value, NUL_RULE)
        out.append(value)
    return np.array(out, dtype=str) if out else np.zeros(0, dtype="U1")


def _numbers(table: str, column: str, arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """An object or text array of numbers as float64 (integers kept exact as int64)."""
    if arr.dtype.kind in "SU":
        raise _refused(table, column, 0, arr[0], "a number expected, got text")
    values = arr.tolist()
    for row, value in enumerate(values):
        if isinstance(value, str | bytes) or not isinstance(value, int | float | np.number):
            raise _refused(table, column, row, value, "a number expected")
    if all(isinstance(v, int | np.integer) for v in values):
        ints = [int(v) for v in values]
        if all(-(2**63) <= v < 2**63 for v in ints):
            return np.array(ints, dtype=np.int64)
    out = np.empty(len(values), dtype=np.float64)
    for row, value in enumerate(values):
        try:
            out[row] = float(value)
        except OverflowError:
            raise _refused(table, column, row, value, "beyond the float64 range") from None
    return out


def not_whole(values: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """For each number, whether it is not a whole number (NaN, infinite or fractional)."""
    if values.dtype.kind != "f":
        return np.zeros(values.shape, dtype=np.bool_)
    finite = np.isfinite(values)
    return np.asarray(~finite | (values != np.round(np.where(finite, values, 0))))


def outside_integers(
    values: np.ndarray[Any, Any], dtype: type[np.integer[Any]] | np.dtype[Any]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """For each number, whether it lies outside the range of the integer type ``dtype``.

    Floats are compared with the exact bounds ``-2**(b-1) <= v < 2**(b-1)`` (the upper bound
    of int64 as a float would be rounded up to 2**63 and let 2**63 through); NaN is not
    outside (see :func:`not_whole`).
    """
    info = np.iinfo(dtype)
    if values.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            return np.asarray((values < float(info.min)) | (values >= float(info.max) + 1))
    if values.dtype.kind == "b" or np.can_cast(values.dtype, dtype):
        return np.zeros(values.shape, dtype=np.bool_)
    return np.asarray((values < info.min) | (values > info.max))


def _integers(table: str, column: str, arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    bad = not_whole(arr)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise _refused(table, column, row, arr[row], "an integer expected")
    outside = outside_integers(arr, np.int32)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise _refused(table, column, row, arr[row], "outside the int32 range")
    return arr.astype(np.int32)


def _booleans(table: str, column: str, arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Booleans; 0/1 numbers and ``true``/``false``/``0``/``1`` text (any case) as booleans."""
    if arr.dtype.kind == "b":
        return arr.astype(np.bool_)
    out = np.empty(len(arr), dtype=np.bool_)
    for row, value in enumerate(arr.tolist()):
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if isinstance(value, str) and value.strip().lower() in _BOOLEAN_TEXT:
            out[row] = _BOOLEAN_TEXT[value.strip().lower()]
        elif isinstance(value, int | float) and value in (0, 1):
            out[row] = bool(value)
        else:
            raise _refused(table, column, row, value, "a boolean (True/False, 1/0) expected")
    return out


def _floats(table: str, column: str, kind: str, arr: np.ndarray[Any, Any]) -> Any:
    as64 = arr.astype(np.float64)
    if kind == "f32":
        overflow = np.isfinite(as64) & (np.abs(as64) > _FLOAT32_MAX)
        if overflow.any():
            row = int(np.flatnonzero(overflow)[0])
            raise _refused(table, column, row, arr[row], "beyond the float32 range ±3.4e38")
    return as64.astype(_NUMPY_TYPES[kind])


def _strip_unit(table: str, column: str, kind: str, target: u.UnitBase, values: Any) -> Any:
    """``values`` in the schema unit ``target`` of the column, as plain numbers."""
    unit = getattr(values, "unit", None)
    if unit is None:
        return values
    try:
        unit = u.Unit(unit)
        scale = 1.0 if kind == "str" or unit == target else float(unit.to(target))
    except (u.UnitsError, ValueError, TypeError):
        expected = f"unit {target}" if target != u.dimensionless_unscaled else "no unit"
        raise SchemaError(
            f"column {table}.{column} has unit {unit}, which cannot be converted "
            f"to the schema's {expected}"
        ) from None
    if isinstance(values, u.Quantity):
        data: Any = values.value
    elif np.ma.isMaskedArray(values):
        data = np.ma.MaskedArray(np.ma.getdata(values), mask=np.ma.getmaskarray(values))
    else:
        data = np.asarray(values)
    return data * scale if scale != 1.0 else data


def convert_column(
    table: str, column: str, kind: str, values: Any, unit: u.UnitBase
) -> np.ndarray[Any, Any]:
    """``values`` as the stored type ``kind`` ('i32', 'f32', 'f64', 'bool' or 'str'), exactly.

    Parameters
    ----------
    table, column : str
        Where the values go (named in errors).
    kind : str
        The column's stored type.
    values : array-like
        The input column (may carry an astropy unit, may be masked).
    unit : astropy.units.UnitBase
        The schema unit of the column (dimensionless when it has none).

    Raises
    ------
    SchemaError
        A value that cannot be stored exactly (see the module documentation), naming the
        table, column, row and value; a unit that cannot be converted.
    """
    values = _strip_unit(table, column, kind, unit, values)
    if np.ma.isMaskedArray(values) and np.ma.getmaskarray(values).any():
        if kind not in ("f32", "f64"):
            row = int(np.flatnonzero(np.ma.getmaskarray(values))[0])
            raise _refused(
                table, column, row, None, "a missing (masked) value; only float columns have NaN"
            )
        values = np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise SchemaError(f"column {table}.{column} must be one-dimensional")
    if arr.size == 0:
        return np.zeros(0, dtype="U1" if kind == "str" else _NUMPY_TYPES[kind])
    if kind == "str":
        return _text(table, column, arr)
    if kind == "bool":
        return _booleans(table, column, arr)
    if arr.dtype.kind in "OSU":
        arr = _numbers(table, column, arr)
    if arr.dtype.kind not in "iufb":
        raise _refused(table, column, 0, arr[0], f"a number expected, got {arr.dtype} values")
    if kind == "i32":
        return _integers(table, column, arr)
    return np.asarray(_floats(table, column, kind, arr))
