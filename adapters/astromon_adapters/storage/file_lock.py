"""The sidecar lock of a database file: ``F.lock`` beside ``F``, locked with ``fcntl.flock``.

* A writer holds the lock **exclusively** for the whole time it has ``F`` open (attach, write,
  commit, checkpoint, detach); a reader holds it **shared** for the whole time it has ``F``
  open. No process has ``F`` open outside the lock, so a reader never meets a half-applied
  save, a write-ahead log being folded into the file, or a second writer.
* ``flock`` locks belong to the open file description, not to the process: unlike the POSIX
  record locks DuckDB puts on ``F`` itself, they are not dropped when other code in the same
  process opens and closes the file (which is how saves were lost before this lock).
* Waiting polls with a non-blocking ``flock`` (1 ms, growing to 20 ms) up to the lock timeout,
  then :class:`~astromon.domain.errors.DatabaseLockedError` names the file and the holder.
  The exclusive holder writes its PID at the start of the lock file.
* Waiters write the time they last polled into the lock file (one field for readers, one for
  writers, with the time the writer started waiting). A holder that keeps the lock across
  several saves gives it up when someone waits. Readers go first: a waiting writer does not
  take the lock while a reader waits, for up to :data:`READER_PRIORITY` seconds; after
  that, new readers let it go first. Neither side starves.
* The lock file itself is never removed (removing it would let two processes lock two
  different files of the same name).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from astromon.domain.errors import DatabaseError, DatabaseLockedError

__all__ = ["DEFAULT_LOCK_TIMEOUT", "NOTICE_AFTER", "SidecarLock", "WaitNotice", "lock_path"]

DEFAULT_LOCK_TIMEOUT: Final = 30.0
"""Seconds to wait for a database file locked by another process (``ASTROMON_LOCK_TIMEOUT``
overrides it)."""

NOTICE_AFTER: Final = 1.0
"""Seconds of waiting after which the waiting notice is given (once per wait)."""

READER_PRIORITY: Final = 0.5
"""Seconds a waiting writer lets waiting readers go first; then readers let it go first."""

_FRESH: Final = 0.05  # seconds: a waiter polls at least this often

WaitNotice = Callable[[Path, "int | None"], None]
"""Called with (database file, holder PID or None) once a wait exceeds :data:`NOTICE_AFTER`."""

_PID_FIELD: Final = (0, 24)
_READER_FIELD: Final = (24, 24)
_WRITER_FIELD: Final = (48, 48)
_POLL_FIRST: Final = 0.001
_POLL_MAX: Final = 0.02


def lock_path(database: Path) -> Path:
    """The sidecar lock file of ``database``: the same name with ``.lock`` appended."""
    return database.with_name(database.name + ".lock")


def process_alive(pid: int) -> bool:
    """True while a process ``pid`` exists on this machine (also when it is another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SidecarLock:
    """The ``flock`` on ``database``'s sidecar file, as held by this process.

    Parameters
    ----------
    database : pathlib.Path
        The database file (absolute).
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = None
        self._pid = os.getpid()
        self.exclusive = False
        self.acquired_at = 0.0  # time.time() when the lock was taken

    @property
    def held(self) -> bool:
        """True while this process holds the lock."""
        return self._fd is not None and self._pid == os.getpid()

    def _regular(self, fd: int) -> int:
        """``fd`` when it is a regular file; else closes it and refuses (the input rule)."""
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode):
            return fd
        os.close(fd)
        raise DatabaseError(
            f"cannot use {self.database}: its lock file {self.path} is not a regular file"
        )

    def _open(self, write: bool) -> int | None:
        # non-blocking: opening a FIFO placed at the lock file's name must not wait
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            return self._regular(os.open(self.path, flags, 0o666))
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EROFS, errno.EPERM):
                raise DatabaseError(f"cannot open the lock file {self.path}: {exc}") from None
        try:  # another user's lock file: flock works on a read-only descriptor too
            return self._regular(os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK))
        except OSError:
            pass
        if write:
            raise DatabaseError(
                f"cannot write {self.database}: its lock file {self.path} cannot be created "
                "(no write permission in that directory)"
            )
        return None  # nobody can write here either: reading needs no lock

    def acquire(self, *, exclusive: bool, timeout: float, notice: WaitNotice | None) -> None:
        """Take the lock, waiting up to ``timeout`` seconds.

        Raises
        ------
        DatabaseLockedError
            Still held by another process after ``timeout`` seconds (the message names the
            file and the holder's PID when it is known).
        DatabaseError
            The lock file cannot be opened (a writer needs to create it).
        """
        fd = self._open(exclusive)
        if fd is None:
            self._fd, self._pid, self.exclusive = -1, os.getpid(), False
            return
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        started = time.monotonic()
        deadline = started + max(timeout, 0.0)
        delay = _POLL_FIRST
        noticed = False
        try:
            while True:
                if self._may_try(fd, exclusive, started):
                    try:
                        fcntl.flock(fd, mode | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        pass
                now = time.monotonic()
                self._announce(fd, exclusive, started)
                if now >= deadline:
                    raise DatabaseLockedError(
                        f"database file {self.database} is locked by another process"
                        f"{self._holder_text(fd)}; gave up after {timeout:g} s "
                        "(ASTROMON_LOCK_TIMEOUT sets the wait)"
                    )
                if not noticed and now - started >= NOTICE_AFTER:
                    noticed = True
                    if notice is not None:
                        notice(self.database, self.holder_pid(fd))
                time.sleep(min(delay, max(deadline - now, 0.0)))
                delay = min(delay * 1.5, _POLL_MAX)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._pid, self.exclusive = fd, os.getpid(), exclusive
        self.acquired_at = time.time()
        if exclusive:
            self._write_field(fd, _PID_FIELD, str(os.getpid()))
            self._write_field(fd, _WRITER_FIELD, "")

    def release(self) -> None:
        """Give the lock up (no-op when not held; never touches a lock inherited by fork)."""
        fd, self._fd = self._fd, None
        if fd is None or fd < 0 or self._pid != os.getpid():
            return
        try:
            if self.exclusive:
                self._write_field(fd, _PID_FIELD, "")
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def forget(self) -> None:
        """In a forked child: close the inherited descriptor without unlocking it."""
        fd, self._fd = self._fd, None
        if fd is not None and fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def someone_waiting(self) -> bool:
        """True when another process has polled for the lock since this one took it."""
        if self._fd is None or self._fd < 0:
            return False
        reader = self._read_stamps(self._fd, _READER_FIELD)[0]
        writer = self._read_stamps(self._fd, _WRITER_FIELD)[0]
        return max(reader, writer) > self.acquired_at

    def holder_pid(self, fd: int | None = None) -> int | None:
        """PID of the exclusive holder as written in the lock file, when it is alive."""
        fd = self._fd if fd is None else fd
        if fd is None or fd < 0:
            return None
        text = self._read_field(fd, _PID_FIELD)
        try:
            pid = int(text)
        except ValueError:
            return None
        return pid if pid != os.getpid() and process_alive(pid) else None

    # --- the fields of the lock file ---------------------------------------------------

    def _holder_text(self, fd: int) -> str:
        pid = self.holder_pid(fd)
        return f" (held by PID {pid})" if pid is not None else " (held by readers)"

    def _may_try(self, fd: int, exclusive: bool, started: float) -> bool:
        """Whether to try the lock now, or let the other kind of waiter go first."""
        now, waited = time.time(), time.monotonic() - started
        if exclusive:
            reader = self._read_stamps(fd, _READER_FIELD)[0]
            return waited > READER_PRIORITY or now - reader > _FRESH
        stamps = self._read_stamps(fd, _WRITER_FIELD)
        writer_starving = now - stamps[0] < _FRESH and now - stamps[-1] > READER_PRIORITY
        return waited > 2 * READER_PRIORITY or not writer_starving

    def _announce(self, fd: int, exclusive: bool, started: float) -> None:
        now = time.time()
        if exclusive:
            since = now - (time.monotonic() - started)
            self._write_field(fd, _WRITER_FIELD, f"{now:.6f} {since:.6f}")
        else:
            self._write_field(fd, _READER_FIELD, f"{now:.6f}")

    @staticmethod
    def _read_field(fd: int, field: tuple[int, int]) -> str:
        try:
            raw = os.pread(fd, field[1], field[0])
        except OSError:
            return ""
        return raw.decode("ascii", "replace").strip("\x00 \n")

    def _read_stamps(self, fd: int, field: tuple[int, int]) -> list[float]:
        try:
            return [float(v) for v in self._read_field(fd, field).split()] or [0.0]
        except ValueError:
            return [0.0]

    @staticmethod
    def _write_field(fd: int, field: tuple[int, int], text: str) -> None:
        data = text.encode("ascii")[: field[1] - 1].ljust(field[1] - 1) + b"\n"
        with contextlib.suppress(OSError):  # read-only lock files carry no fields
            os.pwrite(fd, data, field[0])
