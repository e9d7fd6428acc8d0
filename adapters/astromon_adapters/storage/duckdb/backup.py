"""Consistent copies of DuckDB database files (backup and restore), published atomically.

The snapshot runs inside a **read** session of the source (its sidecar lock held shared, the
file attached read-only) and copies it with ``COPY FROM DATABASE`` into a new file, then
checkpoints that. Readers keep working during a backup; writers wait for it (and a backup
waits for a writer's save) up to ``lock_timeout`` seconds, then
:class:`~astromon.domain.errors.DatabaseLockedError` names the file and the holder.

Publication fsyncs the staged copy and, holding the destination's sidecar lock exclusively
(no process has the destination open meanwhile), removes a write-ahead log left beside it
(it belongs to the file being replaced) and renames the copy over it with :func:`os.replace`:
a process opening the destination sees the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

from astromon.domain.errors import DatabaseError, DatabaseLockedError
from astromon_adapters.storage.atomic_files import fsync_directory, fsync_file
from astromon_adapters.storage.duckdb.connections import _POOL, release_connections
from astromon_adapters.storage.duckdb.errors import LOCK_PATTERN, is_lock_error, sql_string
from astromon_adapters.storage.file_lock import DEFAULT_LOCK_TIMEOUT, SidecarLock
from astromon_adapters.storage.file_rules import check_output_path, is_duckdb_file

__all__ = ["DuckDBCopier"]


def _holder(exc: BaseException) -> str:
    match = LOCK_PATTERN.search(str(exc))
    return f" (held by {match.group(1).strip()})" if match else ""


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
        """A fresh hidden file name in the destination's directory (same file system).

        Raises
        ------
        OutputFileError
            ``destination`` breaks the output rule (:mod:`.file_rules`): it is not a regular
            file (a device, a FIFO, a directory...), or is a legacy HDF5 file, or the lock
            file or write-ahead log of a database; or its directory does not exist.
        """
        dest = self._destination(destination)
        return str(dest.parent / f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.staging")

    @staticmethod
    def _destination(destination: str) -> Path:
        """The file a copy replaces: ``destination`` (a link: its target) under the output
        rule, where a DuckDB file may be replaced but never a legacy one."""
        dest = Path(destination).absolute()
        return check_output_path(dest, overwrite=True, replace_database=True)

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
        release_connections(src)  # a write session of this process is checkpointed first
        copy = f"astromon_copy_{uuid.uuid4().hex[:12]}"
        with _POOL.session(src, write=False, lock_timeout=self.lock_timeout, linger=0.0) as session:
            con = session.con
            try:
                con.execute(f"ATTACH {sql_string(str(dst))} AS {copy}")
                con.execute(f"COPY FROM DATABASE {session.alias} TO {copy}")
                con.execute(f"CHECKPOINT {copy}")
                con.execute(f"DETACH {copy}")
            except duckdb.Error as exc:
                with contextlib.suppress(duckdb.Error):
                    con.execute(f"DETACH {copy}")
                raise DatabaseError(f"cannot copy {src} to {dst}: {exc}") from exc

    def publish(self, staged: str, destination: str) -> None:
        """Make ``staged`` the file ``destination`` in one rename, durably.

        Raises
        ------
        DatabaseLockedError
            Another process holds ``destination`` (a DuckDB file) open for writing.
        OutputFileError
            ``destination`` breaks the output rule (checked again holding its lock).
        """
        stage, dest = Path(staged).absolute(), self._destination(destination)
        fsync_file(stage)
        release_connections(dest)  # a write session of this process is checkpointed first
        lock = SidecarLock(dest)
        lock.acquire(exclusive=True, timeout=self.lock_timeout, notice=None)
        try:
            dest = self._destination(destination)  # unchanged since the copy began
            if dest.exists() and is_duckdb_file(dest):
                self._wait_unlocked(dest)  # a DuckDB process that ignores the sidecar lock
            wal = dest.with_name(dest.name + ".wal")
            if wal.exists():  # the log of the replaced file must not be replayed on the copy
                wal.unlink()
            os.replace(stage, dest)
            fsync_directory(dest.parent)
        finally:
            lock.release()

    def discard(self, staged: str) -> None:
        """Remove a staging file, its write-ahead log and its lock file, if present."""
        for path in (Path(staged), Path(staged + ".wal"), Path(staged + ".lock")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # --- helpers ------------------------------------------------------------------------

    def _retry(self, path: Path, action: str, attempt: Callable[[], None]) -> None:
        deadline = time.monotonic() + max(self.lock_timeout, 0.0)
        delay = 0.01
        while True:
            try:
                attempt()
                return
            except duckdb.Error as exc:
                transient = is_lock_error(exc)  # a DuckDB process outside the lock
                if not transient:
                    raise DatabaseError(f"cannot {action} {path}: {exc}") from exc
                if time.monotonic() + delay > deadline:
                    raise DatabaseLockedError(
                        f"database file {path} is locked by another process{_holder(exc)}; "
                        f"gave up after {self.lock_timeout:g} s"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _wait_unlocked(self, path: Path) -> None:
        def probe() -> None:
            try:
                duckdb.connect(str(path)).close()
            except duckdb.Error as exc:
                if is_lock_error(exc):
                    raise
                # a damaged file is what a restore replaces: it need not open

        self._retry(path, "open", probe)
