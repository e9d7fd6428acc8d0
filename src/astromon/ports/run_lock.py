"""The run-lock port: one daily run at a time on a database.

A second run on the same database stops at once with :class:`RunLockedError`, whose message
names the run that holds the lock (PID, host, start time). A lock left by a run that died
without releasing it is taken over, and the taker is told whose it was
(:attr:`RunLockGrant.stale`), to report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from astromon.domain.errors import AstromonError

__all__ = ["RunHolder", "RunLock", "RunLockGrant", "RunLockedError"]


class RunLockedError(AstromonError):
    """Another daily run holds the run lock of the database (the message names it)."""


@dataclass(frozen=True)
class RunHolder:
    """The run holding a run lock: process ``pid`` on ``host``, started at ``started``
    (an ISO 8601 UTC time)."""

    pid: int
    host: str
    started: str

    def describe(self) -> str:
        """``PID 4242 on host ops1, started 2024-05-01T06:00:00.000Z``."""
        return f"PID {self.pid} on host {self.host}, started {self.started}"


@dataclass(frozen=True)
class RunLockGrant:
    """The lock taken: this run's ``holder``, and the ``stale`` holder it took over (a run
    that ended without releasing the lock), or None."""

    holder: RunHolder
    stale: RunHolder | None = None
    notice: str = ""
    """The notice to show when a stale lock was taken over ('' otherwise)."""


@runtime_checkable
class RunLock(Protocol):
    """The lock that keeps daily runs on one database apart."""

    def acquire(self, started: str) -> RunLockGrant:
        """Take the lock for this process, for a run started at ``started`` (ISO UTC),
        without waiting.

        Raises
        ------
        RunLockedError
            Another run holds it (the message names its PID, host and start time).
        DatabaseError
            The lock file cannot be created or opened (the message names it).
        """
        ...

    def release(self) -> None:
        """Give the lock up (nothing when this process does not hold it)."""
        ...
