"""The clock port, so that time-stamps (region ``last_modified``) are testable."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    def now_date(self) -> str:
        """The current time as a Chandra date ``YYYY:DDD:hh:mm:ss.sss``."""
        ...


class SystemClock:
    """The real clock."""

    def now_date(self) -> str:
        from astromon.domain.time import chandra_date_now

        return chandra_date_now()
