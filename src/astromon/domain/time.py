"""Chandra time: :class:`CxoTime`.

When the ``cxotime`` package is importable its ``CxoTime`` is used. Otherwise astromon provides
a compatible type built on :class:`astropy.time.Time`:

* numbers (and numeric arrays) are CXC seconds, seconds since 1998-01-01T00:00:00 TT;
* ``YYYY:DDD[:hh:mm:ss.sss]`` strings are Chandra dates (UTC);
* other strings (ISO ``YYYY-MM-DDThh:mm:ss`` ...) are parsed by astropy as UTC;
* no argument (and ``CxoTime.now()``) means now: kept for compatibility with ``cxotime``,
  this is the only place the domain reads the system clock, and no domain function calls it
  (services take the current time from the ``Clock`` port);
* ``.secs`` (CXC seconds), ``.date`` (Chandra date string), ``.frac_year`` (decimal year).
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any

import numpy as np
from astropy.time import Time

__all__ = ["CxoTime", "to_cxc_seconds"]

_YDAY = re.compile(r"^\s*\d{4}:\d{1,3}(:\d{1,2}(:\d{1,2}(:\d{1,2}(\.\d*)?)?)?)?\s*$")


def _looks_like_yday(value: Any) -> bool:
    arr = np.asarray(value)
    if arr.dtype.kind not in "SU" or arr.size == 0:
        return False
    first = arr.flat[0]
    text = first.decode() if isinstance(first, bytes) else str(first)
    return bool(_YDAY.match(text))


def _normalise_yday(value: Any) -> Any:
    """Astropy's 'yday' format wants hh:mm:ss; Chandra dates may stop at the day or minute."""

    def fix(text: str) -> str:
        parts = text.strip().split(":")
        while len(parts) < 5:
            parts.append("00")
        parts[1] = parts[1].zfill(3)
        return ":".join(parts)

    arr = np.asarray(value)
    if arr.ndim == 0:
        item = arr.item()
        return fix(item.decode() if isinstance(item, bytes) else str(item))
    flat = [fix(v.decode() if isinstance(v, bytes) else str(v)) for v in arr.ravel()]
    return np.array(flat).reshape(arr.shape)


class _AstromonCxoTime(Time):  # type: ignore[misc]
    """CxoTime-compatible time on top of astropy Time (see the module docstring)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _AstromonCxoTime:
        if not args or (len(args) == 1 and args[0] is None):
            return super().__new__(cls, 0.0)  # type: ignore[no-any-return]
        return super().__new__(cls, *args, **kwargs)  # type: ignore[no-any-return]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args or (len(args) == 1 and args[0] is None):
            now = Time.now()
            super().__init__(now.jd1, now.jd2, format="jd", scale="utc", **kwargs)
            self.format = "yday"
            return
        val = args[0]
        rest = args[1:]
        if isinstance(val, Time):
            super().__init__(val, *rest, **kwargs)
            return
        fmt = kwargs.pop("format", None)
        scale = kwargs.pop("scale", None)
        if fmt is None:
            arr = np.asarray(val)
            if arr.dtype.kind in "iuf":
                fmt = "cxcsec"
            elif _looks_like_yday(val):
                fmt = "yday"
                val = _normalise_yday(val)
            elif arr.dtype.kind in "SU":
                val = np.char.decode(arr, "ascii") if arr.dtype.kind == "S" else val
        if fmt in ("secs", "cxcsec"):
            fmt = "cxcsec"
        elif fmt == "date":
            fmt = "yday"
            val = _normalise_yday(val)
        if scale is None and fmt != "cxcsec":
            scale = "utc"
        super().__init__(val, *rest, format=fmt, scale=scale, **kwargs)

    @classmethod
    def now(cls) -> _AstromonCxoTime:
        """The current time."""
        return cls()

    @property
    def secs(self) -> Any:
        """CXC seconds (float or array)."""
        return self.cxcsec

    @property
    def date(self) -> Any:
        """Chandra date string ``YYYY:DDD:hh:mm:ss.sss`` (UTC)."""
        return self.utc.yday

    @property
    def frac_year(self) -> Any:
        """Decimal year."""
        return self.decimalyear


if TYPE_CHECKING:
    CxoTime = _AstromonCxoTime
else:
    try:  # pragma: no cover - depends on the environment
        CxoTime = importlib.import_module("cxotime").CxoTime
    except ImportError:
        CxoTime = _AstromonCxoTime


def to_cxc_seconds(value: Any) -> float:
    """CXC seconds of a CxoTime-compatible value (number, Chandra date, ISO date or Time)."""
    return float(CxoTime(value).secs)
