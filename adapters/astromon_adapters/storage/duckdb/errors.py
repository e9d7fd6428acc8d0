"""What a DuckDB error on a database file means, and the message astromon gives for it.

* Lock conflicts (``Could not set lock on file``) come from a DuckDB process that does not
  use astromon's sidecar lock; they are worth waiting for.
* A file with a DuckDB header that cannot be read (short reads of a truncated file, checksum
  mismatches of overwritten blocks, bad serialisation) is **damaged**: the message says so at
  once and suggests restoring a backup.
* A file written by a newer DuckDB: the main header names the library that wrote it (bytes
  52-83, e.g. ``v2.0.1``); when such a file cannot be opened the message names that version,
  the installed one and the storage version numbers DuckDB reported.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

import duckdb

from astromon.domain.errors import DatabaseError
from astromon_adapters.storage.file_rules import DUCKDB_MAGIC

__all__ = [
    "LOCK_PATTERN",
    "database_error",
    "is_lock_error",
    "sql_string",
    "writer_version",
]

LOCK_PATTERN: Final = re.compile(r"Conflicting lock is held in (.*?)(?:\. See also|$)", re.S)
_VERSION_PATTERN: Final = re.compile(
    r"database file with version number (\d+), but we can only read (?:version|versions)? ?"
    r"([\d\s,\-uptoand]+)",
    re.I,
)
_DAMAGE_MARKERS: Final = (
    "Could not read enough bytes",
    "Corrupt database file",
    "checksum",
    "Corrupted",
    "Serialization Error",
    "INTERNAL Error",
    "replaying WAL",
    "WAL checkpoint iteration",
    "Failed to load metadata",
)


def sql_string(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def is_lock_error(exc: BaseException) -> bool:
    """True for DuckDB's conflicting-lock errors (another process holds the file)."""
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _parse_version(text: str) -> tuple[int, ...] | None:
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return tuple(int(p) for p in match.groups()) if match else None


def writer_version(path: str | os.PathLike[str]) -> str | None:
    """The DuckDB library version recorded in the file header (``v2.0.1``), if any."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(84)
    except OSError:
        return None
    if header[8:12] != DUCKDB_MAGIC or len(header) < 84:
        return None
    text = header[52:84].split(b"\x00", 1)[0].decode("ascii", "replace").strip()
    return text if _parse_version(text) else None


def _restore_hint(path: Path) -> str:
    return f"restore it from a backup: astromon --db {path} db restore BACKUP --overwrite"


def _newer_writer(path: Path) -> str | None:
    written = writer_version(path)
    ours = _parse_version(duckdb.__version__)
    theirs = _parse_version(written or "")
    if written and ours and theirs and theirs > ours:
        return written
    return None


def database_error(path: Path, exc: BaseException) -> DatabaseError:
    """The astromon error for a DuckDB error on the file ``path`` (not for lock conflicts)."""
    text = str(exc)
    first = " ".join(text.split())[:300]
    version = _VERSION_PATTERN.search(text)
    newer = _newer_writer(path) if path.is_file() else None
    if version or newer:
        storage = (
            f" (storage version {version.group(1)}; this DuckDB reads {version.group(2).strip()})"
            if version
            else ""
        )
        written = f"DuckDB {newer}" if newer else "a newer DuckDB"
        return DatabaseError(
            f"{path} was written by {written}{storage} and cannot be read by the installed "
            f"DuckDB {duckdb.__version__}: upgrade astromon's DuckDB, or export the file with "
            f"the newer DuckDB; DuckDB said: {first}"
        )
    if "Is a directory" in text:
        return DatabaseError(f"database path {path} is a directory, not a file")
    if "different configuration" in text:
        return DatabaseError(
            f"{path} is already open in this process by other code with other settings: {first}"
        )
    if "not a valid DuckDB database file" in text:
        return DatabaseError(
            f"{path} is damaged or is not a DuckDB database file (nor a legacy HDF5 file); "
            f"if it held an astromon database, {_restore_hint(path)}"
        )
    if any(marker in text for marker in _DAMAGE_MARKERS):
        return DatabaseError(
            f"database file {path} is damaged (DuckDB: {first}); {_restore_hint(path)}"
        )
    return DatabaseError(f"cannot use database file {path}: {first}")
