"""The options of the per-observation alignment fit, validated once.

Units: ``residual_limit``, ``flag_threshold`` and ``min_spread`` in arcsec; ``k_sigma`` and
``flag_sigma`` in standard deviations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

import numpy as np

from astromon.domain.errors import ValidationError

__all__ = ["MAX_FLAG_SIGMA", "AlignmentOptions"]

MAX_FLAG_SIGMA: Final = 30.0
"""Largest ``flag_sigma`` accepted (beyond it the Gaussian tail probability underflows)."""


@dataclass(frozen=True)
class AlignmentOptions:
    """Options of :func:`astromon.domain.alignment.fit_alignment`.

    Attributes
    ----------
    k_sigma : float
        A pair is rejected when the length of its residual exceeds ``k_sigma`` times its
        1-sigma per-axis position error (default 3).
    residual_limit : float or None
        A pair is also rejected when the length of its residual exceeds this (arcsec);
        None (default): no absolute limit.
    flag_threshold : float
        An observation is flagged only if its shift ``hypot(dy, dz)`` exceeds this (arcsec,
        default 0.5).
    flag_sigma : float
        ... and only if the shift is significant at more than this many Gaussian standard
        deviations (default 3, at most 30).
    min_pairs_roll : int
        A roll is fitted only with at least this many pairs (default 3, at least 2).
    min_spread : float
        ... and only if the weighted RMS distance of the catalog positions from their
        weighted centroid is at least this (arcsec, default 10).
    max_iterations : int
        At most this many rejection rounds (default 10; 0 rejects nothing).
    """

    k_sigma: float = 3.0
    residual_limit: float | None = None
    flag_threshold: float = 0.5
    flag_sigma: float = 3.0
    min_pairs_roll: int = 3
    min_spread: float = 10.0
    max_iterations: int = 10

    def __post_init__(self) -> None:
        _set(self, "k_sigma", _number("k_sigma", self.k_sigma, positive=True))
        if self.residual_limit is not None:
            _set(
                self,
                "residual_limit",
                _number("residual_limit", self.residual_limit, positive=True),
            )
        _set(self, "flag_threshold", _number("flag_threshold", self.flag_threshold))
        flag_sigma = _number("flag_sigma", self.flag_sigma, positive=True)
        if flag_sigma > MAX_FLAG_SIGMA:
            raise ValidationError(
                f"flag_sigma must be at most {MAX_FLAG_SIGMA}, got {self.flag_sigma!r}"
            )
        _set(self, "flag_sigma", flag_sigma)
        _set(self, "min_pairs_roll", _integer("min_pairs_roll", self.min_pairs_roll, 2))
        _set(self, "min_spread", _number("min_spread", self.min_spread))
        _set(self, "max_iterations", _integer("max_iterations", self.max_iterations, 0))

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> AlignmentOptions:
        """Build from keyword arguments; unknown keywords raise ValidationError naming them."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise ValidationError(f"unknown alignment option(s) {unknown}; known options: {known}")
        return cls(**dict(kwargs))

    @property
    def flag_chi2(self) -> float:
        """The shift's chi-square (2 degrees of freedom) above which it is significant.

        The value whose tail probability ``exp(-chi2 / 2)`` equals the two-sided Gaussian
        tail beyond ``flag_sigma``, ``erfc(flag_sigma / sqrt(2))``: 11.83 for 3 sigma.
        """
        return -2.0 * math.log(math.erfc(self.flag_sigma / math.sqrt(2.0)))


def _set(options: AlignmentOptions, name: str, value: Any) -> None:
    object.__setattr__(options, name, value)


def _number(name: str, value: Any, *, positive: bool = False) -> float:
    """``value`` as a finite float, > 0 with ``positive``, else >= 0."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise ValidationError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{name} must be a finite number, got {value!r}")
    if positive and number <= 0:
        raise ValidationError(f"{name} must be positive, got {value!r}")
    if number < 0:
        raise ValidationError(f"{name} must not be negative, got {value!r}")
    return number


_MAX_COUNT: Final = 2**31 - 1
"""Largest count an option may hold (the counts it is compared with are 32-bit)."""


def _integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValidationError(f"{name} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise ValidationError(f"{name} must be at least {minimum}, got {value!r}")
    if int(value) > _MAX_COUNT:
        raise ValidationError(f"{name} must be at most {_MAX_COUNT}, got {value!r}")
    return int(value)
