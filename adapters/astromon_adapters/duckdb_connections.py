"""The per-process cache of DuckDB connections used by :mod:`astromon_adapters.duckdb_store`.

* One cached connection per file and process, opened read-only or read-write as needed.
* An idle connection lingers for ``linger`` seconds, then a daemon thread (the reaper) closes
  it, releasing DuckDB's file lock for other processes; a connection older than
  :data:`MAX_CONNECTION_AGE` is closed at its next use so that readers do not starve writers.
* Opening a file locked by another process (or a read-only open that races with a
  checkpoint) is retried with exponential backoff up to ``lock_timeout`` seconds, then
  :class:`~astromon.domain.errors.DatabaseLockedError` names the file and the holder.
* Connections inherited across ``fork`` are never touched again; all are closed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb

from astromon.domain.errors import DatabaseError, DatabaseLockedError

__all__ = ["FAIRNESS_PAUSE", "MAX_CONNECTION_AGE", "release_connections"]

MAX_CONNECTION_AGE: Final = 0.5
"""Seconds after which a cached connection is closed at its next use, even if busy.

Without it a process that reads in a tight loop would keep DuckDB's file lock forever and
starve writers in other processes."""

FAIRNESS_PAUSE: Final = 0.05
"""Seconds a process pauses after closing an aged connection before reopening the file."""

_CONFIG: Final = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


@dataclass
class _Handle:
    """An open connection to one file, owned by the pool."""

    con: duckdb.DuckDBPyConnection
    read_only: bool
    pid: int
    identity: tuple[int, int]
    inventory: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    inspected: bool = False
    generation: int = 0
    expires: float | None = None
    opened: float = field(default_factory=time.monotonic)
    active: int = 0


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


CHECKPOINT_RACE_WAIT: Final = 2.0
"""Seconds a read-only open retries an error that a writer's checkpoint can cause: past that
the file is damaged (truncated...), not busy, and the error is reported as it is."""

_LOCK_PATTERN: Final = re.compile(r"Conflicting lock is held in (.*?)(?:\. See also|$)", re.S)


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _is_transient_read_error(exc: BaseException) -> bool:
    """A read-only open that raced with another process's checkpoint of the file.

    Seen under load: the reader finds the writer's WAL while the writer is folding it into the
    file, and replaying it fails. The writer's transaction is durable either way; opening again
    a moment later reads the checkpointed file.
    """
    text = str(exc)
    return "replaying WAL" in text or "Could not read enough bytes" in text


class _ConnectionPool:
    """Per-process cache of open connections, closed after ``linger`` seconds idle.

    One daemon thread (the reaper) closes connections whose linger time is over.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._handles: dict[str, _Handle] = {}
        self._orphans: list[_Handle] = []  # inherited across fork: never touched again
        self._reaper_pid = 0

    @contextmanager
    def connection(
        self, path: Path, *, write: bool, lock_timeout: float, linger: float
    ) -> Iterator[_Handle]:
        key = str(path)
        with self._lock:
            handle = self._reuse(key, path, write)
            if handle is None:
                handle = self._open(path, write=write, lock_timeout=lock_timeout)
                self._handles[key] = handle
            handle.active += 1
            try:
                yield handle
            except BaseException:
                self._close(key)  # a failed operation never leaves a connection behind
                raise
            finally:
                handle.active -= 1
            if linger <= 0:
                self._close(key)
            else:
                handle.expires = time.monotonic() + linger
                self._ensure_reaper()
                self._wake.notify()

    def _reuse(self, key: str, path: Path, write: bool) -> _Handle | None:
        handle = self._handles.get(key)
        if handle is None:
            return None
        if handle.pid != os.getpid():
            self._orphans.append(self._handles.pop(key))
            return None
        handle.expires = None
        handle.generation += 1
        too_old = handle.active == 0 and time.monotonic() - handle.opened > MAX_CONNECTION_AGE
        if too_old or (write and handle.read_only) or _identity(path) != handle.identity:
            self._close(key)
            if too_old:
                # leave other processes' waiting writers a window to take the file lock
                time.sleep(FAIRNESS_PAUSE)
            return None
        return handle

    def _open(self, path: Path, *, write: bool, lock_timeout: float) -> _Handle:
        started = time.monotonic()
        deadline = started + max(lock_timeout, 0.0)
        delay = 0.01
        while True:
            try:
                con = duckdb.connect(str(path), read_only=not write, config=dict(_CONFIG))
                break
            except duckdb.Error as exc:
                race = not write and _is_transient_read_error(exc)
                now = time.monotonic()
                if race and now >= started + CHECKPOINT_RACE_WAIT:
                    race = False
                if not (_is_lock_error(exc) or race):
                    raise _database_error(path, exc) from None
                if now >= deadline:
                    match = _LOCK_PATTERN.search(str(exc))
                    holder = f" (held by {match.group(1).strip()})" if match else ""
                    raise DatabaseLockedError(
                        f"database file {path} is locked by another process{holder}; "
                        f"gave up after {lock_timeout:g} s"
                    ) from None
                time.sleep(min(delay * (1.0 + random.random()), deadline - now))
                delay = min(delay * 2.0, 0.5)
        identity = _identity(path)
        if identity is None:  # pragma: no cover - duckdb always creates the file
            con.close()
            raise DatabaseError(f"database file {path} vanished while being opened")
        return _Handle(con=con, read_only=not write, pid=os.getpid(), identity=identity)

    def _ensure_reaper(self) -> None:
        if self._reaper_pid == os.getpid():
            return
        self._reaper_pid = os.getpid()
        thread = threading.Thread(target=self._reap, name="astromon-duckdb-reaper", daemon=True)
        thread.start()

    def _reap(self) -> None:
        pid = os.getpid()
        with self._lock:
            while self._reaper_pid == pid:
                now = time.monotonic()
                for key, handle in list(self._handles.items()):
                    if handle.expires is not None and handle.expires <= now:
                        self._close(key)
                pending = [h.expires for h in self._handles.values() if h.expires is not None]
                self._wake.wait(timeout=max(min(pending) - now, 0.001) if pending else None)

    def _close(self, key: str) -> None:
        handle = self._handles.pop(key, None)
        if handle is None:
            return
        if handle.pid != os.getpid():
            self._orphans.append(handle)
            return
        with contextlib.suppress(duckdb.Error):
            handle.con.close()

    def release(self, path: Path | None = None) -> None:
        """Close the cached connection of ``path`` (every one when None)."""
        with self._lock:
            keys = list(self._handles) if path is None else [str(path)]
            for key in keys:
                self._close(key)


_POOL = _ConnectionPool()
atexit.register(_POOL.release)


def release_connections(path: str | os.PathLike[str] | None = None) -> None:
    """Close idle cached connections now (of one file, or all), releasing their file locks."""
    _POOL.release(None if path is None else Path(path).absolute())


def _database_error(path: Path, exc: BaseException) -> DatabaseError:
    text = str(exc)
    if "not a valid DuckDB database file" in text:
        return DatabaseError(f"{path} is not a DuckDB database file (nor a legacy HDF5 file)")
    if "Is a directory" in text:
        return DatabaseError(f"database path {path} is a directory, not a file")
    if "different configuration" in text:
        return DatabaseError(
            f"{path} is already open in this process by other code with other settings: {text}"
        )
    return DatabaseError(f"cannot use database file {path}: {text}")
