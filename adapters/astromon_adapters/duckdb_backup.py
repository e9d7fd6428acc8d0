"""Consistent copies of DuckDB database files (backup and restore), published atomically.

The snapshot attaches the source **read-only** to an in-memory DuckDB connection and runs
``COPY FROM DATABASE`` into a new file, then checkpoints it. A read-only attachment shares the
file with other readers but excludes writers, so the copy is one committed state of the
database: readers keep working during a backup; a writer holding the file makes the snapshot
retry with backoff for up to ``lock_timeout`` seconds, then fail with
:class:`~astromon.domain.errors.DatabaseLockedError` naming the file and the holder.

Publication fsyncs the staged copy, removes a write-ahead log left beside the destination
(it belongs to the file being replaced), and renames the copy over the destination with
:func:`os.replace` — a process opening the destination sees the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Final

import duckdb

from astromon.domain.errors import DatabaseError, DatabaseLockedError
from astromon_adapters.duckdb_connections import (
    CHECKPOINT_RACE_WAIT,
    _is_lock_error,
    _is_transient_read_error,
)
from astromon_adapters.duckdb_store import release_connections

__all__ = ["DEFAULT_LOCK_TIMEOUT", "DuckDBCopier", "is_duckdb_file"]

DEFAULT_LOCK_TIMEOUT: Final = 30.0
"""Seconds to wait for a writer to release the source file."""

_MAGIC: Final = b"DUCK"
_HOLDER: Final = re.compile(r"Conflicting lock is held in (.*?)(?:\. See also|$)", re.S)


def is_duckdb_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` starts like a DuckDB database file (``DUCK`` at byte 8)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(12)
    except OSError:
        return False
    return header[8:12] == _MAGIC


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _holder(exc: BaseException) -> str:
    match = _HOLDER.search(str(exc))
    return f" (held by {match.group(1).strip()})" if match else ""


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class DuckDBCopier:
    """File operations of backup/restore for DuckDB files.

    Parameters
    ----------
    lock_timeout : float
        Seconds to keep retrying while another process writes the source (or holds the
        destination of a publication).
    """

    def __init__(self, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.lock_timeout = float(lock_timeout)

    # --- DatabaseCopier -----------------------------------------------------------------

    def exists(self, path: str) -> bool:
        """True when ``path`` exists."""
        return Path(path).exists()

    def same_file(self, first: str, second: str) -> bool:
        """True when both paths name the same file (resolving links)."""
        a, b = Path(first), Path(second)
        if a.exists() and b.exists():
            return a.samefile(b)
        return a.resolve() == b.resolve()

    def staging_path(self, destination: str) -> str:
        """A fresh hidden file name in the destination's directory (same file system)."""
        dest = Path(destination).absolute()
        if not dest.parent.is_dir():
            raise DatabaseError(f"cannot write {dest}: directory {dest.parent} does not exist")
        if dest.is_dir():
            raise DatabaseError(f"cannot write {dest}: it is a directory")
        return str(dest.parent / f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.staging")

    def snapshot(self, source: str, target: str) -> None:
        """Copy every table of the DuckDB file ``source`` (with its constraints) into ``target``.

        Raises
        ------
        DatabaseError
            ``source`` is not a DuckDB file or cannot be read; ``target`` exists.
        DatabaseLockedError
            A writer held ``source`` for longer than ``lock_timeout`` seconds.
        """
        src, dst = Path(source).absolute(), Path(target).absolute()
        if not is_duckdb_file(src):
            raise DatabaseError(
                f"{src} is not a DuckDB database file (legacy HDF5 files are imported with "
                "'astromon db import-legacy', not backed up)"
            )
        if dst.exists():
            raise DatabaseError(f"snapshot target {dst} already exists")
        release_connections(src)  # our own idle connections must not hold the file
        con = duckdb.connect(":memory:")
        try:
            self._attach_read_only(con, src)
            try:
                con.execute(f"ATTACH {_sql_string(str(dst))} AS astromon_copy")
                con.execute("COPY FROM DATABASE astromon_source TO astromon_copy")
                con.execute("CHECKPOINT astromon_copy")
                con.execute("DETACH astromon_copy")
            except duckdb.Error as exc:
                raise DatabaseError(f"cannot copy {src} to {dst}: {exc}") from exc
        finally:
            con.close()

    def publish(self, staged: str, destination: str) -> None:
        """Make ``staged`` the file ``destination`` in one rename, durably.

        Raises
        ------
        DatabaseLockedError
            Another process holds ``destination`` (a DuckDB file) open for writing.
        """
        stage, dest = Path(staged).absolute(), Path(destination).absolute()
        _fsync_file(stage)
        if dest.exists() and is_duckdb_file(dest):
            release_connections(dest)
            self._wait_unlocked(dest)
        wal = dest.with_name(dest.name + ".wal")
        if wal.exists():  # the log of the file being replaced must not be replayed on the copy
            wal.unlink()
        os.replace(stage, dest)
        _fsync_directory(dest.parent)

    def discard(self, staged: str) -> None:
        """Remove a staging file and its write-ahead log, if present."""
        for path in (Path(staged), Path(staged + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # --- helpers ------------------------------------------------------------------------

    def _retry(self, path: Path, action: str, attempt: Callable[[], None]) -> None:
        started = time.monotonic()
        deadline = started + max(self.lock_timeout, 0.0)
        delay = 0.01
        while True:
            try:
                attempt()
                return
            except duckdb.Error as exc:
                # a lock held by a writer, or (reading) a race with its checkpoint: wait; a
                # "race" that lasts is a damaged file
                race = action == "read" and _is_transient_read_error(exc)
                race = race and time.monotonic() < started + CHECKPOINT_RACE_WAIT
                transient = _is_lock_error(exc) or race
                if not transient:
                    raise DatabaseError(f"cannot {action} {path}: {exc}") from exc
                if time.monotonic() + delay > deadline:
                    raise DatabaseLockedError(
                        f"database file {path} is locked by another process{_holder(exc)}; "
                        f"gave up after {self.lock_timeout:g} s"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _attach_read_only(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        def attach() -> None:
            con.execute(f"ATTACH {_sql_string(str(path))} AS astromon_source (READ_ONLY)")

        self._retry(path, "read", attach)

    def _wait_unlocked(self, path: Path) -> None:
        def probe() -> None:
            duckdb.connect(str(path)).close()

        self._retry(path, "open", probe)
