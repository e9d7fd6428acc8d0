"""Files written whole or not at all: a temporary file in the same directory, fsync, rename.

Also used by the archive adapters to move downloaded files into place.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from astromon.domain.errors import DatabaseError, ProcessingError
from astromon_adapters.par_file import read_par_file

__all__ = ["OutputFileError", "atomic_write", "install_files", "instrument_and_revision"]


class OutputFileError(DatabaseError):
    """An output file cannot be written (exists without overwrite, bad directory, I/O error).

    A :class:`DatabaseError`, as table exports raised before this class existed.
    """


def _fsync_directory(directory: Path) -> None:
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


def atomic_write(
    path: str | os.PathLike[str],
    write: Callable[[Path], None],
    *,
    overwrite: bool = False,
    overwrite_hint: str = "overwrite=True",
) -> Path:
    """Write a file through ``write(temporary_path)``, then rename it onto ``path``.

    The temporary file is a hidden file in the directory of ``path``; it is flushed to disk
    (fsync) before the rename and removed when anything fails, so ``path`` is either its old
    content or the complete new one, never a truncated or empty file.

    Parameters
    ----------
    path : str or os.PathLike
        The output file; its directory must exist.
    write : callable
        Writes the whole content to the path it is given.
    overwrite : bool
        Replace an existing file; otherwise an existing file is refused.
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
        ``path`` exists (without ``overwrite``) or is a directory, its directory does not
        exist, or writing failed (the message names the file and the system error).
    """
    out = Path(path)
    if out.is_dir():
        raise OutputFileError(f"cannot write {str(out)!r}: it is a directory")
    if not out.parent.is_dir():
        raise OutputFileError(
            f"cannot write {str(out)!r}: directory {str(out.parent)!r} does not exist"
        )
    if out.exists() and not overwrite:
        raise OutputFileError(f"{str(out)!r} exists; give {overwrite_hint} to replace it")
    tmp = out.parent / f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputFileError(f"cannot write {str(out)!r}: {exc}") from None
        raise
    _fsync_directory(out.parent)
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
