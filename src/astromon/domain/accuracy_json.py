"""The record of an accuracy statement, read back from JSON.

:meth:`~astromon.domain.accuracy.AccuracyStatement.record` writes the statement as
``summary.json`` holds it: the window ``start_date`` and ``end_date`` (``YYYY-MM-DD``), its
length ``n_years``, the ``snr`` of the selection, the figures over all detectors (``n``,
``q68``, ``q90``, ``q99``, ``max_offset``, ``rms``, ``percent_above_1arcsec``; null for NaN)
and the same figures per detector (``ACIS_S`` ...). :func:`read_statement` is its inverse:
``read_statement(r).record() == r`` for every record it writes. Reading is lenient about
layout (keys it does not know are ignored; a missing ``snr`` or figure is null, a missing
``n_years`` :data:`~astromon.domain.accuracy.DEFAULT_YEARS`) and strict about values: a
value that no statement has is a :class:`~astromon.domain.errors.ValidationError` naming the
key and the value.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import fields
from typing import Final

from astromon.domain import json_values as jv
from astromon.domain.accuracy import (
    DEFAULT_YEARS,
    AccuracyFigures,
    AccuracyStatement,
    detector_key,
    iso_date,
)
from astromon.domain.statistics import DETECTORS
from astromon.domain.time import CxoTime

__all__ = ["read_figures", "read_statement"]

_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE: Final = "a date YYYY-MM-DD"


def _date(key: str, value: object) -> float:
    """The CXC seconds of a record's ``YYYY-MM-DD`` date (its midnight, UTC)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise jv.wrong(key, _DATE, value)
    try:
        with warnings.catch_warnings():  # years far from now: ERFA's "dubious year"
            warnings.filterwarnings("ignore", message=".*dubious year")
            secs = float(CxoTime(value).secs)
            again = iso_date(secs)
    except ValueError:  # no such day (2019-02-30)
        raise jv.wrong(key, _DATE, value) from None
    if again != value:
        raise jv.wrong(key, _DATE, value)
    return secs


def read_figures(record: object, key: str = "figures") -> AccuracyFigures:
    """The figures of a record written by :meth:`AccuracyFigures.record` (null read as NaN).

    ``n`` > 0 with a null figure is accepted: ``record`` writes one that overflowed.

    Parameters
    ----------
    record : object
        The record, as read from JSON.
    key : str
        The record's name in error messages (``figures`` → ``key 'figures.q90'``).

    Raises
    ------
    ValidationError
        Not an object, ``n`` not a count >= 0, a figure neither null nor a number >= 0
        (``percent_above_1arcsec`` up to 100), or a number although ``n`` is 0.
    """
    data = jv.json_object(key, record)
    n = data.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise jv.wrong(f"{key}.n", "a count >= 0", n)
    values: dict[str, float] = {}
    for name in (f.name for f in fields(AccuracyFigures) if f.name != "n"):
        value, where = data.get(name), f"{key}.{name}"
        if value is None:
            values[name] = math.nan
        elif n == 0:
            raise jv.wrong(where, "null (n is 0)", value)
        elif name == "percent_above_1arcsec":
            values[name] = jv.number(
                where, value, "a percentage from 0 to 100 or null", lambda v: 0 <= v <= 100
            )
        else:
            values[name] = jv.number(where, value, "a number >= 0 or null", lambda v: v >= 0)
    return AccuracyFigures(n=n, **values)


def read_statement(record: object, key: str = "accuracy") -> AccuracyStatement:
    """The statement of a record written by :meth:`AccuracyStatement.record`.

    ``start`` and ``end`` are the midnights (UTC) of the recorded dates, so the statement
    states the same window. The detectors are those of
    :data:`~astromon.domain.statistics.DETECTORS` the record has, in that order.

    Parameters
    ----------
    record : object
        The record, as read from JSON.
    key : str
        The record's name in error messages (``figures`` → ``key 'figures.end_date'``).

    Raises
    ------
    ValidationError
        Not an object, a date that is not a real ``YYYY-MM-DD`` day, ``snr`` neither null
        nor a number >= 0, ``n_years`` not a number > 0, or figures :func:`read_figures`
        refuses.
    """
    data = jv.json_object(key, record)
    snr = data.get("snr")
    n_years = data.get("n_years", DEFAULT_YEARS)
    return AccuracyStatement(
        start=_date(f"{key}.start_date", data.get("start_date")),
        end=_date(f"{key}.end_date", data.get("end_date")),
        n_years=jv.number(f"{key}.n_years", n_years, "a number > 0", lambda v: v > 0),
        snr=None
        if snr is None
        else jv.number(f"{key}.snr", snr, "a number >= 0 or null", lambda v: v >= 0),
        overall=read_figures(data, key),
        detectors={
            name: read_figures(data[detector_key(name)], f"{key}.{detector_key(name)}")
            for name in DETECTORS
            if detector_key(name) in data
        },
    )
