"""Sessions on DuckDB files, each inside the file's sidecar lock (:mod:`.file_lock`).

* Every process has one in-memory DuckDB connection (the engine); a session ``ATTACH``-es the
  database file to it under a fresh alias — read-only for readers — and ``DETACH``-es it at
  the end. Attaching costs about half a millisecond, where opening a DuckDB connection costs
  ten.
* A session holds the sidecar lock for its whole life: shared for readers, exclusive for
  writers. A writer's session ends with ``CHECKPOINT`` and ``DETACH`` before the lock is
  released, so the next process finds a checkpointed file and no write-ahead log.
* A write session may be kept, with its exclusive lock, for ``linger`` seconds after an
  operation so that a loop of saves does not pay for a checkpoint each time; every commit
  is durable in DuckDB's write-ahead log meanwhile. It is closed when another process waits
  for the lock (after :data:`QUANTUM` seconds), after :data:`MAX_CONNECTION_AGE` seconds in
  any case, at exit, and by a daemon thread (the reaper) when the linger time is over.
  Reads never keep anything.
* A write session on a file that does not exist works on a staging file that becomes the
  file only when the operation committed something (:mod:`.duckdb_creation`); such a
  session is never kept.
* Sessions inherited across ``fork`` are never touched again (their locks are not released by
  the child); the child opens its own.
* Opening errors are classified (:mod:`.duckdb_errors`): a file held by a foreign DuckDB
  process is retried up to the lock timeout; a damaged file fails at once.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb
import structlog

from astromon.domain.errors import DatabaseError, DatabaseLockedError
from astromon_adapters.storage.duckdb.creation import discard_staging, publish_staging, staging_file
from astromon_adapters.storage.duckdb.errors import (
    LOCK_PATTERN,
    database_error,
    is_lock_error,
    sql_string,
)
from astromon_adapters.storage.file_lock import SidecarLock, WaitNotice

__all__ = [
    "FAIRNESS_PAUSE",
    "MAX_CONNECTION_AGE",
    "QUANTUM",
    "Session",
    "release_connections",
    "set_wait_notice",
]

MAX_CONNECTION_AGE: Final = 5.0
"""Seconds after which a kept write session is closed (checkpointed) at its next use."""

QUANTUM: Final = 0.25
"""Seconds a kept write session may run on while another process waits for the lock."""

FAIRNESS_PAUSE: Final = 0.025
"""Seconds a thread pauses after giving the lock up to waiters, before locking again."""

_CONFIG: Final = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

_log = structlog.get_logger("astromon.storage")
_notice: list[WaitNotice | None] = [None]


def set_wait_notice(notice: WaitNotice | None) -> WaitNotice | None:
    """Set the process-wide waiting notice (None: a structlog event); returns the old one."""
    old, _notice[0] = _notice[0], notice
    return old


def _give_notice(path: Path, pid: int | None) -> None:
    notice = _notice[0]
    if notice is not None:
        notice(path, pid)
    else:
        _log.warning("waiting for the database lock", path=str(path), holder_pid=pid)


def _creation_error(path: Path | None, exc: BaseException) -> DatabaseError:
    first = " ".join(str(exc).split())[:300]
    return DatabaseError(f"cannot create database file {path}: {first}")


@dataclass
class Session:
    """One attachment of a database file, inside its sidecar lock."""

    con: duckdb.DuckDBPyConnection
    alias: str
    read_only: bool
    pid: int
    lock: SidecarLock
    inventory: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    inspected: bool = False
    expires: float | None = None
    opened: float = field(default_factory=time.monotonic)
    staged: Path | None = None
    """The staging file attached instead of ``target`` while ``target`` does not exist."""
    target: Path | None = None


@dataclass
class _FileState:
    """What this process holds of one file: a thread lock and maybe a kept write session."""

    mutex: threading.RLock = field(default_factory=threading.RLock)
    session: Session | None = None


class _SessionPool:
    """Per-process engine and kept write sessions, with their reaper thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._files: dict[str, _FileState] = {}
        self._engine: duckdb.DuckDBPyConnection | None = None
        self._engine_pid = 0
        self._orphans: list[object] = []  # inherited across fork: never touched again
        self._reaper_pid = 0
        self._rescan = False
        self._aliases = itertools.count(1)

    # --- per process -------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._engine is None or self._engine_pid != os.getpid():
                if self._engine is not None:
                    self._orphans.append(self._engine)
                self._engine = duckdb.connect(":memory:", config=dict(_CONFIG))
                self._engine_pid = os.getpid()
            return self._engine.cursor()

    def _state(self, key: str) -> _FileState:
        with self._lock:
            state = self._files.get(key)
            if state is None:
                state = self._files[key] = _FileState()
            return state

    def after_fork_in_child(self) -> None:
        """Drop (without closing or unlocking) everything inherited from the parent."""
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        for state in self._files.values():
            if state.session is not None:
                state.session.lock.forget()
                self._orphans.append(state.session)
        self._files = {}
        self._reaper_pid = 0

    # --- sessions ----------------------------------------------------------------------

    @contextmanager
    def session(
        self, path: Path, *, write: bool, lock_timeout: float, linger: float
    ) -> Iterator[Session]:
        """A session on ``path`` for one operation (reusing a kept write session)."""
        state = self._state(str(path))
        with state.mutex:
            current = self._reuse(state, write)
            if current is None:
                current = self._open(path, write=write, lock_timeout=lock_timeout)
            try:
                yield current
            except BaseException:
                state.session = None
                self._close(current)  # a failed operation never leaves a session behind
                raise
            self._after(state, current, linger)

    def _reuse(self, state: _FileState, write: bool) -> Session | None:
        kept = state.session
        if kept is None:
            return None
        state.session = None
        if kept.pid != os.getpid():  # pragma: no cover - after_fork_in_child drops them
            self._orphans.append(kept)
            return None
        kept.expires = None
        age = time.monotonic() - kept.opened
        if age > QUANTUM and kept.lock.someone_waiting():
            self._close(kept)
            time.sleep(FAIRNESS_PAUSE)  # leave the waiters a window to take the lock
            return None
        if age > MAX_CONNECTION_AGE:
            self._close(kept)
            return None
        return kept

    def _after(self, state: _FileState, current: Session, linger: float) -> None:
        if current.read_only or linger <= 0 or current.staged is not None:
            self._close(current, publish=True)
            return
        age = time.monotonic() - current.opened
        if age > MAX_CONNECTION_AGE:
            self._close(current)
            return
        if age > QUANTUM and current.lock.someone_waiting():
            self._close(current)
            time.sleep(FAIRNESS_PAUSE)  # leave the waiters a window to take the lock
            return
        current.expires = time.monotonic() + linger
        state.session = current
        self._ensure_reaper()
        with self._lock:
            self._rescan = True
            self._wake.notify()

    def _open(self, path: Path, *, write: bool, lock_timeout: float) -> Session:
        deadline = time.monotonic() + max(lock_timeout, 0.0)
        lock = SidecarLock(path)
        lock.acquire(exclusive=write, timeout=lock_timeout, notice=_give_notice)
        staged: Path | None = None
        try:
            if write and not path.exists():  # checked holding the lock: nobody creates it now
                staged = staging_file(path)
            con = self._cursor()
            alias = f"astromon_db_{os.getpid()}_{next(self._aliases)}"
            mode = "" if write else " (READ_ONLY)"
            delay = 0.01
            while True:
                try:
                    attached = path if staged is None else staged
                    con.execute(f"ATTACH {sql_string(str(attached))} AS {alias}{mode}")
                    con.execute(f"USE {alias}")
                    break
                except duckdb.Error as exc:
                    if not is_lock_error(exc):  # damaged, foreign, too new: at once
                        con.close()
                        if staged is not None:
                            raise _creation_error(path, exc) from None
                        raise database_error(path, exc) from None
                    now = time.monotonic()
                    if now >= deadline:  # a DuckDB process that ignores the sidecar lock
                        con.close()
                        match = LOCK_PATTERN.search(str(exc))
                        holder = f" (held by {match.group(1).strip()})" if match else ""
                        raise DatabaseLockedError(
                            f"database file {path} is locked by another process{holder}; "
                            f"gave up after {lock_timeout:g} s"
                        ) from None
                    time.sleep(min(delay * (1.0 + random.random()), deadline - now))
                    delay = min(delay * 2.0, 0.5)
        except BaseException:
            if staged is not None:
                discard_staging(staged)
            lock.release()
            raise
        return Session(
            con=con,
            alias=alias,
            read_only=not write,
            pid=os.getpid(),
            lock=lock,
            staged=staged,
            target=path,
        )

    def _close(self, session: Session, *, publish: bool = False) -> None:
        """Checkpoint (writers), detach and unlock; errors here never lose a commit.

        A session on a staging file publishes it as its target when ``publish`` and something
        was written (else removes it); a failed checkpoint of a staging file then fails the
        operation instead, since the target does not exist yet.
        """
        if session.pid != os.getpid():
            self._orphans.append(session)
            return
        con = session.con
        failure: DatabaseError | None = None
        try:
            with contextlib.suppress(duckdb.Error):
                con.execute("USE memory")
            if not session.read_only:
                try:
                    con.execute(f"CHECKPOINT {session.alias}")
                except duckdb.Error as exc:
                    if session.staged is None:  # the commits stay in the write-ahead log
                        _log.warning("checkpoint failed", alias=session.alias, error=str(exc))
                    else:  # a staging file without its log is not published
                        failure = _creation_error(session.target, exc)
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH {session.alias}")
            with contextlib.suppress(duckdb.Error):
                con.close()
            if session.staged is not None and session.target is not None:
                if publish and failure is None and session.inventory:
                    publish_staging(session.staged, session.target)
                else:
                    discard_staging(session.staged)
                    if publish and failure is not None:
                        raise failure
        finally:
            session.lock.release()

    def _ensure_reaper(self) -> None:
        with self._lock:
            if self._reaper_pid == os.getpid():
                return
            self._reaper_pid = os.getpid()
        thread = threading.Thread(target=self._reap, name="astromon-duckdb-reaper", daemon=True)
        thread.start()

    def _reap(self) -> None:
        pid = os.getpid()
        while True:
            with self._lock:
                if self._reaper_pid != pid:
                    return
                states = list(self._files.values())
            now = time.monotonic()
            pending: list[float] = []
            for state in states:
                if not state.mutex.acquire(blocking=False):
                    pending.append(now + 0.01)  # in use: look again in a moment
                    continue
                try:
                    kept = state.session
                    if kept is None or kept.expires is None:
                        continue
                    if kept.expires <= now:
                        state.session = None
                        self._close(kept)
                    else:
                        pending.append(kept.expires)
                finally:
                    state.mutex.release()
            with self._lock:
                if self._reaper_pid != pid:
                    return
                if self._rescan:  # a session was kept while this thread was scanning
                    self._rescan = False
                    continue
                wait = max(min(pending) - now, 0.001) if pending else 1.0
                self._wake.wait(timeout=wait)
                self._rescan = False

    def release(self, path: Path | None = None) -> None:
        """Close the kept session of ``path`` (every one when None), releasing its lock."""
        with self._lock:
            items = list(self._files.items())
        for key, state in items:
            if path is not None and key != str(path):
                continue
            with state.mutex:
                kept, state.session = state.session, None
                if kept is not None:
                    self._close(kept)


_POOL = _SessionPool()
atexit.register(_POOL.release)
os.register_at_fork(after_in_child=_POOL.after_fork_in_child)


def release_connections(path: str | os.PathLike[str] | None = None) -> None:
    """Close kept write sessions now (of one file, or all), checkpointing and unlocking."""
    _POOL.release(None if path is None else Path(path).absolute())
