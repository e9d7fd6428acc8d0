"""The run-log port: the record of every daily run, appended once per run, read back.

A record (:class:`~astromon.domain.daily_run.DailyRun`) is appended whole when the run ends,
so a run that crashed part-way leaves no partial record. Several processes may append to the
same log at once; no record is torn or lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from astromon.domain.daily_run import DailyRun
from astromon.domain.run_history import RunHistory

__all__ = ["RunLog"]


@runtime_checkable
class RunLog(Protocol):
    """An append-only log of daily runs."""

    path: Path
    """The log file."""

    def append(self, run: DailyRun) -> None:
        """Add the record of ``run`` at the end of the log, durably (on disk when it returns).

        Raises
        ------
        DatabaseError
            The log cannot be written (the message names the file and the system error).
        """
        ...

    def history(self, last: int | None = None) -> RunHistory:
        """The recorded runs, oldest first (only the last ``last`` when given), and the
        damaged lines met (each with its line number). No log yet is an empty history.

        Raises
        ------
        DatabaseError
            The log exists but cannot be read.
        ValidationError
            ``last`` is negative.
        """
        ...
