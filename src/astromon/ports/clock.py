"""The clock port, so that time-stamps (region ``last_modified``, report periods) are testable.

Services get the current time only through this port; the system clock is the adapter
``astromon_adapters.system_clock.SystemClock``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Clock"]


@runtime_checkable
class Clock(Protocol):
    def now_date(self) -> str:
        """The current time as a Chandra date ``YYYY:DDD:hh:mm:ss.sss``."""
        ...
