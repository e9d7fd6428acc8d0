"""Astromon tables as files: read a directory of ECSV tables, write ECSV / FITS / Parquet.

File names of a directory import are ``<table name>.ecsv`` (``astromon_obs.ecsv`` ...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from astropy.table import Table

from astromon.domain.errors import DatabaseError, ValidationError
from astromon.domain.schema import TABLE_NAMES

__all__ = ["FORMATS", "read_ecsv_directory", "table_file_format", "write_table_file"]

FORMATS: Final[dict[str, str]] = {"ecsv": "ascii.ecsv", "fits": "fits", "parquet": "parquet"}
"""Export formats: astromon name -> astropy format."""

_SUFFIXES: Final[dict[str, str]] = {
    ".ecsv": "ecsv",
    ".fits": "fits",
    ".fit": "fits",
    ".fits.gz": "fits",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def read_ecsv_directory(directory: str | os.PathLike[str]) -> dict[str, Table]:
    """The astromon tables stored as ``<table>.ecsv`` files in ``directory``.

    Files named ``astromon_*.ecsv`` that are not astromon tables are ignored.

    Raises
    ------
    DatabaseError
        ``directory`` is not a directory, holds no astromon ECSV table, or a file cannot be
        read as ECSV.
    """
    root = Path(directory)
    if not root.is_dir():
        raise DatabaseError(f"{root} is not a directory")
    tables: dict[str, Table] = {}
    for name in TABLE_NAMES:
        path = root / f"{name}.ecsv"
        if not path.is_file():
            continue
        try:
            tables[name] = Table.read(path, format="ascii.ecsv")
        except Exception as exc:  # astropy raises many exception types for bad files
            raise DatabaseError(f"cannot read {path} as an ECSV table: {exc}") from None
    if not tables:
        raise DatabaseError(
            f"{root} holds no astromon ECSV table (expected files such as astromon_obs.ecsv)"
        )
    return tables


def table_file_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The export format ('ecsv', 'fits' or 'parquet') given explicitly or by the suffix.

    Raises
    ------
    ValidationError
        Unknown format or suffix.
    """
    if format is not None:
        key = str(format).lower().removeprefix("ascii.")
        if key not in FORMATS:
            raise ValidationError(f"unknown table format {format!r}; use one of {list(FORMATS)}")
        return key
    name = Path(path).name.lower()
    for suffix, key in sorted(_SUFFIXES.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return key
    raise ValidationError(
        f"cannot tell the format of {path} from its suffix; use one of "
        f"{sorted(_SUFFIXES)} or give format= one of {list(FORMATS)}"
    )


def write_table_file(
    table: Table,
    path: str | os.PathLike[str],
    format: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``table`` to ``path`` as ECSV, FITS or Parquet.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    path : str or os.PathLike
        Output file; its directory must exist.
    format : str, optional
        'ecsv', 'fits' or 'parquet'; default from the suffix of ``path``.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValidationError
        Unknown format.
    DatabaseError
        The file exists (without ``overwrite``), its directory does not exist, or writing failed.
    """
    key = table_file_format(path, format)
    out = Path(path)
    if out.is_dir():
        raise DatabaseError(f"cannot write table to {out}: it is a directory")
    if not out.parent.is_dir():
        raise DatabaseError(f"cannot write table to {out}: directory {out.parent} does not exist")
    if out.exists() and not overwrite:
        raise DatabaseError(f"{out} exists; pass overwrite=True to replace it")
    plain = table.copy(copy_data=True)
    for name in plain.colnames:
        if plain[name].info.indices:
            plain.remove_indices(name)
    try:
        plain.write(out, format=FORMATS[key], overwrite=overwrite)
    except Exception as exc:  # astropy/pyarrow raise many types
        raise DatabaseError(f"cannot write {out} as {key}: {exc}") from None
    return out
