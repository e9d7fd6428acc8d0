"""Import and export of whole tables: legacy HDF5 files, ECSV directories, table files.

Part of the :mod:`astromon.db` façade (which re-exports these functions); ``dbfile`` follows
the same default-file rule.
"""

from __future__ import annotations

import os
from pathlib import Path

from astromon.bootstrap import current
from astromon.services import storage as _storage

__all__ = ["export_table", "import_ecsv", "import_legacy"]

DBFile = str | os.PathLike[str] | None


def import_legacy(
    h5file: str | os.PathLike[str], dbfile: DBFile = None, *, overwrite: bool = False
) -> list[str]:
    """Import a legacy HDF5 file (all six tables) into a DuckDB file, without loss.

    Parameters
    ----------
    h5file : str or os.PathLike
        The legacy file.
    dbfile : str or os.PathLike, optional
        The DuckDB file written (default: see the module documentation).
    overwrite : bool
        Replace tables that already hold rows in ``dbfile`` (otherwise an error).

    Returns
    -------
    list of str
        The imported tables.

    Raises
    ------
    DatabaseError
        ``h5file`` is not an HDF5 file, or ``dbfile`` already holds data.
    """
    source = current().legacy_store(h5file)
    return _storage.copy_tables(source, current().store(dbfile, write=True), overwrite=overwrite)


def import_ecsv(
    directory: str | os.PathLike[str], dbfile: DBFile = None, *, overwrite: bool = False
) -> list[str]:
    """Import a directory of ECSV tables (``astromon_obs.ecsv`` ...) into a DuckDB file.

    Parameters
    ----------
    directory : str or os.PathLike
        Directory holding ``<table name>.ecsv`` files.
    dbfile : str or os.PathLike, optional
        The DuckDB file written (default: see the module documentation).
    overwrite : bool
        Replace tables that already hold rows in ``dbfile`` (otherwise an error).

    Returns
    -------
    list of str
        The imported tables.
    """
    tables = current().read_table_directory(directory)
    return _storage.import_tables(tables, current().store(dbfile, write=True), overwrite=overwrite)


def export_table(
    table_name: str,
    path: str | os.PathLike[str],
    dbfile: DBFile = None,
    format: str | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Export a table to an ECSV, CSV, JSON, FITS or Parquet file, written atomically.

    The file is written under a temporary name in its directory and renamed into place: a
    failure leaves the old file (or none), never a truncated one.

    Parameters
    ----------
    table_name : str
        The table.
    path : str or os.PathLike
        Output file.
    dbfile : str or os.PathLike, optional
        DuckDB or legacy HDF5 file (default: see the module documentation).
    format : str, optional
        'ecsv', 'csv', 'json', 'fits' or 'parquet'; default from the suffix of ``path``.
    overwrite : bool
        Replace an existing output file (otherwise an existing file is refused).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    table = _storage.read_named_table(lambda: current().store(dbfile), table_name)
    return current().write_table_file(table, path, format=format, overwrite=overwrite)
