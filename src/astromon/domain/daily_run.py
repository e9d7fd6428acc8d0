"""The record of one daily run, and its exact JSON form (one line per run).

A line is a JSON object (ASCII only: other characters are ``\\u`` escapes, so the line holds
no raw newline or control character and reads back to the same strings). Keys:

| key | value |
|---|---|
| `format` | version of this layout (1) |
| `start`, `stop` | ISO 8601 UTC times, `2024-05-01T06:00:00.000Z` |
| `start_date`, `stop_date` | the same times as Chandra dates, `2024:122:06:00:00.000` |
| `database` | the database file |
| `days` | the run processed the observations of the last `days` days |
| `processed` | obsids processed and saved |
| `failed` | `{"obsid", "reason", "message"}` of each obsid that failed |
| `skipped` | `{"obsid", "reason", "message"}` of each obsid skipped |
| `figures` | the accuracy statement (the fields of `AccuracyFigures`), or null |
| `max_q90` | the limit of the 90% radius in force, arcsec |
| `alarms` | `{"kind", "message", "value", "limit"}` of each alarm that fired |
| `exit_code` | 0 all well, 3 partial failure or alarm, 1 error |
| `error` | the error that stopped the run ("" when none) |
| `astromon_version`, `host`, `pid` | the program and process that ran |

Reading (:func:`run_from_json`) is lenient about layout and strict about values: unknown keys
(from a newer version) are ignored, a missing key takes its default (``start``,
``start_date`` and ``exit_code`` are required), and a value of the wrong type is a
:class:`~astromon.domain.errors.ValidationError` naming the key and the value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final, TypeVar

from astromon.domain.accuracy import ACCURACY_YEARS, AccuracyFigures
from astromon.domain.alarms import DEFAULT_MAX_Q90, Alarm, exit_code
from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime

__all__ = [
    "RECORD_FORMAT",
    "DailyRun",
    "ObservationNote",
    "iso_utc",
    "run_from_json",
    "run_to_json",
]

RECORD_FORMAT: Final = 1
"""Version of the record layout written by this astromon (the ``format`` key)."""

T = TypeVar("T")


def iso_utc(date: str) -> str:
    """The ISO 8601 UTC form (``2024-05-01T06:00:00.000Z``) of a Chandra date.

    Raises
    ------
    ValidationError
        ``date`` is not a time astromon can read.
    """
    try:
        return f"{CxoTime(date).isot}Z"
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{date!r} is not a Chandra date: {exc}") from None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _wrong(key: str, expected: str, value: object) -> ValidationError:
    return ValidationError(f"key {key!r}: expected {expected}, got {_shown(value)}")


def _string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise _wrong(key, "a string", value)
    return value


def _integer(key: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _wrong(key, f"an integer >= {minimum}", value)
    return value


def _number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _wrong(key, "a finite number", value)
    return value


@dataclass(frozen=True)
class ObservationNote:
    """An obsid with why it failed or was skipped: a short ``reason`` and a ``message``."""

    obsid: int
    reason: str
    message: str = ""

    def __post_init__(self) -> None:
        _integer("obsid", self.obsid, 1)
        _string("reason", self.reason)
        _string("message", self.message)


@dataclass(frozen=True)
class DailyRun:
    """One daily run, as recorded (see the module docstring for the meaning of each field).

    Build a finished run with :meth:`finished`, which derives the ISO times and the exit
    code. Times are strings as recorded; counts and obsids are validated on construction.

    Raises
    ------
    ValidationError
        A field of the wrong type (named with its value).
    """

    start: str
    start_date: str
    exit_code: int
    stop: str = ""
    stop_date: str = ""
    database: str = ""
    days: int | None = None
    processed: tuple[int, ...] = ()
    failed: tuple[ObservationNote, ...] = ()
    skipped: tuple[ObservationNote, ...] = ()
    figures: AccuracyFigures | None = None
    max_q90: float = DEFAULT_MAX_Q90
    alarms: tuple[Alarm, ...] = ()
    error: str = ""
    astromon_version: str = ""
    host: str = ""
    pid: int | None = None

    def __post_init__(self) -> None:
        for name in ("start", "start_date", "stop", "stop_date", "database", "error"):
            _string(name, getattr(self, name))
        for name in ("astromon_version", "host"):
            _string(name, getattr(self, name))
        _integer("exit_code", self.exit_code, 0)
        if self.days is not None:
            _integer("days", self.days, 0)
        if self.pid is not None:
            _integer("pid", self.pid, 1)
        for obsid in self.processed:
            _integer("processed", obsid, 1)
        for name, kind in (("failed", ObservationNote), ("skipped", ObservationNote)):
            for item in getattr(self, name):
                if not isinstance(item, kind):
                    raise _wrong(name, kind.__name__, item)
        for alarm in self.alarms:
            if not isinstance(alarm, Alarm):
                raise _wrong("alarms", "Alarm", alarm)
        if self.figures is not None and not isinstance(self.figures, AccuracyFigures):
            raise _wrong("figures", "AccuracyFigures or None", self.figures)
        _number("max_q90", self.max_q90)

    @classmethod
    def finished(
        cls,
        *,
        start_date: str,
        stop_date: str,
        database: str,
        days: int | None,
        processed: Sequence[int],
        failed: Sequence[ObservationNote],
        skipped: Sequence[ObservationNote],
        figures: AccuracyFigures | None,
        alarms: Sequence[Alarm],
        error: str = "",
        max_q90: float = DEFAULT_MAX_Q90,
        astromon_version: str = "",
        host: str = "",
        pid: int | None = None,
    ) -> DailyRun:
        """The record of a run that ended at ``stop_date`` (Chandra dates from the clock).

        The exit code follows :func:`astromon.domain.alarms.exit_code`: 1 when ``error`` is
        not empty, else 3 when any alarm fired, else 0.
        """
        return cls(
            start=iso_utc(start_date),
            start_date=start_date,
            stop=iso_utc(stop_date),
            stop_date=stop_date,
            exit_code=exit_code(alarms, error=bool(error)),
            database=database,
            days=days,
            processed=tuple(processed),
            failed=tuple(failed),
            skipped=tuple(skipped),
            figures=figures,
            max_q90=max_q90,
            alarms=tuple(alarms),
            error=error,
            astromon_version=astromon_version,
            host=host,
            pid=pid,
        )


def _note_json(note: ObservationNote) -> dict[str, Any]:
    return {"obsid": note.obsid, "reason": note.reason, "message": note.message}


def _figures_json(figures: AccuracyFigures) -> dict[str, Any]:
    return {f.name: getattr(figures, f.name) for f in fields(figures)}


def run_to_json(run: DailyRun) -> str:
    """The record as one line of JSON (ASCII, no newline; keys in the documented order)."""
    figures = run.figures
    data = {
        "format": RECORD_FORMAT,
        "start": run.start,
        "start_date": run.start_date,
        "stop": run.stop,
        "stop_date": run.stop_date,
        "database": run.database,
        "days": run.days,
        "processed": list(run.processed),
        "failed": [_note_json(n) for n in run.failed],
        "skipped": [_note_json(n) for n in run.skipped],
        "figures": None if figures is None else _figures_json(figures),
        "max_q90": run.max_q90,
        "alarms": [
            {"kind": a.kind, "message": a.message, "value": a.value, "limit": a.limit}
            for a in run.alarms
        ],
        "exit_code": run.exit_code,
        "error": run.error,
        "astromon_version": run.astromon_version,
        "host": run.host,
        "pid": run.pid,
    }
    return json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _items(key: str, value: object, read: Callable[[str, object], T]) -> tuple[T, ...]:
    if not isinstance(value, list):
        raise _wrong(key, "a list", value)
    return tuple(read(f"{key}[{i}]", item) for i, item in enumerate(value))


def _object(key: str, value: object) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _wrong(key, "an object", value)
    return value


def _note(key: str, value: object) -> ObservationNote:
    data = _object(key, value)
    return ObservationNote(
        obsid=_integer(f"{key}.obsid", data.get("obsid"), 1),
        reason=_string(f"{key}.reason", data.get("reason", "")),
        message=_string(f"{key}.message", data.get("message", "")),
    )


def _alarm(key: str, value: object) -> Alarm:
    data = _object(key, value)
    kind = _string(f"{key}.kind", data.get("kind"))
    if not kind:
        raise _wrong(f"{key}.kind", "a non-empty string", kind)
    return Alarm(
        kind=kind,
        message=_string(f"{key}.message", data.get("message", "")),
        value=_number(f"{key}.value", data.get("value")),
        limit=_number(f"{key}.limit", data.get("limit")),
    )


def _radius(key: str, value: object) -> float | None:
    if value is None:
        return None
    number = _number(key, value)
    if number < 0:
        raise _wrong(key, "a radius >= 0 or null", value)
    return number


def _figures(value: object) -> AccuracyFigures | None:
    if value is None:
        return None
    data = _object("figures", value)
    years = _number("figures.years", data.get("years", ACCURACY_YEARS))
    return AccuracyFigures(
        n=_integer("figures.n", data.get("n"), 0),
        q68=_radius("figures.q68", data.get("q68")),
        q90=_radius("figures.q90", data.get("q90")),
        q99=_radius("figures.q99", data.get("q99")),
        max_offset=_radius("figures.max_offset", data.get("max_offset")),
        window_start=_string("figures.window_start", data.get("window_start", "")),
        window_stop=_string("figures.window_stop", data.get("window_stop", "")),
        years=years,
        selection=_string("figures.selection", data.get("selection", "")),
    )


def run_from_json(text: str) -> DailyRun:
    """The record of one JSON line (see the module docstring for what is accepted).

    Raises
    ------
    ValidationError
        Not a JSON object, a required key missing, or a value of the wrong type (the message
        names the key and the value).
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"not a JSON object: {_shown(data)}")
    for key in ("start", "start_date", "exit_code"):
        if key not in data:
            raise ValidationError(f"key {key!r} is missing")

    def text_of(key: str) -> str:
        return _string(key, data.get(key, ""))

    days, pid = data.get("days"), data.get("pid")
    processed = _items("processed", data.get("processed", []), lambda k, v: _integer(k, v, 1))
    return DailyRun(
        start=text_of("start"),
        start_date=text_of("start_date"),
        exit_code=_integer("exit_code", data["exit_code"], 0),
        stop=text_of("stop"),
        stop_date=text_of("stop_date"),
        database=text_of("database"),
        days=None if days is None else _integer("days", days, 0),
        processed=processed,
        failed=_items("failed", data.get("failed", []), _note),
        skipped=_items("skipped", data.get("skipped", []), _note),
        figures=_figures(data.get("figures")),
        max_q90=_number("max_q90", data.get("max_q90", DEFAULT_MAX_Q90)),
        alarms=_items("alarms", data.get("alarms", []), _alarm),
        error=text_of("error"),
        astromon_version=text_of("astromon_version"),
        host=text_of("host"),
        pid=None if pid is None else _integer("pid", pid, 1),
    )
