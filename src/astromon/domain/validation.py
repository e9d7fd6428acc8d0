"""Validation of arguments shared by several entry points: numeric thresholds (cross-match
arguments, filters) and file paths."""

from __future__ import annotations

import math
import os
from typing import Any

from astromon.domain.errors import ValidationError

__all__ = ["path_argument", "validate_threshold"]


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


def path_argument(name: str, value: Any) -> str:
    """``value`` as the text of a file path: a non-empty ``str`` or ``os.PathLike``.

    Raises
    ------
    ValidationError
        ``value`` is not a path (a number, None, bytes...), is empty or holds a NUL
        character (the message names ``name`` and the value).
    """
    try:
        text = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    except TypeError:  # a PathLike whose __fspath__ returns no text
        text = None
    if not isinstance(text, str) or not text or "\x00" in text:
        raise ValidationError(f"{name} must be a file path (str or os.PathLike), got {value!r}")
    return text
