"""What astromon may read and write: the input rule and the output rule.

**Input rule** (:func:`check_input_path`): a path astromon reads must be a regular file, or a
directory where a directory is asked for (symbolic links are followed). It is checked with
``os.stat`` before the path is opened, so a FIFO, a socket or a device given as a database,
an obsid file or an import never makes astromon wait forever.

**Output rule** (:func:`check_output_path`): astromon writes regular files only. An output
path that is a directory, a FIFO, a socket, a character or block device, a symbolic link to
one of those, or a dangling symbolic link is refused, naming the path and what it is; a
symbolic link to a regular file is written through (the link stays). A file that is a
database is never replaced by an output: a DuckDB file (recognised by its header), a legacy
HDF5 file (its signature), or the lock file or write-ahead log beside one; backups and
restores may replace a DuckDB file, never a legacy one.

The database signatures are here too: :func:`is_duckdb_file`, :func:`is_hdf5_file`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from astromon.domain.errors import AstromonError, DatabaseError, ValidationError

__all__ = [
    "DUCKDB_MAGIC",
    "HDF5_SIGNATURE",
    "OutputFileError",
    "OutputPathError",
    "check_input_path",
    "check_output_path",
    "is_duckdb_file",
    "is_hdf5_file",
    "path_kind",
]

DUCKDB_MAGIC: Final = b"DUCK"
"""The bytes 8-11 of a DuckDB database file."""

HDF5_SIGNATURE: Final = b"\x89HDF\r\n\x1a\n"
"""The 8 bytes an HDF5 file starts with (at offset 0, 512, 1024, ... with a user block)."""

_SIGNATURE_OFFSETS: Final = (0, 512, 1024, 2048, 4096)
_SIDECARS: Final = {".wal": "the write-ahead log", ".lock": "the lock file"}


class OutputFileError(DatabaseError):
    """An output file cannot be written (exists without overwrite, is not a regular file,
    is a database, bad directory, I/O error).

    A :class:`DatabaseError`, as table exports raised before this class existed.
    """


class OutputPathError(OutputFileError, ValidationError):
    """An output path that the output rule refuses: not a regular file, a database (or its
    lock file or write-ahead log), a dangling link.

    Also a :class:`ValidationError`: the path given is a bad value (a usage error on the
    command line).
    """


def _mode_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def path_kind(path: str | os.PathLike[str]) -> str | None:
    """What is at ``path``: None when nothing, else ``'a regular file'``, ``'a directory'``,
    ``'a FIFO (named pipe)'``, ``'a socket'``, ``'a character device'``, ``'a block device'``,
    ``'a symbolic link to ...'`` or ``'a dangling symbolic link'``."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise DatabaseError(f"cannot use {str(path)!r}: {exc.strerror or exc}") from None
    if not stat.S_ISLNK(mode):
        return _mode_kind(mode)
    try:
        return f"a symbolic link to {_mode_kind(os.stat(path).st_mode)}"
    except (FileNotFoundError, NotADirectoryError):
        return "a dangling symbolic link"
    except OSError as exc:
        return f"a symbolic link that cannot be followed ({exc.strerror or exc})"


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def check_input_path(
    path: str | os.PathLike[str],
    what: str,
    *,
    directory: bool = False,
    missing_ok: bool = False,
    error: type[AstromonError] = DatabaseError,
) -> Path:
    """``path`` checked to be a regular file (a directory when ``directory``) before it is read.

    Parameters
    ----------
    path : str or os.PathLike
        The input path; symbolic links are followed.
    what : str
        What the path is for (``'database file'``, ``'--obsid-file'``), named in messages.
    directory : bool
        A directory is asked for instead of a file.
    missing_ok : bool
        A path where nothing exists passes (the caller creates it, or says it is missing).
    error : type of AstromonError
        The error raised.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    AstromonError
        Of class ``error``: nothing at ``path`` (unless ``missing_ok``), or something other
        than what is asked for (the message names the path and what it is).
    """
    given = Path(path)
    try:
        mode = os.stat(given).st_mode
    except FileNotFoundError:
        if missing_ok and path_kind(given) is None:
            return given
        found = path_kind(given)
        detail = f" ({found})" if found else ""
        raise error(f"{what} {str(given)!r} does not exist{detail}") from None
    except OSError as exc:
        raise error(f"cannot use {what} {str(given)!r}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode) if directory else stat.S_ISREG(mode):
        return given
    expected = "a directory" if directory else "a regular file"
    raise error(f"{what} {str(given)!r} is {path_kind(given)}, not {expected}")


def is_duckdb_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a regular file starting like a DuckDB database (``DUCK`` at byte 8)."""
    if not _regular(Path(path)):
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(12)[8:12] == DUCKDB_MAGIC
    except OSError:
        return False


def is_hdf5_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a regular file carrying the HDF5 signature."""
    if not _regular(Path(path)):
        return False
    try:
        with open(path, "rb") as handle:
            for offset in _SIGNATURE_OFFSETS:
                handle.seek(offset)
                if handle.read(8) == HDF5_SIGNATURE:
                    return True
    except OSError:
        return False
    return False


def _database_kind(path: Path, *, replace_database: bool) -> str | None:
    """Why the regular file ``path`` must not be replaced by an output (None: it may be)."""
    if is_hdf5_file(path):
        return "a legacy HDF5 database file, which astromon never writes"
    if is_duckdb_file(path) and not replace_database:
        return "a DuckDB database file; astromon never replaces a database with an output file"
    sidecar = _SIDECARS.get(path.suffix)
    base = path.with_name(path.stem)
    if sidecar and (is_duckdb_file(base) or is_hdf5_file(base)):
        return f"{sidecar} of the database {str(base)!r}"
    return None


def check_output_path(
    path: str | os.PathLike[str],
    *,
    overwrite: bool,
    overwrite_hint: str = "overwrite=True",
    replace_database: bool = False,
) -> Path:
    """The file to write for the output path ``path``, under the output rule.

    Parameters
    ----------
    path : str or os.PathLike
        The output path as given.
    overwrite : bool
        An existing regular file may be replaced.
    overwrite_hint : str
        How the caller asks for ``overwrite`` (``"--overwrite"``), named in the refusal.
    replace_database : bool
        A DuckDB database file may be replaced (backups and restores); never a legacy one.

    Returns
    -------
    pathlib.Path
        ``path``, or the regular file a symbolic link ``path`` points at.

    Raises
    ------
    OutputPathError
        ``path`` is not a regular file (naming what it is), or is a database (or its lock
        file or write-ahead log).
    OutputFileError
        ``path`` exists and ``overwrite`` is false, or its directory does not exist.
    """
    given = Path(path)
    try:
        kind = path_kind(given)
    except DatabaseError as exc:
        raise OutputPathError(str(exc).replace("cannot use", "cannot write", 1)) from None
    target = given
    if kind is not None and kind.startswith("a symbolic link to a regular file"):
        target = Path(os.path.realpath(given))
    elif kind is not None and kind != "a regular file":
        raise OutputPathError(
            f"cannot write {str(given)!r}: it is {kind}; astromon writes regular files only"
        )
    if kind is None:
        if not target.parent.is_dir():
            raise OutputFileError(
                f"cannot write {str(given)!r}: directory {str(target.parent)!r} does not exist"
            )
        return target
    protected = _database_kind(target, replace_database=replace_database)
    if protected:
        raise OutputPathError(f"refusing to replace {str(given)!r}: it is {protected}")
    if not overwrite:
        raise OutputFileError(f"{str(given)!r} exists; give {overwrite_hint} to replace it")
    return target
