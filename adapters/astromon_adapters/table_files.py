"""Astromon tables as files: read a directory of ECSV tables; the one table writer.

Every table file astromon writes (``db export``, ``--output`` of the commands) goes through
:func:`write_table_file`: atomic (temporary file, fsync, rename), one overwrite rule, full
precision in text formats.

File names of a directory import are ``<table name>.ecsv`` (``astromon_obs.ecsv`` ...).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain.errors import DatabaseError, ValidationError
from astromon.domain.schema import TABLE_NAMES
from astromon_adapters._files import OutputFileError, atomic_write

__all__ = [
    "FORMATS",
    "WRITE_FORMATS",
    "read_ecsv_directory",
    "table_file_format",
    "table_json",
    "write_table_file",
    "write_text_file",
]

FORMATS: Final[dict[str, str]] = {"ecsv": "ascii.ecsv", "fits": "fits", "parquet": "parquet"}
"""Export formats of whole tables: astromon name -> astropy format."""

WRITE_FORMATS: Final[dict[str, str]] = {**FORMATS, "csv": "ascii.csv", "json": "json"}
"""Every format :func:`write_table_file` writes (JSON is a list of row objects)."""

_SUFFIXES: Final[dict[str, str]] = {
    ".ecsv": "ecsv",
    ".fits": "fits",
    ".fit": "fits",
    ".fits.gz": "fits",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".json": "json",
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
    """The file format ('ecsv', 'csv', 'json', 'fits', 'parquet') given or by the suffix.

    Raises
    ------
    ValidationError
        Unknown format or suffix.
    """
    if format is not None:
        key = str(format).lower().removeprefix("ascii.")
        if key not in WRITE_FORMATS:
            raise ValidationError(
                f"unknown table format {format!r}; use one of {list(WRITE_FORMATS)}"
            )
        return key
    name = Path(path).name.lower()
    for suffix, key in sorted(_SUFFIXES.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return key
    raise ValidationError(
        f"cannot tell the format of {path} from its suffix; use one of "
        f"{sorted(_SUFFIXES)} or give format= one of {list(WRITE_FORMATS)}"
    )


def _data_copy(table: Table) -> Table:
    """A copy without indices and without display formats (text formats keep full precision)."""
    plain = table.copy(copy_data=True)
    for name in plain.colnames:
        if plain[name].info.indices:
            plain.remove_indices(name)
        plain[name].info.format = None
    return plain


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.ndarray):
        return [_json_value(v) for v in value.tolist()]
    return value


def table_json(table: Table) -> str:
    """The rows of ``table`` as a JSON list of objects (NaN and infinities as null).

    Floats are written with full precision (the shortest text that reads back the same).
    """
    records = [{name: _json_value(row[name]) for name in table.colnames} for row in table]
    return json.dumps(records, indent=1)


def write_text_file(
    text: str,
    path: str | os.PathLike[str],
    overwrite: bool = False,
    overwrite_hint: str = "overwrite=True",
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, with the overwrite rule of
    :func:`write_table_file`.

    Raises
    ------
    OutputFileError
        As :func:`astromon_adapters._files.atomic_write`.
    """

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write, overwrite=overwrite, overwrite_hint=overwrite_hint)


def write_table_file(
    table: Table,
    path: str | os.PathLike[str],
    format: str | None = None,
    overwrite: bool = False,
    overwrite_hint: str = "overwrite=True",
) -> Path:
    """Write ``table`` to ``path`` as ECSV, CSV, JSON, FITS or Parquet, atomically.

    The file is written under a temporary name in the same directory, flushed to disk and
    renamed onto ``path``: a failure (a full disk, an interrupt) leaves the old file, or no
    file, never a truncated one. Text formats (ECSV, CSV, JSON) keep the full precision of
    every float column (display formats are ignored).

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    path : str or os.PathLike
        Output file; its directory must exist.
    format : str, optional
        'ecsv', 'csv', 'json', 'fits' or 'parquet'; default from the suffix of ``path``.
    overwrite : bool
        Replace an existing file; otherwise an existing file is refused.
    overwrite_hint : str
        How the caller asks for ``overwrite``, named in the refusal message.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValidationError
        Unknown format.
    OutputFileError
        The file exists (without ``overwrite``), its directory does not exist, or writing
        failed (a :class:`DatabaseError`).
    """
    key = table_file_format(path, format)
    plain = _data_copy(table)

    def write(tmp: Path) -> None:
        if key == "json":
            tmp.write_text(table_json(plain) + "\n", encoding="utf-8")
            return
        try:
            plain.write(tmp, format=WRITE_FORMATS[key], overwrite=True)
        except OSError:
            raise
        except Exception as exc:  # astropy/pyarrow raise many types
            raise OutputFileError(f"cannot write {str(path)!r} as {key}: {exc}") from None

    return atomic_write(path, write, overwrite=overwrite, overwrite_hint=overwrite_hint)
