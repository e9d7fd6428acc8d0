"""Import and export of whole tables: legacy HDF5 files, ECSV directories, table files.

Part of the :mod:`astromon.db` façade (which re-exports these functions); ``dbfile`` follows
the same default-file rule.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from astromon.bootstrap import current
from astromon.domain.errors import ValidationError
from astromon.domain.validation import require_path
from astromon.ports.store import DBFile
from astromon.services.storage import tables as _storage

__all__ = ["export_table", "import_ecsv", "import_legacy"]


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValidationError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def import_legacy(
    h5file: str | os.PathLike[str],
    dbfile: DBFile = None,
    *,
    overwrite: bool = False,
    drop_orphans: bool = False,
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
    drop_orphans : bool
        Leave out rows the database cannot keep because what they point at is absent (x-ray
        sources without their observation, counterparts without their x-ray source,
        cross-match rows without their pair), logging how many; otherwise such rows make the
        import fail, naming them.

    Returns
    -------
    list of str
        The imported tables.

    Raises
    ------
    DatabaseError
        ``h5file`` is not an HDF5 file, or ``dbfile`` already holds data.
    ValidationError
        Orphan rows (without ``drop_orphans``), a bad argument.
    """
    path = require_path("h5file", h5file)
    flags = _flag("overwrite", overwrite), _flag("drop_orphans", drop_orphans)
    app = current()
    source, target = app.legacy_store(path), app.store(dbfile, write=True)
    return _storage.copy_tables(source, target, flags[0], drop_orphans=flags[1]).tables


def import_ecsv(
    directory: str | os.PathLike[str],
    dbfile: DBFile = None,
    *,
    overwrite: bool = False,
    drop_orphans: bool = False,
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
    drop_orphans : bool
        Leave out orphan rows (see :func:`import_legacy`) instead of failing.

    Returns
    -------
    list of str
        The imported tables.
    """
    path = require_path("directory", directory)
    flags = _flag("overwrite", overwrite), _flag("drop_orphans", drop_orphans)
    app = current()
    tables, target = app.read_table_directory(path), app.store(dbfile, write=True)
    result = _storage.import_tables(tables, target, flags[0], drop_orphans=flags[1], source=path)
    return result.tables


def export_table(
    table_name: str,
    path: str | os.PathLike[str],
    dbfile: DBFile = None,
    format: str | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Export a table to an ECSV, CSV, JSON, FITS or Parquet file, written atomically.

    The file is written under a temporary name in its directory and moved into place: a
    failure leaves the old file (or none), never a truncated one. Only regular files are
    written, never a database file (the output rule); ``path`` ``"-"`` writes to standard
    output.

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
    out = require_path("path", path)
    replace = _flag("overwrite", overwrite)
    if format is not None and not isinstance(format, str):
        raise ValidationError(f"format must be a format name or None, got {format!r}")
    app = current()
    table = _storage.read_named_table(lambda: app.store(dbfile), table_name)
    return app.write_table_file(table, out, format=format, overwrite=replace)
