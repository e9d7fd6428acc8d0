"""The run log (implements the ``RunLog`` port): one JSON line per daily run.

The log is ``<log dir>/daily.jsonl``; each line is the record of one run
(:func:`astromon.domain.daily_run.run_to_json`).

Appending, so that several processes (on one or several machines) can append at once and no
line is torn, lost or left half-written:

* the record is made first and written once, when the run ends: a run that crashes before
  leaves no line at all;
* the line and its newline are one ``write()`` on a descriptor opened with ``O_APPEND``, so
  the kernel puts them at the end of the file in one piece (a short write, which only a full
  disk causes, is completed by further writes before anyone else appends);
* the write holds an exclusive ``flock`` on the log file: on a network file system ``O_APPEND``
  alone is not atomic across machines, and the lock puts the appends one after the other;
* a write that fails part-way (a full disk) is undone (the file is cut back to its size before
  the write) before the error is raised;
* a writer killed in the middle of its ``write()`` (the kernel may stop a long write part-way
  when its process is killed) leaves an unfinished last line; the next append, holding the
  lock, finds it and cuts it off. A last line without a newline that is a whole record (a file
  edited by hand) is kept and ended with a newline;
* ``fsync`` before returning (and of the directory when the file is new): an acknowledged
  record survives a crash of the machine.

Reading takes a shared ``flock``, so it never sees half of a line being appended; damaged lines
are reported with their line number (:func:`astromon.domain.run_history.read_run_lines`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Final

from astromon.domain.daily_run import DailyRun, run_from_json, run_to_json
from astromon.domain.errors import DatabaseError, ValidationError
from astromon.domain.run_history import RunHistory, read_run_lines
from astromon_adapters.storage.atomic_files import OutputFileError, fsync_directory

__all__ = ["LOG_NAME", "JsonLinesRunLog"]

LOG_NAME: Final = "daily.jsonl"
"""Name of the run log in the log directory."""

_CHUNK: Final = 65536  # bytes read at a time when looking back for the last newline


def _unfinished_line(fd: int, size: int) -> int:
    """Offset of the start of the file's last line when it has no newline, else ``size``."""
    end = size
    while end > 0:
        start = max(0, end - _CHUNK)
        chunk = os.pread(fd, end - start, start)
        if end == size and chunk.endswith(b"\n"):
            return size
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def _is_record(text: bytes) -> bool:
    try:
        run_from_json(text.decode("utf-8"))
    except (UnicodeDecodeError, ValidationError):
        return False
    return True


class JsonLinesRunLog:
    """The run log in ``log_dir`` (created, with its parents, by the first append).

    Parameters
    ----------
    log_dir : path
        The directory of ``daily.jsonl``.
    """

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        self.log_dir = Path(log_dir)
        self.path = self.log_dir / LOG_NAME

    def __repr__(self) -> str:
        return f"<JsonLinesRunLog {self.path}>"

    def append(self, run: DailyRun) -> None:
        """Append the record of ``run`` (see the module docstring for how).

        Raises
        ------
        OutputFileError
            The directory cannot be made or the file cannot be written (a DatabaseError
            naming the file and the system error).
        """
        line = (run_to_json(run) + "\n").encode("ascii")
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputFileError(f"cannot write the run log {self.path}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            tail = _unfinished_line(fd, size)
            if tail < size:
                if _is_record(os.pread(fd, size - tail, tail)):
                    line = b"\n" + line  # a whole record without its newline: keep it
                else:
                    os.ftruncate(fd, tail)  # the part written by a writer killed mid-write
                    size = tail
            try:
                written = os.write(fd, line)
                while written < len(line):  # only a full disk makes a short write
                    written += os.write(fd, line[written:])
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)  # leave no part of this line
                raise
            os.fsync(fd)
        except OSError as exc:
            raise OutputFileError(f"cannot write the run log {self.path}: {exc}") from None
        finally:
            os.close(fd)  # releases the lock
        if created:
            fsync_directory(self.log_dir)

    def history(self, last: int | None = None) -> RunHistory:
        """The recorded runs, oldest first (see :meth:`astromon.ports.run_log.RunLog.history`).

        Raises
        ------
        DatabaseError
            The log exists but cannot be read.
        ValidationError
            ``last`` is negative.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return read_run_lines([], last=last)
        except OSError as exc:
            raise DatabaseError(f"cannot read the run log {self.path}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise DatabaseError(f"cannot read the run log {self.path}: {exc}") from None
        finally:
            os.close(fd)
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return read_run_lines(lines, last=last)
