"""Files written whole or not at all: a temporary file in the same directory, fsync, rename.

:func:`atomic_write` is the one writer of output files (tables, text, CALALIGN files); it
applies the output rule of :mod:`astromon_adapters.storage.file_rules`. Also used by the archive
adapters to move downloaded files into place.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from astromon.domain.errors import ProcessingError
from astromon_adapters.chandra.par_file import read_par_file
from astromon_adapters.storage.file_rules import OutputFileError, check_output_path, path_kind

__all__ = [
    "OutputFileError",
    "atomic_write",
    "fsync_directory",
    "fsync_file",
    "install_files",
    "instrument_and_revision",
]


def fsync_file(path: Path) -> None:
    """Flush a file's content to disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries to disk (a rename or link in it is then durable)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _to_stdout(write: Callable[[Path], None]) -> None:
    """``write`` into a temporary file, then copy its bytes to standard output."""
    with tempfile.TemporaryDirectory(prefix="astromon-out-") as directory:
        tmp = Path(directory) / "out"
        write(tmp)
        sys.stdout.flush()
        binary = getattr(sys.stdout, "buffer", None)
        with open(tmp, "rb") as handle:
            if binary is not None:
                shutil.copyfileobj(handle, binary)
                binary.flush()
            else:  # a text stream without a byte buffer (some test harnesses)
                try:
                    sys.stdout.write(handle.read().decode("utf-8"))
                except UnicodeDecodeError:
                    raise OutputFileError(
                        "cannot write a binary format to standard output: it takes text only"
                    ) from None
                sys.stdout.flush()


def _linked(tmp: Path, target: Path) -> bool:
    """Link ``tmp`` to the new file ``target`` (FileExistsError if something appeared there);
    False on file systems without hard links (the caller renames instead)."""
    try:
        os.link(tmp, target)
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            return False
        raise
    return True


def atomic_write(
    path: str | os.PathLike[str],
    write: Callable[[Path], None],
    *,
    overwrite: bool = False,
    overwrite_hint: str = "overwrite=True",
) -> Path:
    """Write a file through ``write(temporary_path)``, then move it onto ``path``.

    The output rule (:func:`astromon_adapters.storage.file_rules.check_output_path`) applies: only
    regular files are written (a symbolic link to one is written through), never a device,
    FIFO, socket or directory, and never a database file, its lock file or its write-ahead
    log. ``path`` ``"-"`` is standard output.

    The temporary file is a hidden file in the directory of the file written; it is flushed to
    disk (fsync) and then linked to a new file (a file that appeared meanwhile is never
    replaced) or renamed over the existing one (with ``overwrite``, after checking it again),
    and removed when anything fails, so the file is either its old content or the complete
    new one, never a truncated or empty file.

    Parameters
    ----------
    path : str or os.PathLike
        The output file, or ``"-"``; its directory must exist.
    write : callable
        Writes the whole content to the path it is given.
    overwrite : bool
        Replace an existing regular file; otherwise an existing file is refused.
    overwrite_hint : str
        How the caller asks for ``overwrite`` (``"--overwrite"`` on the command line), named
        in the message that refuses an existing file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputFileError
        ``path`` breaks the output rule, exists (without ``overwrite``), its directory does
        not exist, or writing failed (the message names the file and the system error).
    """
    out = Path(path)
    if os.fspath(path) == "-":
        _to_stdout(write)
        return out
    target = check_output_path(out, overwrite=overwrite, overwrite_hint=overwrite_hint)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        write(tmp)
        fsync_file(tmp)
        if path_kind(target) is None and _linked(tmp, target):
            tmp.unlink()
        else:
            check_output_path(out, overwrite=overwrite, overwrite_hint=overwrite_hint)
            os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, FileExistsError):
            raise OutputFileError(
                f"{str(out)!r} appeared while it was written; give {overwrite_hint} to replace it"
            ) from None
        if isinstance(exc, OSError):
            raise OutputFileError(f"cannot write {str(out)!r}: {exc}") from None
        raise
    fsync_directory(target.parent)
    return out


def install_files(sources: list[Path], destination: Path, glob: str = "*") -> list[Path]:
    """Move the files whose names match ``glob`` into ``destination`` (temp name + rename)."""
    destination.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for source in sorted(sources):
        if not source.is_file() or not fnmatch.fnmatch(source.name, glob):
            continue
        target = destination / source.name
        tmp = destination / f".{source.name}.{os.getpid()}.part"
        shutil.copyfile(source, tmp)
        tmp.replace(target)
        written.append(target)
    return written


def instrument_and_revision(obspar: Path) -> tuple[str, int | None]:
    """Instrument (lower case) and processing revision read from an obspar file."""
    par = read_par_file(obspar)
    instrument = str(par.get("instrume", "")).strip().lower()
    if not instrument:
        raise ProcessingError(f"obspar file {obspar} has no instrume parameter")
    revision = par.get("revision")
    return instrument, int(revision) if isinstance(revision, int) else None
