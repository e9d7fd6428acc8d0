"""The daily run lock (implements the ``RunLock`` port): one daily run at a time per database.

Two files beside the database ``F``:

* ``F.daily.lock``, the lock: an exclusive ``flock`` held for the whole run, taken without
  waiting through :class:`~astromon_adapters.storage.file_lock.SidecarLock`, the primitive of the
  database lock (on a file of its own, so that a run holding it still opens the database
  through the database lock);
* ``F.daily.run``, who holds it: ``{"pid", "host", "started"}`` as JSON, written whole
  (temporary file and rename) once the lock is taken and removed when it is released.

The kernel releases a ``flock`` when its holder ends, however it ends. A run that was killed
therefore leaves ``F.daily.run`` behind but not the lock: the next run takes the lock, finds the
dead run's file and reports the takeover, naming that run. Worker processes forked by a run
share its lock and keep it while they outlive the run; a new run is then refused, and the
message says that the named process has ended (checked with
:func:`~astromon_adapters.storage.file_lock.process_alive` when it ran on this host).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from astromon.domain.errors import DatabaseError, DatabaseLockedError, ValidationError
from astromon.ports.run_lock import RunHolder, RunLockedError, RunLockGrant
from astromon_adapters.storage.atomic_files import atomic_write
from astromon_adapters.storage.file_lock import SidecarLock, process_alive

__all__ = ["DailyRunLock"]


def _holder_json(holder: RunHolder) -> str:
    return json.dumps({"pid": holder.pid, "host": holder.host, "started": holder.started}) + "\n"


class DailyRunLock:
    """The run lock of ``database`` (the lock files are made beside it).

    Parameters
    ----------
    database : path
        The database file the daily run works on (it need not exist yet).
    """

    def __init__(self, database: str | os.PathLike[str]) -> None:
        self.database = Path(database).absolute()
        self._lock = SidecarLock(self.database.with_name(self.database.name + ".daily"))
        self.path = self._lock.path
        self.holder_path = self.database.with_name(self.database.name + ".daily.run")
        self._host = socket.gethostname()

    def __repr__(self) -> str:
        return f"<DailyRunLock {self.path} held={self._lock.held}>"

    def acquire(self, started: str) -> RunLockGrant:
        """Take the lock without waiting (see :meth:`astromon.ports.run_lock.RunLock.acquire`).

        Raises
        ------
        RunLockedError
            Another run holds the lock (the message names its PID, host and start time).
        DatabaseError
            The lock file cannot be created (the message names it).
        ValidationError
            ``started`` is empty.
        """
        if not isinstance(started, str) or not started.strip():
            raise ValidationError(f"the start time of the run is needed, got {started!r}")
        try:
            self._lock.acquire(exclusive=True, timeout=0.0, notice=None)
        except DatabaseLockedError:
            raise RunLockedError(self._busy_message()) from None
        except DatabaseError as exc:
            raise DatabaseError(f"cannot take the daily run lock {self.path}: {exc}") from None
        try:
            stale = self._read_holder()
            holder = RunHolder(os.getpid(), self._host, started)
            text = _holder_json(holder)

            def write(tmp: Path) -> None:
                tmp.write_text(text, encoding="utf-8")

            atomic_write(self.holder_path, write, overwrite=True)
        except BaseException:
            self._lock.release()
            raise
        return RunLockGrant(holder, stale, self._takeover_notice(stale) if stale else "")

    def release(self) -> None:
        """Remove the holder file and give the lock up (nothing when not held here)."""
        if not self._lock.held:
            return
        try:
            self.holder_path.unlink(missing_ok=True)
        finally:
            self._lock.release()

    # --- who holds it -------------------------------------------------------------------

    def _read_holder(self) -> RunHolder | None:
        """The holder written in the holder file; None when there is none or it is unreadable."""
        try:
            data = json.loads(self.holder_path.read_text(encoding="utf-8"))
            holder = RunHolder(int(data["pid"]), str(data["host"]), str(data["started"]))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return holder

    def _lock_pid(self) -> int | None:
        """The live PID the lock file names as its holder (another process's), if any."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            return self._lock.holder_pid(fd)
        finally:
            os.close(fd)

    def _ended(self, holder: RunHolder) -> bool:
        """True when ``holder`` ran on this host and its process no longer exists."""
        return holder.host == self._host and not process_alive(holder.pid)

    def _busy_message(self) -> str:
        head = f"another astromon daily run is working on {self.database}"
        tail = f"; this run stops (lock file {self.path})"
        holder, lock_pid = self._read_holder(), self._lock_pid()
        if holder is None or (
            holder.host == self._host and lock_pid is not None and lock_pid != holder.pid
        ):
            who = f"PID {lock_pid}" if lock_pid is not None else "a process"
            return f"{head}: {who} (it has just started and not yet written its details){tail}"
        ended = (
            " (that process has ended, but processes it started still hold the lock)"
            if self._ended(holder)
            else ""
        )
        return f"{head}: {holder.describe()}{ended}{tail}"

    def _takeover_notice(self, stale: RunHolder) -> str:
        ended = " (that process no longer runs)" if self._ended(stale) else ""
        return (
            f"took over the daily run lock of {self.database}: the run {stale.describe()} "
            f"ended without releasing it{ended}"
        )
