"""Argument checks shared by the public API: numeric thresholds (cross-match arguments and
filters) and the kinds of arguments (tables, flags, texts, paths, lists of names), so that a
wrong type is a :class:`~astromon.domain.errors.ValidationError` naming the argument, never a
``TypeError`` or ``AttributeError`` from deep inside."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from astromon.domain.errors import ValidationError

PathArg = str | os.PathLike[str]
"""A path argument of the public API: a string or an ``os.PathLike``."""

__all__ = [
    "PathArg",
    "require_choice",
    "require_flag",
    "require_instance",
    "require_names",
    "require_path",
    "require_table",
    "require_text",
    "validate_threshold",
]


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


def require_table(name: str, value: Any, *, optional: bool = False) -> Any:
    """``value`` if it is a table (it has ``colnames``, as astropy tables do), else refuse it.

    Raises
    ------
    ValidationError
        ``value`` is not a table (nor None when ``optional``); the message names ``name`` and
        the type given.
    """
    if value is None and optional:
        return None
    if not hasattr(value, "colnames") or not hasattr(value, "__len__"):
        raise ValidationError(f"{name} must be an astropy Table, got {_shown(value)}")
    return value


def require_flag(name: str, value: Any) -> bool:
    """``value`` as a bool: True, False, numpy booleans, or the integers 0 and 1.

    Raises
    ------
    ValidationError
        Anything else (a text, an array, None...).
    """
    if isinstance(value, bool | np.bool_) or (
        isinstance(value, int | np.integer) and int(value) in (0, 1)
    ):
        return bool(value)
    raise ValidationError(f"{name} must be True or False, got {_shown(value)}")


def require_text(name: str, value: Any, *, optional: bool = False) -> Any:
    """``value`` if it is a str (or None when ``optional``), else refuse it."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a text (str), got {_shown(value)}")
    return value


def require_path(name: str, value: Any, *, optional: bool = False) -> Any:
    """``value`` as a path string if it is one (str or os.PathLike, without NUL characters).

    Returns None for None when ``optional``; nothing is looked up on disk.

    Raises
    ------
    ValidationError
        Not a path, or a path holding a NUL character.
    """
    if value is None and optional:
        return None
    try:
        text = os.fspath(value)
    except TypeError:
        raise ValidationError(
            f"{name} must be a path (str or os.PathLike), got {_shown(value)}"
        ) from None
    if not isinstance(text, str) or "\x00" in text or not text:
        raise ValidationError(f"{name} must be a non-empty path without NUL, got {value!r}")
    return text


def require_names(name: str, value: Any, *, optional: bool = False) -> Any:
    """``value`` as a list of str: one str, or a sequence of str (None when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"{name} must be a text or a list of texts, got {_shown(value)}")
    items = list(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise ValidationError(f"{name} must hold texts only, got {_shown(bad[0])}")
    return items


def require_instance(name: str, value: Any, kind: Any, what: str, *, optional: bool = True) -> Any:
    """``value`` if it is an instance of ``kind`` (a class or runtime-checkable protocol),
    described as ``what`` in the message (None passes when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, kind):
        raise ValidationError(f"{name} must be {what}, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def require_choice(what: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of the names ``choices``.

    Raises
    ------
    ValidationError
        ``value`` is not one of them: ``unknown {what} {value!r}: must be one of ...``.
    """
    if not isinstance(value, str) or value not in choices:
        shown = repr(value) if isinstance(value, str) else _shown(value)
        raise ValidationError(f"unknown {what} {shown}: must be one of {', '.join(choices)}")
    return value
