"""Values read from a JSON record, each checked: the error names the key and the value.

The readers of astromon's JSON records (the run record of :mod:`astromon.domain.daily_run`,
the accuracy statement's record of :mod:`astromon.domain.accuracy`) are lenient about layout
and strict about values; these checks are the strict part. ``key`` is the path of the value in
the record (``figures.q90``, ``failed[0].obsid``); the message reads ``key 'figures.q90':
expected a number >= 0 or null, got -0.1`` (a long value cut to 80 characters). A value that
passes is returned as it was read (an integer stays an integer), so a record written again
is the same text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from astromon.domain.errors import ValidationError

__all__ = ["integer", "items", "json_object", "number", "shown", "text", "wrong"]

_SHOWN: Final = 80  # characters of a bad value shown in a message

T = TypeVar("T")


def shown(value: object) -> str:
    """``repr(value)``, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def wrong(key: str, expected: str, value: object) -> ValidationError:
    """The error of a value at ``key`` that is not what was ``expected``."""
    return ValidationError(f"key {key!r}: expected {expected}, got {shown(value)}")


def text(key: str, value: object) -> str:
    """A string."""
    if not isinstance(value, str):
        raise wrong(key, "a string", value)
    return value


def integer(key: str, value: object, minimum: int) -> int:
    """An integer (not a boolean) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise wrong(key, f"an integer >= {minimum}", value)
    return value


def number(
    key: str,
    value: object,
    expected: str = "a finite number",
    within: Callable[[float], bool] = lambda _: True,
) -> float:
    """A finite number (an integer or a float, not a boolean) for which ``within`` holds;
    ``expected`` says what that is in the message."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong(key, expected, value)
    try:
        good = math.isfinite(value) and within(float(value))
    except OverflowError:  # an integer beyond the floats
        good = False
    if not good:
        raise wrong(key, expected, value)
    return value


def json_object(key: str, value: object) -> Mapping[str, object]:
    """A JSON object (a dict)."""
    if not isinstance(value, dict):
        raise wrong(key, "an object", value)
    return value


def items(key: str, value: object, read: Callable[[str, object], T]) -> tuple[T, ...]:
    """A JSON list, each item read by ``read(f"{key}[i]", item)``."""
    if not isinstance(value, list):
        raise wrong(key, "a list", value)
    return tuple(read(f"{key}[{i}]", item) for i, item in enumerate(value))
