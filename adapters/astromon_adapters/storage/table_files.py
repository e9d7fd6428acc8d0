"""Astromon tables as files: read a directory of ECSV tables; the one table writer.

Every table file astromon writes (``db export``, ``--output`` of the commands) goes through
:func:`write_table_file`: atomic (temporary file, fsync, rename), the output rule of
:mod:`astromon_adapters.storage.file_rules`, one overwrite rule, and values written exactly, so
that reading the file back gives the same table:

* **ECSV**: numbers with full precision; a text column holding a value that plain ECSV
  cannot carry (empty text, leading or trailing white space, tabs, line breaks or other
  unprintable characters, a leading ``#``) is written as JSON strings (ECSV
  ``subtype: json``), which ECSV readers decode;
* **CSV**: every text value in double quotes (so empty text, white space, commas and line
  breaks survive), numbers unquoted with full precision (``nan``, ``inf``);
* **JSON**: a list of row objects; NaN is ``null``, infinities are ``1e999``/``-1e999``
  (valid JSON numbers that read back as infinities);
* **Parquet**: exact as it is;
* **FITS**: text must be printable ASCII without trailing spaces (FITS drops them); other
  text is refused, naming the column, row and value.

File names of a directory import are ``<table name>.ecsv`` (``astromon_obs.ecsv`` ...).
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any, Final

import numpy as np
from astropy.table import MaskedColumn, Table

from astromon.domain.errors import DatabaseError, ValidationError
from astromon.domain.schema import TABLE_NAMES
from astromon_adapters.storage.atomic_files import OutputFileError, atomic_write
from astromon_adapters.storage.file_rules import check_input_path, check_output_path

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


def _text_read_back(table: Table) -> Table:
    """Masked text of an ECSV file as empty text: ECSV writes empty text and missing text
    alike, and astromon stores no missing text."""
    for name in table.colnames:
        column = table[name]
        if isinstance(column, MaskedColumn) and column.dtype.kind in "US":
            table[name] = column.filled("")
    return table


def read_ecsv_directory(directory: str | os.PathLike[str]) -> dict[str, Table]:
    """The astromon tables stored as ``<table>.ecsv`` files in ``directory``.

    Files named ``astromon_*.ecsv`` that are not astromon tables are ignored. Masked text
    is read as empty text (plain ECSV cannot tell them apart).

    Raises
    ------
    DatabaseError
        ``directory`` is not a directory, a table file is not a regular file (a FIFO...),
        the directory holds no astromon ECSV table, or a file cannot be read as ECSV.
    """
    root = check_input_path(directory, "ECSV directory", directory=True)
    tables: dict[str, Table] = {}
    for name in TABLE_NAMES:
        path = root / f"{name}.ecsv"
        check_input_path(path, "ECSV table", missing_ok=True)
        if not path.exists():
            continue
        try:
            tables[name] = _text_read_back(Table.read(path, format="ascii.ecsv"))
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


def _plain_ecsv(text: str) -> bool:
    """Whether plain ECSV carries ``text`` exactly: not empty, printable (no control
    characters, tabs or line separators), no white space at either end, no leading ``#`` (a
    comment line when it starts a row)."""
    return bool(text) and text.isprintable() and text == text.strip() and text[0] != "#"


def _fits_text(text: str) -> bool:
    """Whether FITS keeps ``text`` exactly: printable ASCII without trailing spaces."""
    return text.isascii() and text.isprintable() and not text.endswith(" ")


def _ecsv_ready(table: Table) -> Table:
    """Text columns that plain ECSV would change become JSON-string columns (object)."""
    for name in table.colnames:
        values = np.asarray(table[name])
        if values.dtype.kind == "U" and not all(_plain_ecsv(v) for v in values.tolist()):
            column = np.empty(len(values), dtype=object)
            column[:] = values.tolist()
            table[name] = column
    return table


def _require_fits_text(table: Table, path: str | os.PathLike[str]) -> None:
    for name in table.colnames:
        values = np.asarray(table[name])
        if values.dtype.kind != "U":
            continue
        for row, value in enumerate(values.tolist()):
            if not _fits_text(value):
                raise ValidationError(
                    f"cannot write {str(path)!r} as FITS: {name}={value!r} in row {row} is not "
                    "printable ASCII without trailing spaces, which FITS would change; write "
                    "ECSV, CSV, JSON or Parquet instead"
                )


def _plain_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return [_plain_value(v) for v in value.tolist()]
    return value


def _json_text(value: Any) -> str:
    """One JSON value: NaN as ``null``, infinities as ``1e999``/``-1e999``."""
    if isinstance(value, float) and not isinstance(value, bool):
        if math.isnan(value):
            return "null"
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    return json.dumps(value)


def table_json(table: Table) -> str:
    """The rows of ``table`` as a JSON list of objects, one row per line.

    Floats are written with full precision (the shortest text that reads back the same);
    NaN is ``null`` and infinities are ``1e999`` / ``-1e999``, JSON numbers that JSON
    readers take for infinities.
    """
    names = [json.dumps(name) for name in table.colnames]
    columns = [[_plain_value(v) for v in np.asarray(table[n]).tolist()] for n in table.colnames]
    rows = [
        "{" + ", ".join(f"{k}: {_json_text(v)}" for k, v in zip(names, values, strict=True)) + "}"
        for values in zip(*columns, strict=True)
    ]
    return "[\n" + ",\n".join(rows) + "\n]" if rows else "[]"


def _write_csv(table: Table, path: Path) -> None:
    """CSV: a header of column names, text always quoted, numbers as Python writes them."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        writer.writerow(table.colnames)
        columns = [[_plain_value(v) for v in np.asarray(table[n]).tolist()] for n in table.colnames]
        writer.writerows(zip(*columns, strict=True))


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
        As :func:`astromon_adapters.storage.atomic_files.atomic_write`.
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
    moved onto ``path``: a failure (a full disk, an interrupt) leaves the old file, or no
    file, never a truncated one. The output rule applies (only regular files, never a
    database file; ``"-"`` is standard output). Every value is written exactly (see the
    module documentation); display formats are ignored.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    path : str or os.PathLike
        Output file (its directory must exist), or ``"-"``.
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
        Unknown format; text that FITS would change.
    OutputPathError
        The output rule refuses ``path`` (also a :class:`ValidationError`).
    OutputFileError
        The file exists (without ``overwrite``), or writing failed (a
        :class:`DatabaseError`).
    """
    if os.fspath(path) != "-":  # the output rule first: it outranks the format
        check_output_path(path, overwrite=overwrite, overwrite_hint=overwrite_hint)
    key = table_file_format(path, format)
    plain = _data_copy(table)

    if key == "fits":
        _require_fits_text(plain, path)

    def write(tmp: Path) -> None:
        if key == "json":
            tmp.write_text(table_json(plain) + "\n", encoding="utf-8")
            return
        if key == "csv":
            _write_csv(plain, tmp)
            return
        try:
            out = _ecsv_ready(plain) if key == "ecsv" else plain
            out.write(tmp, format=WRITE_FORMATS[key], overwrite=True)
        except OSError:
            raise
        except Exception as exc:  # astropy/pyarrow raise many types
            raise OutputFileError(f"cannot write {str(path)!r} as {key}: {exc}") from None

    return atomic_write(path, write, overwrite=overwrite, overwrite_hint=overwrite_hint)
