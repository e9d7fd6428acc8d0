"""Validation of numeric thresholds shared by the cross-match arguments and the filters."""

from __future__ import annotations

import math
from typing import Any

from astromon.domain.errors import ValidationError

__all__ = ["validate_threshold"]


def validate_threshold(name: str, value: Any) -> float:
    """``value`` as a float, checked to be a finite, non-negative number.

    Raises
    ------
    ValidationError
        ``value`` is not a real number, is NaN/infinite or is negative (the message names
        ``name`` and the value).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{name} must be a number, got {value!r}") from None
    else:
        number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValidationError(f"{name} must be a finite number, got {value!r}")
    if number < 0:
        raise ValidationError(f"{name} must not be negative, got {value!r}")
    return number
