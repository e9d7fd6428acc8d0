"""The system clock (implements the ``Clock`` port): the current time as a Chandra date."""

from __future__ import annotations

from astromon.domain.time import CxoTime

__all__ = ["SystemClock"]


class SystemClock:
    """Reads the system clock (UTC) once per call."""

    def now_date(self) -> str:
        """The current time as a Chandra date ``YYYY:DDD:hh:mm:ss.sss``."""
        return str(CxoTime.now().date)
