"""Tables of cross-matches: their columns, row keys and the join of stored cross-matches.

Rows are identified by a composite ``int64`` key (``obsid << 32 | id``) and looked up with
:func:`numpy.searchsorted`, so joins cost a sort (skipped when the keys are already sorted)
and a binary search per row, with no Python loop per row.

Units: ``ra``/``dec`` in degrees; angles and offsets in arcsec.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

import numpy as np
from astropy.table import Column, Table
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.schema import TABLES, set_formats

__all__ = [
    "CROSS_MATCH_COLUMNS",
    "JOINED_COLUMNS",
    "build_table",
    "column_values",
    "composite_key",
    "join_cross_matches",
    "lookup",
    "require_columns",
]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# (output column, source table, source column), in the order of Store.read_cross_matches.
_XCORR_PART: Final = [
    ("select_name", "astromon_xcorr", "select_name"),
    ("obsid", "astromon_xcorr", "obsid"),
    ("c_id", "astromon_xcorr", "c_id"),
    ("x_id", "astromon_xcorr", "x_id"),
    ("dy", "astromon_xcorr", "dy"),
    ("dz", "astromon_xcorr", "dz"),
    ("dr", "astromon_xcorr", "dr"),
]
_OBS_PART: Final = [(c, "astromon_obs", c) for c in TABLES["astromon_obs"].names if c != "obsid"]
_CAT_PART: Final = [
    ("catalog", "astromon_cat_src", "catalog"),
    ("name", "astromon_cat_src", "name"),
    ("c_ra", "astromon_cat_src", "ra"),
    ("c_dec", "astromon_cat_src", "dec"),
    ("separation", "astromon_cat_src", "separation"),
    ("mag", "astromon_cat_src", "mag"),
    ("c_y_angle", "astromon_cat_src", "y_angle"),
    ("c_z_angle", "astromon_cat_src", "z_angle"),
]
_XRAY_PART: Final = [
    ("x_ra", "astromon_xray_src", "ra"),
    ("x_dec", "astromon_xray_src", "dec"),
    ("net_counts", "astromon_xray_src", "net_counts"),
    ("x_y_angle", "astromon_xray_src", "y_angle"),
    ("x_z_angle", "astromon_xray_src", "z_angle"),
    *[
        (c, "astromon_xray_src", c)
        for c in (
            "r_angle",
            "snr",
            "near_neighbor_dist",
            "pileup",
            "acis_streak",
            "caldb_version",
        )
    ],
]

JOINED_COLUMNS: Final = [*_XCORR_PART, *_OBS_PART, *_CAT_PART, *_XRAY_PART]

CROSS_MATCH_COLUMNS: Final[list[str]] = [out for out, _, _ in JOINED_COLUMNS]
"""Columns of a joined cross-match table, in order (see ``Store.read_cross_matches``)."""


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
    return values if dtype is None else _conform(values, name, dtype)


def _conform(values: NDArray[Any], name: str, dtype: np.dtype[Any]) -> NDArray[Any]:
    if values.dtype.kind == "S":
        values = np.char.decode(values, "utf-8")
    if dtype.kind == "U":
        return values if values.dtype.kind == "U" else values.astype(str)
    if values.dtype != dtype:
        if values.dtype.kind in "SUO":
            raise SchemaError(f"column {name!r} must be numeric, got {values.dtype}")
        values = values.astype(dtype)
    return values


def composite_key(obsid: ArrayLike, ident: ArrayLike) -> IntArray:
    """One ``int64`` per (obsid, id) pair: ``obsid << 32 | (id mod 2**32)``.

    Distinct pairs of 32-bit integers give distinct keys.
    """
    key: IntArray = np.array(obsid, dtype=np.int64, copy=True, ndmin=1)
    key <<= np.int64(32)
    low = np.asarray(ident)
    if low.dtype == np.int32:
        key |= low.view(np.uint32)
    else:
        key |= np.asarray(low, dtype=np.int64) & np.int64(0xFFFFFFFF)
    return key


def lookup(
    table_keys: IntArray, query_keys: IntArray, what: str = "table"
) -> tuple[IntArray, BoolArray]:
    """Row of ``table_keys`` holding each query key.

    Parameters
    ----------
    table_keys : ndarray of int64
        Unique keys of a table's rows.
    query_keys : ndarray of int64
        Keys to look up.
    what : str
        Name of the table, for messages.

    Returns
    -------
    rows : ndarray of int64
        Row index into ``table_keys`` (meaningless where not found).
    found : ndarray of bool
        True where the key is present.

    Raises
    ------
    ValidationError
        ``table_keys`` holds a key twice.
    """
    n = len(table_keys)
    if n == 0:
        return np.zeros(len(query_keys), np.int64), np.zeros(len(query_keys), np.bool_)
    order: IntArray | None = None  # None: the keys are already sorted
    sorted_keys = table_keys
    if n > 1 and not bool(np.all(table_keys[1:] > table_keys[:-1])):
        order = np.argsort(table_keys, kind="stable").astype(np.int64)
        sorted_keys = table_keys[order]
        repeated = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
        if len(repeated):
            key = int(sorted_keys[repeated[0]])
            ident = np.array([key & 0xFFFFFFFF], dtype=np.uint32).view(np.int32)[0]
            raise ValidationError(
                f"{what} has more than one row with key (obsid {key >> 32}, id {ident})"
                if what != "astromon_obs"
                else f"{what} has more than one row with obsid {key >> 32}"
            )
    pos = np.searchsorted(sorted_keys, query_keys)
    np.minimum(pos, n - 1, out=pos)
    found: BoolArray = sorted_keys[pos] == query_keys
    rows: IntArray = pos if order is None else order[pos]
    return rows, found


_T = TypeVar("_T")
_R = TypeVar("_R")

PARALLEL_MIN_ROWS: Final = 20_000
"""Below this many rows per task, array work runs in the calling thread."""


def parallel_map(func: Callable[[_T], _R], items: Sequence[_T], rows: int) -> list[_R]:
    """``[func(item) for item in items]``, on up to ``os.cpu_count()`` threads when large.

    For numpy work that releases the GIL and is bound by memory latency (gathers of scattered
    rows, scans of string columns): threads overlap the waits. Results keep the input order
    and are the same as the sequential ones. ``rows`` (the work per item) decides: below
    :data:`PARALLEL_MIN_ROWS` there is no thread at all.
    """
    workers = min(len(items), os.cpu_count() or 1, 4)
    if workers < 2 or rows < PARALLEL_MIN_ROWS:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))


def build_table(
    parts: Sequence[tuple[str, str, str]],
    sources: Mapping[str, tuple[Table, IntArray]],
    extra: Mapping[str, NDArray[Any]],
) -> Table:
    """A table with the columns ``parts`` (output name, source table, source column).

    Values come from ``extra`` when given there, else from ``sources[table]`` = (table, rows):
    the rows are gathered first, then converted to the schema type.
    """

    def gather(part: tuple[str, str, str]) -> NDArray[Any]:
        out, src, col = part
        if out in extra:
            values = extra[out]
        else:
            table, rows = sources[src]
            values = np.take(column_values(table, col), rows)
        return _conform(values, out, _dtype(src, col))

    n_rows = max((len(rows) for _, rows in sources.values()), default=0)
    gathered = parallel_map(gather, list(parts), n_rows)
    columns = [
        Column(values, name=out, copy=False)
        for (out, _, _), values in zip(parts, gathered, strict=True)
    ]
    return set_formats(Table(columns, copy=False))


def join_cross_matches(
    xcorr: Table, obs: Table, cat_src: Table, xray_src: Table, select_name: str
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
    return build_table(JOINED_COLUMNS, sources, {})
