"""Legacy names of :mod:`astromon.db`: the numpy row types of the tables and ``connect``.

The row types of the tables of the legacy HDF5 file
(:data:`astromon.domain.schema.LEGACY_TABLE_NAMES`) are derived from
:data:`astromon.domain.schema.TABLES`: the schema's numeric
types and, for text, the fixed-width byte strings (``S{n}``) of the legacy HDF5 file.
Tables returned by ``db.get_table`` hold unicode strings instead, as they always did.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from astromon.domain.errors import ValidationError
from astromon.domain.schema import LEGACY_TABLE_NAMES, TABLES
from astromon.ports.store import Store

__all__ = [
    "ASTROMON_CAT_SRC_DTYPE",
    "ASTROMON_META_DTYPE",
    "ASTROMON_OBS_DTYPE",
    "ASTROMON_REGION_DTYPE",
    "ASTROMON_XCORR_DTYPE",
    "ASTROMON_XRAY_SRC_DTYPE",
    "DTYPES",
    "WRITE_MODES",
    "connect",
]

DTYPES: Final[MappingProxyType[str, np.dtype[Any]]] = MappingProxyType(
    {name: TABLES[name].legacy_dtype for name in LEGACY_TABLE_NAMES}
)
"""Table name → structured numpy type of its rows (text as ``S{n}`` byte strings)."""

ASTROMON_XCORR_DTYPE: Final = DTYPES["astromon_xcorr"]
"""Row type of ``astromon_xcorr`` (``DTYPES["astromon_xcorr"]``)."""
ASTROMON_XRAY_SRC_DTYPE: Final = DTYPES["astromon_xray_src"]
"""Row type of ``astromon_xray_src`` (``DTYPES["astromon_xray_src"]``)."""
ASTROMON_CAT_SRC_DTYPE: Final = DTYPES["astromon_cat_src"]
"""Row type of ``astromon_cat_src`` (``DTYPES["astromon_cat_src"]``)."""
ASTROMON_OBS_DTYPE: Final = DTYPES["astromon_obs"]
"""Row type of ``astromon_obs`` (``DTYPES["astromon_obs"]``)."""
ASTROMON_REGION_DTYPE: Final = DTYPES["astromon_regions"]
"""Row type of ``astromon_regions`` (``DTYPES["astromon_regions"]``)."""
ASTROMON_META_DTYPE: Final = DTYPES["astromon_meta"]
"""Row type of ``astromon_meta`` (``DTYPES["astromon_meta"]``)."""

READ_MODES: Final = ("r",)
WRITE_MODES: Final = ("w", "a", "r+")
"""Modes of :func:`connect` that open the database for writing."""


@contextlib.contextmanager
def connect(
    dbfile: str | os.PathLike[str] | Store | None = None, mode: str = "r"
) -> Iterator[Store]:
    """Open the database for a block of code; yields the store (not an HDF5 file handle).

    The store is what ``db.get_table``, ``db.save`` and the other ``db`` functions take as
    ``dbfile``, so code written as ``with db.connect(f, mode="r+") as con: db.save(t, d, con)``
    keeps working. Each call on it is its own transaction; nothing stays open between calls.

    Parameters
    ----------
    dbfile : str, os.PathLike or Store, optional
        DuckDB file (or legacy HDF5 file, read-only); default ``$ASTROMON_FILE``, else
        ``$SKA/data/astromon/astromon.duckdb``, else the per-user file. A store is yielded
        as it is.
    mode : str
        ``'r'`` to read (the file must exist); ``'w'``, ``'a'`` or ``'r+'`` to read and write
        (a missing DuckDB file is created by the first write). HDF5 files are read-only
        whatever the mode: writes raise ReadOnlyDatabaseError.

    Raises
    ------
    ValidationError
        ``mode`` is none of the above.
    DatabaseError
        Reading a file that does not exist, or a path that is a directory.
    """
    if not isinstance(mode, str) or mode not in READ_MODES + WRITE_MODES:
        raise ValidationError(
            f"connect mode must be one of {', '.join(READ_MODES + WRITE_MODES)}, got {mode!r}"
        )
    if isinstance(dbfile, Store):
        yield dbfile
        return
    from astromon.bootstrap import current

    store = current().store(dbfile, write=mode in WRITE_MODES)
    try:
        yield store
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()
