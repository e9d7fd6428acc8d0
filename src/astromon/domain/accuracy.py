"""The accuracy statement: radii of the x-ray to counterpart offsets over a recent window.

The CXC states the absolute astrometric accuracy of Chandra as radii of the offsets ``dr``
between x-ray sources and their catalog counterparts: over the matches of the last 5 years
(``now - 5 years < time <= now``, a year of 365.25 days), the 68%, 90% and 99% quantiles of
``dr`` and the worst offset, ``max(dr)``. sot/astromon computes these figures in
``create_figures_cal`` of its ``web/celmon.py`` (interpolating a cumulative histogram of dr in
0.01 arcsec bins); astromon takes the quantiles with :func:`numpy.percentile` (linear
interpolation between order statistics), through
:func:`astromon.domain.statistics.dr_quantiles`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from astromon.domain.errors import ValidationError
from astromon.domain.statistics import SECONDS_PER_YEAR, dr_quantiles
from astromon.domain.time import CxoTime

__all__ = ["ACCURACY_YEARS", "AccuracyFigures", "accuracy_figures"]

ACCURACY_YEARS: Final = 5.0
"""Length of the window of the accuracy statement, in years of 365.25 days."""


@dataclass(frozen=True)
class AccuracyFigures:
    """The radii of ``dr`` over a time window, in arcsec.

    Attributes
    ----------
    n : int
        Matches in the window.
    q68, q90, q99 : float or None
        The 68%, 90% and 99% quantiles of dr (arcsec); None when ``n`` is 0.
    max_offset : float or None
        The largest dr (arcsec); None when ``n`` is 0.
    window_start, window_stop : str
        The window as Chandra dates: ``window_start < time <= window_stop``.
    years : float
        Length of the window in years of 365.25 days.
    selection : str
        The matches the figures are taken over, in words (the cross-match and its filters).

    Raises
    ------
    ValidationError
        A negative ``n``, a radius that is negative, NaN or infinite, a radius missing while
        ``n`` > 0 (or given while ``n`` is 0), or a bad ``years``.
    """

    n: int
    q68: float | None
    q90: float | None
    q99: float | None
    max_offset: float | None
    window_start: str
    window_stop: str
    years: float = ACCURACY_YEARS
    selection: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise ValidationError(f"figures: n must be a count >= 0, got {self.n!r}")
        for name in ("q68", "q90", "q99", "max_offset"):
            value = getattr(self, name)
            if value is None:
                if self.n > 0:
                    raise ValidationError(f"figures: {name} is missing although n = {self.n}")
                continue
            if self.n == 0:
                raise ValidationError(f"figures: {name} = {value!r} although n = 0")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValidationError(
                    f"figures: {name} must be a finite radius >= 0 arcsec, got {value!r}"
                )
        if (
            isinstance(self.years, bool)
            or not isinstance(self.years, int | float)
            or not (math.isfinite(self.years) and self.years > 0)
        ):
            raise ValidationError(f"figures: years must be a positive number, got {self.years!r}")


def accuracy_figures(
    dr: ArrayLike,
    times: ArrayLike,
    now: float,
    *,
    years: float = ACCURACY_YEARS,
    selection: str = "",
) -> AccuracyFigures:
    """The radii of ``dr`` over the ``years`` before ``now`` (``now - years < time <= now``).

    Parameters
    ----------
    dr : array
        Offsets between x-ray sources and counterparts (arcsec); NaN values are left out.
    times : array
        Time of each match (CXC seconds, e.g. the observation's tstart).
    now : float
        The end of the window (CXC seconds).
    years : float
        Length of the window in years of 365.25 days (default 5).
    selection : str
        The selection the matches come from, in words, kept with the figures.

    Raises
    ------
    ValidationError
        ``dr`` and ``times`` differ in length or are not numeric, ``now`` is not finite,
        ``years`` is not a positive number.
    """
    if not (
        isinstance(years, int | float)
        and not isinstance(years, bool)
        and math.isfinite(years)
        and years > 0
    ):
        raise ValidationError(f"years must be a positive number, got {years!r}")
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise ValidationError(f"now must be a finite time in CXC seconds, got {now!r}")
    try:
        d = np.asarray(dr, dtype=np.float64).ravel()
        t = np.asarray(times, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"dr and times must be numeric: {exc}") from None
    if d.size != t.size:
        raise ValidationError(f"dr and times differ in length ({d.size}, {t.size})")
    start = float(now) - years * SECONDS_PER_YEAR
    inside = d[(t > start) & (t <= now) & np.isfinite(d)]
    n = int(inside.size)
    quantiles = dr_quantiles(inside)
    radius: dict[float, float | None] = {q: (v if n else None) for q, v in quantiles.items()}
    return AccuracyFigures(
        n=n,
        q68=radius[68.0],
        q90=radius[90.0],
        q99=radius[99.0],
        max_offset=float(inside.max()) if n else None,
        window_start=str(CxoTime(start).date),
        window_stop=str(CxoTime(float(now)).date),
        years=float(years),
        selection=selection,
    )
