"""Tables of cross-matches: column access, the gather of joined rows, the stored-match join.

Rows are found through composite keys (:mod:`astromon.domain.crossmatch.keys`). Work over
columns goes through a :class:`Mapper` (``[func(item) for item in items]`` by default): the
domain stays single-threaded and a service may hand in a threaded mapper for large inputs.

Units: ``ra``/``dec`` in degrees; angles and offsets in arcsec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from astropy.table import Column, Table
from numpy.typing import NDArray

from astromon.domain.column_conversion import not_whole, outside_integers
from astromon.domain.crossmatch.columns import JOINED_COLUMNS
from astromon.domain.crossmatch.keys import composite_key, lookup
from astromon.domain.errors import SchemaError
from astromon.domain.schema import TABLES, set_formats

__all__ = [
    "Mapper",
    "build_table",
    "column_values",
    "conform",
    "join_cross_matches",
    "require_columns",
    "sequential_map",
]

IntArray = NDArray[np.int64]

_T = TypeVar("_T")
_R = TypeVar("_R")


class Mapper(Protocol):
    """``mapper(func, items, rows) -> [func(item) for item in items]``, in input order.

    ``rows`` is the work per item (number of rows), so that an implementation can choose
    between running in the calling thread and spreading the items over threads.
    """

    def __call__(self, func: Callable[[_T], _R], items: Sequence[_T], rows: int) -> list[_R]: ...


def sequential_map(func: Callable[[_T], _R], items: Sequence[_T], rows: int) -> list[_R]:
    """``[func(item) for item in items]`` in the calling thread (``rows`` is not used)."""
    return [func(item) for item in items]


def _dtype(table: str, column: str) -> np.dtype[Any]:
    return TABLES[table].column(column).dtype


def require_columns(table: Table, columns: Sequence[str], what: str) -> None:
    """Raise SchemaError naming the ``columns`` that ``table`` (called ``what``) lacks."""
    missing = [c for c in columns if c not in table.colnames]
    if missing:
        raise SchemaError(f"{what} lacks the column(s) {missing}; it has {table.colnames}")


def column_values(table: Table, name: str, dtype: np.dtype[Any] | None = None) -> NDArray[Any]:
    """A column as a plain ndarray (no copy when possible), converted to ``dtype`` if given.

    Masked float values become NaN; byte strings are decoded (UTF-8).

    Raises
    ------
    SchemaError
        Masked values in a non-float column, or strings where numbers are expected.
    """
    col = table[name]
    if np.ma.isMaskedArray(col):
        if np.ma.getmaskarray(col).any():
            if col.dtype.kind != "f":
                raise SchemaError(f"column {name!r} has missing (masked) values")
            values: NDArray[Any] = np.ma.filled(np.ma.asarray(col, dtype=float), np.nan)
        else:
            values = np.ma.getdata(col)
    else:
        values = np.asarray(col)
    return values if dtype is None else conform(values, name, dtype)


def conform(values: NDArray[Any], name: str, dtype: np.dtype[Any]) -> NDArray[Any]:
    """``values`` as ``dtype``: text decoded, numbers converted only when no value changes
    meaning (an integer column takes whole numbers within its range; a float column rounds,
    and a value beyond its range is infinite).

    Raises
    ------
    SchemaError
        Text where numbers are expected, or a value an integer column cannot hold (NaN,
        infinite, fractional, out of range), named with its row.
    """
    if values.dtype.kind == "S":
        values = np.char.decode(values, "utf-8")
    if dtype.kind == "U":
        return values if values.dtype.kind == "U" else values.astype(str)
    if values.dtype == dtype:
        return values
    if values.dtype.kind in "SUO":
        raise SchemaError(f"column {name!r} must be numeric, got {values.dtype}")
    if dtype.kind in "iu":
        _check_integers(values, name, dtype)
    with np.errstate(over="ignore"):  # float64 -> float32: beyond its range is infinite
        return values.astype(dtype)


def _check_integers(values: NDArray[Any], name: str, dtype: np.dtype[Any]) -> None:
    if values.dtype.kind not in "biuf":  # complex, dates...: not an integer column's values
        raise SchemaError(f"column {name!r} must hold integers ({dtype}), got {values.dtype}")
    bad = not_whole(values) | outside_integers(values, dtype)
    if bad.any():
        info = np.iinfo(dtype)
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"column {name!r} must hold whole numbers within [{info.min}, {info.max}] "
            f"({dtype}), got {values[row].item()!r} in row {row}"
        )


def build_table(
    parts: Sequence[tuple[str, str, str]],
    sources: Mapping[str, tuple[Table, IntArray]],
    extra: Mapping[str, NDArray[Any]],
    mapper: Mapper = sequential_map,
) -> Table:
    """A table with the columns ``parts`` (output name, source table, source column).

    Values come from ``extra`` when given there, else from ``sources[table]`` = (table, rows):
    the rows are gathered first, then converted to the schema type. ``mapper`` runs the
    per-column gathers (in order by default; a service may pass a threaded one).
    """

    def gather(part: tuple[str, str, str]) -> NDArray[Any]:
        out, src, col = part
        if out in extra:
            values = extra[out]
        else:
            table, rows = sources[src]
            values = np.take(column_values(table, col), rows)
        return conform(values, out, _dtype(src, col))

    n_rows = max((len(rows) for _, rows in sources.values()), default=0)
    gathered = mapper(gather, list(parts), n_rows)
    columns = [
        Column(values, name=out, copy=False)
        for (out, _, _), values in zip(parts, gathered, strict=True)
    ]
    return set_formats(Table(columns, copy=False))


def join_cross_matches(
    xcorr: Table,
    obs: Table,
    cat_src: Table,
    xray_src: Table,
    select_name: str,
    mapper: Mapper = sequential_map,
) -> Table:
    """Rows of ``astromon_xcorr`` with ``select_name``, joined with their observation and sources.

    Inner joins: ``astromon_obs`` on obsid, ``astromon_cat_src`` on (obsid, c_id) and
    ``astromon_xray_src`` on (obsid, x_id). Columns (:data:`CROSS_MATCH_COLUMNS`, 38): the xcorr
    columns, the observation columns after obsid, then catalog, name, c_ra, c_dec, separation,
    mag, c_y_angle, c_z_angle, then x_ra, x_dec, net_counts, x_y_angle, x_z_angle, r_angle,
    snr, near_neighbor_dist, pileup, acis_streak, caldb_version. Rows sorted by obsid, x_id.

    Parameters
    ----------
    xcorr, obs, cat_src, xray_src : astropy.table.Table
        The ``astromon_xcorr``, ``astromon_obs``, ``astromon_cat_src`` and
        ``astromon_xray_src`` tables (angles in arcsec, ra/dec in degrees).
    select_name : str
        Name of the stored cross-match (e.g. ``'astromon_21'``).
    mapper : Mapper
        Runs the per-column gathers (see :func:`build_table`).

    Raises
    ------
    SchemaError
        A table lacks a column the join needs (named in the message).
    ValidationError
        A key is duplicated in obs, cat_src or xray_src.
    """
    for table, name in ((xcorr, "astromon_xcorr"), (obs, "astromon_obs")):
        require_columns(table, TABLES[name].names, name)
    for table, name in ((cat_src, "astromon_cat_src"), (xray_src, "astromon_xray_src")):
        needed = ["obsid", "id"] + [c for _, t, c in JOINED_COLUMNS if t == name]
        require_columns(table, needed, name)

    names = column_values(xcorr, "select_name", np.dtype(str))
    selected = np.flatnonzero(names == select_name)
    obsid = column_values(xcorr, "obsid", np.dtype(np.int64))[selected]
    c_id = column_values(xcorr, "c_id", np.dtype(np.int64))[selected]
    x_id = column_values(xcorr, "x_id", np.dtype(np.int64))[selected]

    obs_keys = composite_key(column_values(obs, "obsid"), 0)
    o_rows, o_ok = lookup(obs_keys, composite_key(obsid, 0), "astromon_obs")
    cat_keys = composite_key(column_values(cat_src, "obsid"), column_values(cat_src, "id"))
    c_rows, c_ok = lookup(cat_keys, composite_key(obsid, c_id), "astromon_cat_src")
    xray_keys = composite_key(column_values(xray_src, "obsid"), column_values(xray_src, "id"))
    x_rows, x_ok = lookup(xray_keys, composite_key(obsid, x_id), "astromon_xray_src")

    keep = np.flatnonzero(o_ok & c_ok & x_ok)
    keep = keep[np.lexsort((x_id[keep], obsid[keep]))]
    sources = {
        "astromon_xcorr": (xcorr, selected[keep]),
        "astromon_obs": (obs, o_rows[keep]),
        "astromon_cat_src": (cat_src, c_rows[keep]),
        "astromon_xray_src": (xray_src, x_rows[keep]),
    }
    return build_table(JOINED_COLUMNS, sources, {}, mapper)
