"""The legacy HDF5 file, read in place (read-only).

The legacy layout was written by PyTables: one compound dataset per table at the root of
the file, named like the astromon tables, with fixed-width byte strings. It is read with
h5py and decoded to unicode; every write raises
:class:`~astromon.domain.errors.ReadOnlyDatabaseError` suggesting the import into DuckDB.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from astropy.table import Column, Table

from astromon.domain.crossmatch import join_cross_matches
from astromon.domain.errors import DatabaseError, MissingTableException, ReadOnlyDatabaseError
from astromon.domain.schema import TABLE_NAMES, get_spec, set_formats, to_schema
from astromon.ports.store import RegionChange, TableWrite
from astromon_adapters.storage.file_rules import HDF5_SIGNATURE, check_input_path, is_hdf5_file

__all__ = ["HDF5_SIGNATURE", "HDF5Store", "is_hdf5_file"]


def _decode(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if values.dtype.kind != "S":
        return values
    try:
        return np.char.decode(values, "utf-8")
    except UnicodeDecodeError:
        return np.char.decode(values, "latin-1")


class HDF5Store:
    """A legacy astromon HDF5 file (read-only).

    Parameters
    ----------
    path : str or os.PathLike
        The HDF5 file.

    Raises
    ------
    DatabaseError
        The file does not exist, is not a regular file (a directory, a FIFO...: the input
        rule of :mod:`astromon_adapters.storage.file_rules`), or is not an HDF5 file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = check_input_path(Path(path).absolute(), "astromon database file")
        if not is_hdf5_file(self._path):
            raise DatabaseError(f"{self._path} is not an HDF5 file")

    def __repr__(self) -> str:
        return f"HDF5Store({str(self._path)!r})"

    @property
    def location(self) -> str:
        return str(self._path)

    @property
    def writable(self) -> bool:
        return False

    @property
    def path(self) -> Path:
        """The HDF5 file."""
        return self._path

    def _open(self) -> h5py.File:
        try:
            return h5py.File(self._path, "r")
        except OSError as exc:
            raise DatabaseError(f"cannot read HDF5 file {self._path}: {exc}") from None

    def table_names(self) -> list[str]:
        with self._open() as h5:
            return [
                name for name in TABLE_NAMES if name in h5 and isinstance(h5[name], h5py.Dataset)
            ]

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        """Each table in turn: a legacy file is never written, so that is one moment."""
        return {name: self.read_table(name) for name in names}

    def read_table(self, name: str) -> Table:
        spec = get_spec(name)
        with self._open() as h5:
            node = h5.get(name)
            if not isinstance(node, h5py.Dataset):
                available = [n for n in TABLE_NAMES if isinstance(h5.get(n), h5py.Dataset)]
                raise MissingTableException(
                    f"table {name!r} is not in {self._path}; "
                    f"available tables: {', '.join(available) or 'none'}"
                )
            try:
                data = node[()]
            except (OSError, TypeError, ValueError) as exc:
                raise DatabaseError(f"cannot read {name} from {self._path}: {exc}") from None
        fields = data.dtype.names or ()
        missing = [c for c in spec.names if c not in fields]
        if missing:
            raise DatabaseError(
                f"{self._path}: dataset {name} lacks the columns {missing} "
                f"(it has {list(fields)}): not an astromon table"
            )
        columns = [Column(_decode(np.asarray(data[c])), name=c) for c in spec.names]
        table = to_schema(name, Table(columns, copy=False))
        set_formats(table)
        if "obsid" in table.colnames:
            table.add_index("obsid")
        return table

    def read_cross_matches(self, select_name: str) -> Table:
        matches = join_cross_matches(
            self.read_table("astromon_xcorr"),
            self.read_table("astromon_obs"),
            self.read_table("astromon_cat_src"),
            self.read_table("astromon_xray_src"),
            select_name,
        )
        matches.add_index("obsid")
        return matches

    def _read_only(self) -> ReadOnlyDatabaseError:
        return ReadOnlyDatabaseError(
            f"{self._path} is a legacy HDF5 file and is read-only; import it into a DuckDB "
            "file first (`astromon db import-legacy` or astromon.db.import_legacy) and use "
            "that file"
        )

    def save_many(self, writes: Sequence[TableWrite]) -> None:
        raise self._read_only()

    def modify_regions(self, change: RegionChange) -> Table:
        raise self._read_only()
