"""The composite row key of the astromon tables: one ``int64`` per (obsid, id) pair.

``key = obsid << 32 | (id + 2**31)``: distinct pairs of 32-bit integers give distinct keys,
and keys sort like the pairs (by obsid, then by id, negative ids included), so tables stored
in (obsid, id) order have sorted keys. Joins look keys up with :func:`numpy.searchsorted`:
a sort (skipped when the keys are already sorted) and a binary search per row, with no
Python loop per row.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError

__all__ = ["composite_key", "lookup", "split_key"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_OFFSET = np.int64(2**31)
_LOW = np.int64(0xFFFFFFFF)


def composite_key(obsid: ArrayLike, ident: ArrayLike) -> IntArray:
    """One ``int64`` per (obsid, id) pair: ``obsid << 32 | (id + 2**31)``.

    Parameters
    ----------
    obsid, ident : array-like of int (or scalars, broadcast)
        32-bit observation ids and row ids.
    """
    key: IntArray = np.array(obsid, dtype=np.int64, copy=True, ndmin=1)
    key <<= np.int64(32)
    key |= (np.asarray(ident, dtype=np.int64) + _OFFSET) & _LOW
    return key


def split_key(key: int) -> tuple[int, int]:
    """The (obsid, id) pair of one :func:`composite_key` value."""
    return int(key) >> 32, int((int(key) & 0xFFFFFFFF) - 2**31)


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
            obsid, ident = split_key(int(sorted_keys[repeated[0]]))
            raise ValidationError(
                f"{what} has more than one row with key (obsid {obsid}, id {ident})"
                if what != "astromon_obs"
                else f"{what} has more than one row with obsid {obsid}"
            )
    pos = np.searchsorted(sorted_keys, query_keys)
    np.minimum(pos, n - 1, out=pos)
    found: BoolArray = sorted_keys[pos] == query_keys
    rows: IntArray = pos if order is None else order[pos]
    return rows, found
