"""Files of offset steps: the JSON list of ``{tstart, dy, dz}`` and its table forms.

The JSON form is a list of objects with ``tstart`` (a Chandra date ``YYYY:DDD:hh:mm:ss.sss``,
ISO dates and CXC seconds are read too), ``dy`` and ``dz`` (arcsec; x-ray minus catalog) and
optionally ``tstop``, ``detector`` (``all`` or ACIS-S/ACIS-I/HRC-S/HRC-I; ``all`` when absent),
``n`` (matches), ``n_obs`` (observations), ``dy_err`` and ``dz_err`` (arcsec). The table forms
(ECSV, CSV) have the same columns.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
from astropy import units as u
from astropy.table import Table

from astromon.domain.errors import AstromonError, ValidationError
from astromon.domain.region_values import MAX_RADIUS_ARCSEC
from astromon.domain.time import CxoTime
from astromon.ports.input_files import InputFiles

__all__ = ["OFFSET_COLUMNS", "TextWriter", "offsets_from_rows", "read_offsets", "write_offsets"]

OFFSET_COLUMNS: Final = (
    "tstart", "tstop", "detector", "n", "n_obs", "dy", "dz", "dy_err", "dz_err",
)  # fmt: skip
"""Columns of an offsets file, in order; only tstart, dy and dz are required to read one."""
_DETECTORS: Final = ("all", "ACIS-S", "ACIS-I", "HRC-S", "HRC-I")
_MAX_SECONDS: Final = 3.2e9
"""The latest time an offset step may start (CXC seconds, about 2099): 0 is 1998.0."""


def _fail(option: str, path: Path, why: str) -> ValidationError:
    return ValidationError(f"{option} {str(path)!r}: {why}")


def _json_rows(path: Path, option: str, files: InputFiles) -> Table:
    text = files.read_text(path, option)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(option, path, f"not valid JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise _fail(option, path, "must hold a JSON list of {tstart, dy, dz} objects")
    if not data:
        raise _fail(option, path, "holds no offset steps")
    columns: dict[str, list[Any]] = {}
    for index, row in enumerate(data):
        missing = [c for c in ("tstart", "dy", "dz") if c not in row]
        if missing:
            raise _fail(option, path, f"entry {index} lacks {missing}")
        for key in row:
            if key not in columns:
                columns[key] = [None] * index
        for key, values in columns.items():
            values.append(row.get(key))
    if "detector" in columns:
        columns["detector"] = ["all" if v is None else v for v in columns["detector"]]
    return Table({k: np.array(v, dtype=object) for k, v in columns.items()})


def _table_rows(path: Path, option: str, files: InputFiles) -> Table:
    table = files.read_table(path, option)
    for column in ("tstart", "tstop", "dy", "dz", "dy_err", "dz_err"):
        unit = getattr(table[column], "unit", None) if column in table.colnames else None
        if unit is None:
            continue
        expected = u.s if column in ("tstart", "tstop") else u.arcsec
        try:
            table[column] = np.asarray(table[column], dtype=np.float64) * unit.to(expected)
        except (u.UnitsError, TypeError, ValueError):
            raise _fail(
                option, path, f"column {column} has the unit {str(unit)!r}, not {expected}"
            ) from None
    return table


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _seconds(values: Any, option: str, path: Path, column: str) -> np.ndarray[Any, Any]:
    out = np.empty(len(values), dtype=np.float64)
    for i, raw in enumerate(values):
        value = _plain(raw)
        try:
            out[i] = float(value)
        except (TypeError, ValueError):
            pass
        else:
            if not 0 <= out[i] <= _MAX_SECONDS:
                raise _fail(option, path, f"row {i}: {column} {value!r} is not a CXC time")
            continue
        try:
            out[i] = float(CxoTime(str(value)).secs)
        except Exception:
            raise _fail(option, path, f"row {i}: bad {column} {value!r}") from None
        if value is None:
            raise _fail(option, path, f"row {i}: bad {column} {value!r}")
    return out


def _floats(values: Any, option: str, path: Path, column: str) -> np.ndarray[Any, Any]:
    out = np.empty(len(values), dtype=np.float64)
    for i, raw in enumerate(values):
        value = _plain(raw)
        if value is None and column in ("dy_err", "dz_err"):
            out[i] = np.nan  # written as null when unknown
            continue
        try:
            out[i] = float(value)
        except (TypeError, ValueError, OverflowError):
            raise _fail(option, path, f"row {i}: bad {column} {value!r}") from None
        if column in ("dy", "dz") and not math.isfinite(out[i]):
            raise _fail(option, path, f"row {i}: {column} is not finite ({value!r})")
        if column == "n" and not (out[i] == int(out[i]) and 0 <= out[i] < 2**31):
            raise _fail(option, path, f"row {i}: n {value!r} is not a count of matches")
        if column != "n" and abs(out[i]) > MAX_RADIUS_ARCSEC:  # NaN errors pass: unknown
            raise _fail(
                option,
                path,
                f"row {i}: {column} {value!r} is not an offset (arcsec, at most "
                f"{MAX_RADIUS_ARCSEC:g}, half the sky)",
            )
    return out


def read_offsets(
    path: str | os.PathLike[str], files: InputFiles, option: str = "--offsets-file"
) -> Table:
    """Read offset steps from JSON (``.json``), ECSV, CSV or another astropy table format.

    Parameters
    ----------
    path : path-like
        The file.
    files : InputFiles
        Reads it (the input-files port).
    option : str
        The command-line option that named the file (used in error messages).

    Returns
    -------
    Table
        tstart and tstop (CXC s; tstop NaN when absent), detector (``all`` when absent), n
        (-1 when absent), dy, dz, dy_err, dz_err (arcsec; errors NaN when absent).

    Raises
    ------
    ValidationError
        Missing or unreadable file, missing columns, or a bad value; the message names the
        option, the file and the row.
    """
    file = Path(path)
    json_form = file.suffix.lower() == ".json"
    raw = _json_rows(file, option, files) if json_form else _table_rows(file, option, files)
    return offsets_from_rows(raw, file, option)


def offsets_from_rows(raw: Table, file: Path, option: str = "--offsets-file") -> Table:
    """The offset steps of ``raw``, the rows of a file as read (columns as in the file,
    values as text or numbers), checked and converted as :func:`read_offsets` returns them;
    ``file`` and ``option`` are named in messages.

    Raises
    ------
    ValidationError
        Missing columns or a bad value (the message names the option, the file and the row).
    """
    missing = [c for c in ("tstart", "dy", "dz") if c not in raw.colnames]
    if missing:
        raise _fail(option, file, f"lacks the columns {missing} (has {raw.colnames})")
    if len(raw) == 0:
        raise _fail(option, file, "holds no offset steps")
    n = len(raw)
    out = Table()
    out["tstart"] = _seconds(raw["tstart"], option, file, "tstart")
    out["tstop"] = (
        _seconds(raw["tstop"], option, file, "tstop") if "tstop" in raw.colnames else np.nan
    )
    detector = (
        [str(v).strip() for v in raw["detector"]] if "detector" in raw.colnames else ["all"] * n
    )
    bad = [d for d in detector if d not in _DETECTORS]
    if bad:
        raise _fail(option, file, f"bad detector {bad[0]!r} (one of {list(_DETECTORS)})")
    out["detector"] = detector
    out["n"] = _floats(raw["n"], option, file, "n").astype(int) if "n" in raw.colnames else -1
    for column in ("dy", "dz", "dy_err", "dz_err"):
        out[column] = (
            _floats(raw[column], option, file, column) if column in raw.colnames else np.nan
        )
    keys = list(zip(out["detector"], out["tstart"], strict=True))
    if len(set(keys)) != len(keys):
        raise _fail(option, file, "holds two steps with the same detector and tstart")
    return out


def _json_text(table: Table) -> str:
    rows = []
    for row in table:
        item: dict[str, Any] = {}
        for column in OFFSET_COLUMNS:
            if column not in table.colnames:
                continue
            value = row[column]
            if column in ("tstart", "tstop"):
                item[column] = str(CxoTime(float(value)).date)
            elif column == "detector":
                item[column] = str(value)
            elif column in ("n", "n_obs"):
                item[column] = int(value)
            else:
                number = float(value)
                item[column] = round(number, 6) if math.isfinite(number) else None
        rows.append(item)
    return json.dumps(rows, indent=2) + "\n"


class TextWriter(Protocol):
    """Writes a text file atomically (``Astromon.write_text_file``): refuses an existing file
    unless ``overwrite``, naming ``overwrite_hint``; AstromonError when it cannot write."""

    def __call__(
        self,
        text: str,
        path: str | os.PathLike[str],
        overwrite: bool = False,
        overwrite_hint: str = "overwrite=True",
    ) -> Path: ...


def write_offsets(
    table: Table,
    path: str | os.PathLike[str],
    *,
    writer: TextWriter,
    overwrite: bool = False,
    option: str = "--output",
) -> Path:
    """Write offset steps as JSON (``.json``) or ECSV (``.ecsv``), atomically.

    ``table`` has the columns of :data:`OFFSET_COLUMNS` with tstart/tstop in CXC seconds;
    JSON and ECSV files show them as Chandra dates. The text is written by ``writer``, which
    writes it under a temporary name beside the target and renames it into place.

    Raises
    ------
    ValidationError
        Another suffix, an existing file without ``overwrite``, or a missing directory.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".json", ".ecsv"):
        raise _fail(option, file, "the file name must end in .json or .ecsv")
    if file.exists() and not overwrite:
        raise _fail(option, file, "exists; pass --overwrite to replace it")
    if not file.parent.is_dir():
        raise _fail(option, file, "its directory does not exist")
    if suffix == ".json":
        text = _json_text(table)
    else:
        shown = Table(table, copy=True)
        for column in ("tstart", "tstop"):
            if column in shown.colnames:
                shown[column] = [str(CxoTime(float(t)).date) for t in shown[column]]
        for column in ("dy", "dz", "dy_err", "dz_err"):
            if column in shown.colnames:
                shown[column].unit = "arcsec"
                shown[column].info.format = ".4f"
        from io import StringIO

        buffer = StringIO()
        shown.write(buffer, format="ascii.ecsv")
        text = buffer.getvalue()
    try:
        return writer(text, file, overwrite=overwrite, overwrite_hint="--overwrite")
    except AstromonError as exc:
        raise _fail(option, file, f"cannot write: {exc}") from None
