"""A new database file appears only once a write to it has committed.

A write session on a file that does not exist (the file's lock held exclusively) works on a
hidden staging file beside it, ``.F.<pid>.<random>.creating``. When the operation has
committed something and the staging file has been checkpointed and detached, the file is
fsynced and linked to ``F`` (a link never replaces a file that appeared meanwhile) and the
staging name removed. When the operation fails (an error, a full disk, an interrupt), wrote
nothing, or the checkpoint fails, the staging file is removed: ``F`` never exists as an
empty, partial or 8 KiB file that later commands would call damaged. A process killed while
it creates a file leaves only its staging file, which the next creator removes.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Final

from astromon.domain.errors import DatabaseError
from astromon_adapters.storage.atomic_files import fsync_directory, fsync_file
from astromon_adapters.storage.file_lock import process_alive

__all__ = ["discard_staging", "publish_staging", "staging_file"]

_SUFFIX: Final = ".creating"


def _staging_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.*{_SUFFIX}"))


def discard_staging(staged: Path) -> None:
    """Remove a staging file and its write-ahead log (no error when absent)."""
    for name in (staged, staged.with_name(staged.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


def staging_file(path: Path) -> Path:
    """A fresh staging name for creating ``path``, after removing those of dead processes.

    Call it holding ``path``'s lock exclusively.
    """
    for stale in _staging_files(path):
        pid = stale.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            discard_staging(stale)
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{_SUFFIX}")


def publish_staging(staged: Path, path: Path) -> None:
    """Make the checkpointed staging file the database ``path`` (durably), then forget it.

    Raises
    ------
    DatabaseError
        ``path`` appeared meanwhile (created outside astromon's lock), the staging file still
        has a write-ahead log, or the file system refused (the staging file is removed).
    """
    wal = staged.with_name(staged.name + ".wal")
    try:
        if wal.exists() and wal.stat().st_size:
            raise DatabaseError(
                f"cannot create database file {path}: its first write was not checkpointed"
            )
        fsync_file(staged)
        os.link(staged, path)
        fsync_directory(path.parent)
    except FileExistsError:
        raise DatabaseError(
            f"cannot create database file {path}: another program created it meanwhile"
        ) from None
    except OSError as exc:
        raise DatabaseError(f"cannot create database file {path}: {exc}") from None
    finally:
        discard_staging(staged)
