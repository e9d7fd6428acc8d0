"""Obsid lists for batches: obsids, inclusive ranges, files of obsids, time ranges."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from astromon.domain.errors import ValidationError
from astromon.domain.observation_rules import MAX_OBSID, MIN_OBSID, obsid_in_range
from astromon.domain.time import CxoTime
from astromon.ports.input_files import InputFiles
from astromon.ports.observation import ArchiveRetriever

__all__ = [
    "DEFAULT_DAYS",
    "default_time_range",
    "find_obsids",
    "parse_obsids",
    "read_obsid_file",
]

DEFAULT_DAYS = 30.0
"""A batch given neither obsids nor a start processes the observations of the last 30 days."""
_RANGE = re.compile(r"^\s*([0-9]+)\s*-\s*([0-9]+)\s*$")


def _check_obsid(value: int, text: object) -> int:
    if not obsid_in_range(value):
        raise ValidationError(
            f"obsid {text!r} is out of range ({MIN_OBSID} to {MAX_OBSID}; 0 is not an observation)"
        )
    return value


def parse_obsids(specs: Iterable[str | int]) -> list[int]:
    """Expand obsids and inclusive ranges (``"14530-14540"``) into a list without duplicates.

    Parameters
    ----------
    specs : iterable of str or int
        Each item is an obsid (``14530`` or ``"14530"``), an inclusive range ``"A-B"`` or a
        comma-separated list of those.

    Returns
    -------
    list of int
        The obsids in the order given, each once.

    Raises
    ------
    ValidationError
        An item is not an obsid or range, is negative or too large, or a range is reversed.
    """
    out: dict[int, None] = {}
    for spec in specs:
        if isinstance(spec, bool):
            raise ValidationError(f"obsid {spec!r} is not an integer")
        if isinstance(spec, int | np.integer):
            out[_check_obsid(int(spec), spec)] = None
            continue
        text = str(spec)
        if not text.replace(",", "").strip():
            raise ValidationError(f"{text!r} holds no obsid")
        for part in (p for p in text.split(",") if p.strip()):
            match = _RANGE.match(part)
            if match:
                first, last = int(match.group(1)), int(match.group(2))
                _check_obsid(first, part)
                _check_obsid(last, part)
                if last < first:
                    raise ValidationError(f"obsid range {part.strip()!r} is reversed")
                if last - first > 1_000_000:
                    raise ValidationError(f"obsid range {part.strip()!r} is too long")
                for obsid in range(first, last + 1):
                    out[obsid] = None
                continue
            stripped = part.strip()
            if not (stripped.isascii() and stripped.isdigit()):
                raise ValidationError(
                    f"{stripped!r} is not an obsid or a range of obsids (such as 14530-14540)"
                )
            out[_check_obsid(int(stripped), stripped)] = None
    return list(out)


def read_obsid_file(
    path: str | os.PathLike[str], files: InputFiles, what: str = "obsid file"
) -> list[int]:
    """Read obsids from a text file: obsids or ranges separated by spaces, commas or lines.

    Text after ``#`` on a line is a comment. ``files`` reads the file (the input-files port);
    ``what`` names it in messages (``'--obsid-file'``).

    Raises
    ------
    ValidationError
        The file cannot be read (nothing there, not a regular file, not UTF-8 text), or holds
        something that is not an obsid (the message names the file and line).
    """
    text = files.read_text(path, what)
    specs: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        tokens = [t for t in re.split(r"[\s,]+", content) if t]
        try:
            parse_obsids(tokens)
        except ValidationError as exc:
            raise ValidationError(f"{Path(path)}:{lineno}: {exc}") from None
        specs.extend(tokens)
    return parse_obsids(specs)


def find_obsids(archive: ArchiveRetriever, start: Any, stop: Any) -> list[int]:
    """Obsids of the observations that started between ``start`` and ``stop``.

    Parameters
    ----------
    archive : ArchiveRetriever
        The archive to ask.
    start, stop : CxoTime-compatible
        The time range (Chandra dates, ISO dates or CXC seconds).

    Raises
    ------
    ValidationError
        A time cannot be parsed, or ``stop`` is before ``start``.
    """
    try:
        t_start, t_stop = CxoTime(start), CxoTime(stop)
    except Exception as exc:
        raise ValidationError(f"cannot parse the time range {start!r} to {stop!r}: {exc}") from exc
    if float(t_stop.secs) < float(t_start.secs):
        raise ValidationError(f"the time range ends ({stop!r}) before it starts ({start!r})")
    return parse_obsids(archive.find_obsids(str(t_start.date), str(t_stop.date)))


def default_time_range(
    start: Any = None, stop: Any = None, now: Any = None, days: float = DEFAULT_DAYS
) -> tuple[str, str]:
    """The time range of a batch given by dates: ``stop`` defaults to now and ``start`` to
    ``days`` before ``stop``.

    Parameters
    ----------
    start, stop : CxoTime-compatible, optional
        The range given (Chandra dates, ISO dates or CXC seconds).
    now : CxoTime-compatible, optional
        The current time (default: the clock).
    days : float
        Length of the default range (days).

    Returns
    -------
    tuple of str
        ``(start, stop)`` as Chandra dates.

    Raises
    ------
    ValidationError
        A time cannot be parsed (the message names ``start``, ``stop`` or ``now``).
    """
    values = {}
    for name, value in (("start", start), ("stop", stop), ("now", now)):
        if value is None:
            continue
        try:
            values[name] = CxoTime(value)
        except Exception:
            raise ValidationError(f"{name} {value!r} is not a date") from None
    t_stop = values.get("stop", values.get("now", CxoTime.now()))
    t_start = values.get("start", CxoTime(float(t_stop.secs) - days * 86400.0))
    return str(t_start.date), str(t_stop.date)
