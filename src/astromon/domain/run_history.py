"""Reading the run record file: one JSON record per line, damaged lines reported, not fatal.

A line that is not a record (cut short by a full disk or a crash of the machine, edited by
hand, written by something else) is reported as a :class:`DamagedLine` with its line number
and the reason, and the other lines are still read. Blank lines are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from astromon.domain.daily_run import DailyRun, run_from_json
from astromon.domain.errors import ValidationError

__all__ = ["DamagedLine", "RunHistory", "read_run_lines"]

_SHOWN: Final = 120  # characters of a damaged line kept in the report


@dataclass(frozen=True)
class DamagedLine:
    """A line of the record file that is not a record: its 1-based ``number``, the
    ``reason`` and the start of its ``text`` (undecodable bytes shown as escapes)."""

    number: int
    reason: str
    text: str


@dataclass(frozen=True)
class RunHistory:
    """The runs read from the record file, oldest first, and the damaged lines met."""

    runs: tuple[DailyRun, ...]
    damaged: tuple[DamagedLine, ...]


def read_run_lines(lines: Sequence[bytes], *, last: int | None = None) -> RunHistory:
    """The records of ``lines`` (the file's lines, line 1 first, with or without newlines).

    Parameters
    ----------
    lines : sequence of bytes
        The lines of the file.
    last : int, optional
        Read only the last ``last`` records (from the end of the file back); the damaged
        lines reported are those met on the way. None reads every line.

    Raises
    ------
    ValidationError
        ``last`` is negative or not an integer.
    """
    if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 0):
        raise ValidationError(f"last must be a number of runs >= 0, got {last!r}")
    runs: list[DailyRun] = []
    damaged: list[DamagedLine] = []
    for index in range(len(lines) - 1, -1, -1):
        if last is not None and len(runs) >= last:
            break
        raw = lines[index].rstrip(b"\r\n")
        if not raw.strip():
            continue
        shown = raw[:_SHOWN].decode("utf-8", "backslashreplace")
        try:
            runs.append(run_from_json(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            damaged.append(DamagedLine(index + 1, f"not UTF-8 text ({exc.reason})", shown))
        except ValidationError as exc:
            damaged.append(DamagedLine(index + 1, str(exc), shown))
    return RunHistory(tuple(reversed(runs)), tuple(reversed(damaged)))
