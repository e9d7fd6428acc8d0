"""The e-mail of a daily run: an alert when it failed or an alarm fired, else a short notice.

The subject names the database and the outcome (``astromon daily on /data/astromon.duckdb:
2 alarms``, ``...: failed``, ``...: ok``). The alert's body holds the run's summary (times,
host, exit code, the processing window, counts of processed, failed and skipped obsids), the
accuracy statement (its window, the 90% radius against its limit, the published sentence and
the figures per detector as ``astromon report`` prints them, from
:mod:`astromon.domain.accuracy_text`) with its selection in words, the alarms, and each failed
obsid with its reason; the notice holds the summary in three lines.

Every text taken from the run (paths, reasons, error messages) is shown with its control and
other unprintable characters as escapes (``\\x1b``, ``\\udc80``), so the subject is one line
and the body is text any mail system carries.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Final

from astromon.domain.accuracy import AccuracyStatement
from astromon.domain.accuracy_text import statement_lines
from astromon.domain.alarms import EXIT_ALARM, EXIT_ERROR, EXIT_OK, counted
from astromon.domain.daily_run import DailyRun, ObservationNote
from astromon.domain.mail import MailMessage

__all__ = ["alert_message", "outcome", "run_message", "success_message"]

_EXIT_MEANING: Final[dict[int, str]] = {
    EXIT_OK: "all well",
    EXIT_ALARM: "partial failure or alarm",
    EXIT_ERROR: "the run failed",
}
_SUBJECT_DATABASE: Final = 120  # characters of the database path kept in the subject
_MESSAGE_LINES: Final = 10  # lines of a failure message shown
_LINE_CHARS: Final = 300  # characters of a shown line
_OBSIDS_SHOWN: Final = 30  # obsids listed per skip reason
_WIDTH: Final = 78  # prose is wrapped to this width
_SENTENCE_CHARS: Final = 1000  # characters of a selection sentence shown


def _printable(text: str) -> str:
    """``text`` with every unprintable character (controls, lone surrogates...) escaped."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _lines(text: str, indent: str) -> list[str]:
    """A multi-line text as body lines: at most :data:`_MESSAGE_LINES`, each escaped."""
    parts = [_cut(_printable(line), _LINE_CHARS) for line in text.splitlines() if line.strip()]
    if len(parts) > _MESSAGE_LINES:
        parts = [*parts[:_MESSAGE_LINES], f"({len(parts) - _MESSAGE_LINES} more lines)"]
    return [indent + part for part in parts]


def outcome(run: DailyRun) -> str:
    """The outcome in the subject: ``failed``, ``N alarms``, ``partial failure`` or ``ok``."""
    if run.exit_code == EXIT_ERROR:
        return "failed"
    if run.alarms:
        return counted(len(run.alarms), "alarm")
    if run.exit_code == EXIT_ALARM:
        return "partial failure"
    if run.exit_code == EXIT_OK:
        return "ok"
    return f"exit code {run.exit_code}"


def _subject(run: DailyRun) -> str:
    database = _printable(run.database) or "(no database)"
    if len(database) > _SUBJECT_DATABASE:
        database = "..." + database[-(_SUBJECT_DATABASE - 3) :]
    return f"astromon daily on {database}: {outcome(run)}"


def _counts(run: DailyRun) -> str:
    return f"{len(run.processed)} processed, {len(run.failed)} failed, {len(run.skipped)} skipped"


def _processing_window(run: DailyRun) -> str:
    if run.days is None:
        return "asked for"
    return f"of the {counted(run.days, 'day')} before {run.start_date}"


def _arcsec(value: float) -> str:
    return f"{value:.3f} arcsec" if math.isfinite(value) else "-"


def _wrapped(text: str, indent: str) -> list[str]:
    """``text`` as lines of at most :data:`_WIDTH` characters, each starting with ``indent``."""
    return textwrap.wrap(text, _WIDTH, initial_indent=indent, subsequent_indent=indent)


def _window(statement: AccuracyStatement) -> str:
    snr = "" if statement.snr is None else f", S/N >= {statement.snr:g}"
    return (
        f"the {statement.n_years:g} years before now, {statement.start_date} to "
        f"{statement.end_date}{snr}"
    )


def _accuracy(run: DailyRun) -> list[str]:
    statement = run.accuracy
    if statement is None:
        return ["Accuracy", "  not computed"]
    lines = [f"Accuracy over {_window(statement)}"]
    if statement.overall.n:
        lines.append(
            f"  90% radius  {_arcsec(statement.overall.q90)} (limit {run.max_q90:g} arcsec) "
            f"over {counted(statement.overall.n, 'match', 'matches')}"
        )
    for line in statement_lines(statement):
        lines += [f"  {line}"] if len(line) + 2 <= _WIDTH else _wrapped(line, "  ")
    if run.selection:
        lines.append("  Selection")
        for sentence in run.selection:
            lines += _wrapped(_cut(_printable(sentence), _SENTENCE_CHARS), "    ")
    return lines


def _failures(failed: Sequence[ObservationNote]) -> list[str]:
    lines = ["Failed observations"]
    for note in failed:
        reason = _printable(note.reason) or "(no reason given)"
        lines.append(f"  {note.obsid}  {_cut(reason, _LINE_CHARS)}")
        lines += _lines(note.message, " " * (4 + len(str(note.obsid))))
    return lines


def _skips(skipped: Sequence[ObservationNote]) -> list[str]:
    groups: dict[str, list[int]] = {}
    for note in skipped:
        groups.setdefault(_cut(_printable(note.reason), _LINE_CHARS), []).append(note.obsid)
    lines = ["Skipped observations"]
    for reason, obsids in sorted(groups.items()):
        shown = ", ".join(str(o) for o in sorted(obsids)[:_OBSIDS_SHOWN])
        more = f" and {len(obsids) - _OBSIDS_SHOWN} more" if len(obsids) > _OBSIDS_SHOWN else ""
        lines.append(f"  {reason or '(no reason given)'}: {len(obsids)} ({shown}{more})")
    return lines


def _who(run: DailyRun) -> str:
    pid = f", PID {run.pid}" if run.pid is not None else ""
    version = f", astromon {_printable(run.astromon_version)}" if run.astromon_version else ""
    return f"{_printable(run.host) or '(unknown host)'}{pid}{version}"


def alert_message(run: DailyRun) -> MailMessage:
    """The full report of ``run``: summary, error, accuracy, alarms, failures and skips."""
    subject = _subject(run)
    meaning = _EXIT_MEANING.get(run.exit_code, "")
    lines = [
        subject,
        "",
        "Run",
        f"  database    {_printable(run.database)}",
        f"  started     {_printable(run.start)} ({_printable(run.start_date)})",
        f"  finished    {_printable(run.stop)} ({_printable(run.stop_date)})",
        f"  host        {_who(run)}",
        f"  exit code   {run.exit_code}" + (f" ({meaning})" if meaning else ""),
        f"  window      observations {_printable(_processing_window(run))}",
        f"  obsids      {_counts(run)}",
    ]
    if run.error:
        lines += ["", "Error", *_lines(run.error, "  ")]
    lines += ["", *_accuracy(run)]
    if run.alarms:
        lines += ["", "Alarms"]
        for alarm in run.alarms:
            lines.append(
                f"  - {_printable(alarm.kind)}: {_cut(_printable(alarm.message), _LINE_CHARS)} "
                f"(value {alarm.value:g}, limit {alarm.limit:g})"
            )
    if run.failed:
        lines += ["", *_failures(run.failed)]
    if run.skipped:
        lines += ["", *_skips(run.skipped)]
    return MailMessage(subject, "\n".join(lines) + "\n")


def success_message(run: DailyRun) -> MailMessage:
    """The short notice of a run that went well: times, counts and the 90% radius."""
    subject = _subject(run)
    lines = [
        subject,
        "",
        f"Finished {_printable(run.stop)} on {_who(run)}.",
        f"Observations {_printable(_processing_window(run))}: {_counts(run)}.",
    ]
    statement = run.accuracy
    if statement is not None and statement.overall.n:
        lines.append(
            f"90% radius {_arcsec(statement.overall.q90)} (limit {run.max_q90:g} arcsec) over "
            f"{counted(statement.overall.n, 'match', 'matches')} of {_window(statement)}."
        )
    return MailMessage(subject, "\n".join(lines) + "\n")


def run_message(run: DailyRun, *, notify_success: bool = False) -> MailMessage | None:
    """The e-mail to send for ``run``: the alert when it did not exit 0; the notice when it
    did and ``notify_success`` is set; else None (nothing to send)."""
    if run.exit_code != EXIT_OK:
        return alert_message(run)
    return success_message(run) if notify_success else None
