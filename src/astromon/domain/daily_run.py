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
| `figures` | `AccuracyStatement.record()`: window, S/N, figures overall and per detector; or null |
| `selection` | the matches of the statement in words, one sentence per criterion |
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from astromon.domain import json_values as jv
from astromon.domain.accuracy import AccuracyStatement
from astromon.domain.accuracy_json import read_statement
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


@dataclass(frozen=True)
class ObservationNote:
    """An obsid with why it failed or was skipped: a short ``reason`` and a ``message``."""

    obsid: int
    reason: str
    message: str = ""

    def __post_init__(self) -> None:
        jv.integer("obsid", self.obsid, 1)
        jv.text("reason", self.reason)
        jv.text("message", self.message)


@dataclass(frozen=True)
class DailyRun:
    """One daily run, as recorded (see the module docstring for the meaning of each field).

    Build a finished run with :meth:`finished`, which derives the ISO times and the exit
    code. Times are strings as recorded; counts and obsids are validated on construction.
    ``figures`` is the record of the accuracy statement (:meth:`AccuracyStatement.record`,
    JSON types), checked and kept as it reads back
    (:func:`~astromon.domain.accuracy_json.read_statement`); the statement itself is
    :attr:`accuracy`.

    Raises
    ------
    ValidationError
        A field of the wrong type (named with its value), or ``figures`` that are not the
        record of an accuracy statement.
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
    figures: Mapping[str, Any] | None = None
    selection: tuple[str, ...] = ()
    max_q90: float = DEFAULT_MAX_Q90
    alarms: tuple[Alarm, ...] = ()
    error: str = ""
    astromon_version: str = ""
    host: str = ""
    pid: int | None = None

    def __post_init__(self) -> None:
        for name in ("start", "start_date", "stop", "stop_date", "database", "error"):
            jv.text(name, getattr(self, name))
        for name in ("astromon_version", "host"):
            jv.text(name, getattr(self, name))
        jv.integer("exit_code", self.exit_code, 0)
        if self.days is not None:
            jv.integer("days", self.days, 0)
        if self.pid is not None:
            jv.integer("pid", self.pid, 1)
        for obsid in self.processed:
            jv.integer("processed", obsid, 1)
        for name, kind in (("failed", ObservationNote), ("skipped", ObservationNote)):
            for item in getattr(self, name):
                if not isinstance(item, kind):
                    raise jv.wrong(name, kind.__name__, item)
        for alarm in self.alarms:
            if not isinstance(alarm, Alarm):
                raise jv.wrong("alarms", "Alarm", alarm)
        if self.figures is not None:  # as read back: the exact record, its keys in order
            record = read_statement(self.figures, "figures").record()
            object.__setattr__(self, "figures", record)
        for sentence in self.selection:
            jv.text("selection", sentence)
        jv.number("max_q90", self.max_q90)

    @property
    def accuracy(self) -> AccuracyStatement | None:
        """The accuracy statement of ``figures`` (its window from the recorded dates)."""
        return None if self.figures is None else read_statement(self.figures, "figures")

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
        accuracy: AccuracyStatement | None,
        alarms: Sequence[Alarm],
        selection: Sequence[str] = (),
        error: str = "",
        max_q90: float = DEFAULT_MAX_Q90,
        astromon_version: str = "",
        host: str = "",
        pid: int | None = None,
    ) -> DailyRun:
        """The record of a run that ended at ``stop_date`` (Chandra dates from the clock).

        The exit code follows :func:`astromon.domain.alarms.exit_code`: 1 when ``error`` is
        not empty, else 3 when any alarm fired, else 0. ``accuracy`` is recorded as its
        record (``figures``), ``selection`` (the statement's matches in words, e.g.
        :attr:`astromon.ports.report.MonitoringReport.selection_text`) beside it.
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
            figures=None if accuracy is None else accuracy.record(),
            selection=tuple(selection),
            max_q90=max_q90,
            alarms=tuple(alarms),
            error=error,
            astromon_version=astromon_version,
            host=host,
            pid=pid,
        )


def _note_json(note: ObservationNote) -> dict[str, Any]:
    return {"obsid": note.obsid, "reason": note.reason, "message": note.message}


def run_to_json(run: DailyRun) -> str:
    """The record as one line of JSON (ASCII, no newline; keys in the documented order)."""
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
        "figures": None if run.figures is None else dict(run.figures),
        "selection": list(run.selection),
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


def _note(key: str, value: object) -> ObservationNote:
    data = jv.json_object(key, value)
    return ObservationNote(
        obsid=jv.integer(f"{key}.obsid", data.get("obsid"), 1),
        reason=jv.text(f"{key}.reason", data.get("reason", "")),
        message=jv.text(f"{key}.message", data.get("message", "")),
    )


def _alarm(key: str, value: object) -> Alarm:
    data = jv.json_object(key, value)
    kind = jv.text(f"{key}.kind", data.get("kind"))
    if not kind:
        raise jv.wrong(f"{key}.kind", "a non-empty string", kind)
    return Alarm(
        kind=kind,
        message=jv.text(f"{key}.message", data.get("message", "")),
        value=jv.number(f"{key}.value", data.get("value")),
        limit=jv.number(f"{key}.limit", data.get("limit")),
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
        raise ValidationError(f"not a JSON object: {jv.shown(data)}")
    for key in ("start", "start_date", "exit_code"):
        if key not in data:
            raise ValidationError(f"key {key!r} is missing")

    def text_of(key: str) -> str:
        return jv.text(key, data.get(key, ""))

    days, pid = data.get("days"), data.get("pid")
    processed = jv.items("processed", data.get("processed", []), lambda k, v: jv.integer(k, v, 1))
    return DailyRun(
        start=text_of("start"),
        start_date=text_of("start_date"),
        exit_code=jv.integer("exit_code", data["exit_code"], 0),
        stop=text_of("stop"),
        stop_date=text_of("stop_date"),
        database=text_of("database"),
        days=None if days is None else jv.integer("days", days, 0),
        processed=processed,
        failed=jv.items("failed", data.get("failed", []), _note),
        skipped=jv.items("skipped", data.get("skipped", []), _note),
        figures=data.get("figures"),
        selection=jv.items("selection", data.get("selection", []), jv.text),
        max_q90=jv.number("max_q90", data.get("max_q90", DEFAULT_MAX_Q90)),
        alarms=jv.items("alarms", data.get("alarms", []), _alarm),
        error=text_of("error"),
        astromon_version=text_of("astromon_version"),
        host=text_of("host"),
        pid=None if pid is None else jv.integer("pid", pid, 1),
    )
